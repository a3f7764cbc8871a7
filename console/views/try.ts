// "Try a workflow": a form generated from a stored workflow's typed inputs (text, numbers with their
// bounds, enums, booleans, image upload) that submits a job and follows it live.

import { api, ApiFailure, describe, session, type InputSpec, type Job, type Workflow } from "../api";
import { fill, h, notice } from "../dom";
import { watchJob, type Stop } from "../live";
import type { Ctx } from "../main";
import { cancelJob, jobDetails } from "./job";

type Field = { name: string; spec: InputSpec; el: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement };

const bound = (v: number | string | undefined, limits: Record<string, number>) => (typeof v === "string" ? limits[v] : v);

function field(name: string, spec: InputSpec, limits: Record<string, number>, models: Record<string, string[]>): Field {
  // A free-text input named after a model folder (checkpoint → checkpoints) suggests the fleet's files.
  const folder = Object.keys(models).find((f) => f === name || f === `${name}s`);
  const common = { name, id: `in-${name}`, required: spec.required === true, list: folder ? `models-${folder}` : undefined };
  let el: Field["el"];
  if (spec.enum) {
    el = h("select", common, ...spec.enum.map((v) => h("option", { value: String(v), selected: v === spec.default }, String(v))));
  } else if (spec.type === "int" || spec.type === "float") {
    el = h("input", { ...common, type: "number", min: spec.min, max: bound(spec.max, limits), step: spec.step ?? (spec.type === "int" ? 1 : "any"), value: spec.default as number | undefined });
  } else if (spec.type === "boolean") {
    el = h("input", { ...common, type: "checkbox", checked: spec.default === true });
  } else if (spec.type === "image") {
    el = h("input", { ...common, type: "file", accept: "image/*" });
  } else if (/prompt|text/i.test(name)) {
    el = h("textarea", { ...common, rows: 3, maxlength: spec.maxLength, value: spec.default as string | undefined });
  } else {
    el = h("input", { ...common, maxlength: spec.maxLength, value: spec.default as string | undefined });
  }
  return { name, spec, el };
}

/** Puts the file into R2 once (POST /uploads, raw body) and returns its upload id. */
async function upload(file: File): Promise<string> {
  const headers: Record<string, string> = { "content-type": file.type || "application/octet-stream" };
  if (session.key) headers["x-api-key"] = session.key;
  const res = await fetch(`/uploads?name=${encodeURIComponent(file.name)}`, { method: "POST", headers, body: file });
  const data = (await res.json()) as { id?: string; error?: string; message?: string };
  if (!res.ok || !data.id) throw new ApiFailure(res.status, data.error ?? `HTTP_${res.status}`, data.message ?? "upload failed");
  return data.id;
}

export function mountTry(root: HTMLElement, ctx: Ctx): Stop {
  const status = h("div", { id: "try-status" });
  const live = h("div", { id: "try-job" });
  const pick = h("select", { id: "workflow", name: "workflow" }, ...ctx.caps.workflows.map((w) => h("option", { value: w.id }, `${w.name} (${w.id})`)));
  const fieldsBox = h("div", { class: "fields" });
  const metadata = h("textarea", { id: "metadata-input", name: "metadata", rows: 2, placeholder: '{"order": 7}' });
  let fields: Field[] = [];
  let stop: Stop | undefined;

  const build = () => {
    const wf: Workflow | undefined = ctx.caps.workflows.find((w) => w.id === pick.value);
    const models = ctx.caps.models ?? {};
    fields = Object.entries(wf?.inputs ?? {}).map(([n, s]) => field(n, s, ctx.caps.limits, models));
    fill(
      fieldsBox,
      ...Object.entries(models).map(([folder, files]) => h("datalist", { id: `models-${folder}` }, ...files.map((f) => h("option", { value: f })))),
      wf?.description ? h("p", { class: "dim" }, wf.description) : null,
      ...fields.map((f) =>
        h("label", { class: "field" }, h("span", {}, f.name, f.spec.required ? " *" : "", h("span", { class: "dim" }, ` ${f.spec.enum ? "one of" : f.spec.type}${f.spec.min !== undefined || f.spec.max !== undefined ? ` ${f.spec.min ?? ""}…${bound(f.spec.max, ctx.caps.limits) ?? ""}` : ""}`)), f.el, f.spec.description ? h("small", { class: "dim" }, f.spec.description) : null),
      ),
    );
  };

  const submit = async () => {
    const inputs: Record<string, string | number | boolean> = {};
    const images: { name: string; upload: string }[] = [];
    for (const f of fields) {
      const el = f.el;
      if (f.spec.type === "image") {
        const file = (el as HTMLInputElement).files?.[0];
        if (!file) continue;
        images.push({ name: file.name, upload: await upload(file) });
        inputs[f.name] = file.name;
      } else if (f.spec.type === "boolean") inputs[f.name] = (el as HTMLInputElement).checked;
      else if (el.value === "") continue;
      else if ((f.spec.type === "int" || f.spec.type === "float") && !f.spec.enum) inputs[f.name] = Number(el.value);
      else inputs[f.name] = typeof f.spec.enum?.[0] === "number" ? Number(el.value) : el.value;
    }
    const body: Record<string, unknown> = { workflowId: pick.value, inputs };
    if (images.length) body.images = images;
    if (metadata.value.trim()) body.metadata = JSON.parse(metadata.value) as unknown;
    const job = await api<Job>("POST", "/jobs", body);
    notice(status, `Submitted job ${job.id}`);
    stop?.();
    stop = watchJob(job.id, (j) => fill(live, h("p", {}, h("a", { href: `#job/${j.id}` }, "Open job page")), jobDetails(j, cancelJob(j.id, status))));
  };

  const form = h("form", { id: "try-form", class: "card" }, h("label", {}, "Workflow ", pick), fieldsBox, h("label", { class: "field" }, h("span", {}, "Metadata (JSON)"), metadata), h("button", { type: "submit" }, "Run"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void submit().catch((err: unknown) => notice(status, describe(err), "error"));
  });
  pick.addEventListener("change", build);
  build();
  fill(root, h("h2", {}, "Try a workflow"), form, status, live);
  return () => stop?.();
}
