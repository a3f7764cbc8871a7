// Jobs: filter by status, owner (admins) and workflow; each row has a live progress bar; queue
// depth and the usage of the key (or, for admins, of the owner filtered on).

import { api, describe, TERMINAL, type Job, type Key, type Usage } from "../api";
import { fill, h, safeUrl } from "../dom";
import { watchJob, watchList, type Stop } from "../live";
import type { Ctx } from "../main";

/** Unfinished rows followed live at once, each over its event stream (the rest move with the list, every LIST_POLL_MS). */
const LIVE_ROWS = 4;
const STATUSES = ["queued", "running", "canceling", "succeeded", "failed", "canceled", "expired"];

/** A job's progress as a <progress> bar and its label; shared with the job page and "try". */
export function progressBar(job: Job) {
  const pct = job.status === "succeeded" ? 100 : (job.progress?.percent ?? 0);
  const label =
    job.status === "queued" ? `queued${job.queuePosition ? ` #${job.queuePosition}` : ""}` : job.progress ? `${Math.round(pct)}% (${job.progress.value}/${job.progress.max})` : TERMINAL.has(job.status) ? job.status : "starting";
  return h("span", { class: "bar" }, h("progress", { max: 100, value: pct, "data-percent": pct }), h("span", { class: "dim" }, ` ${label}`));
}

/**
 * The job's latest image: the sampler's latest preview while it runs (from its event stream), its
 * last image output once it succeeded.
 */
export function latestImage(job: Job) {
  const preview = job.status === "running" ? safeUrl(job.preview) : undefined;
  if (preview) return h("img", { src: preview, alt: "preview", class: "mini preview" });
  const out = job.outputs.filter((o) => o.kind === "image").at(-1);
  const src = safeUrl(out?.url);
  return src ? h("img", { src, alt: out!.name, class: "mini" }) : null;
}

export const statusBadge = (status: string) => h("span", { class: `status status-${status}`, "data-status": status }, status);

export function mountJobs(root: HTMLElement, ctx: Ctx): Stop {
  const params = new URLSearchParams(sessionStorage.getItem("comfy-edge.jobFilters") ?? "");
  const status = h("select", { name: "status" }, h("option", { value: "" }, "any status"), ...STATUSES.map((s) => h("option", { value: s, selected: params.get("status") === s }, s)));
  const workflow = h("select", { name: "workflowId" }, h("option", { value: "" }, "any workflow"), ...ctx.caps.workflows.map((w) => h("option", { value: w.id, selected: params.get("workflowId") === w.id }, w.id)));
  const owner = h("input", { name: "owner", placeholder: "owner id (e.g. cfg:3f2a…)", value: params.get("owner") ?? "", list: "owners" });
  const owners = h("datalist", { id: "owners" });
  const usage = h("div", { id: "usage", class: "card" });
  const body = h("tbody");
  type Row = { tr: HTMLTableRowElement; sig: string; stop?: Stop; done?: boolean };
  const rows = new Map<string, Row>();

  const query = () => {
    const q = new URLSearchParams({ limit: "50" });
    if (status.value) q.set("status", status.value);
    if (workflow.value) q.set("workflowId", workflow.value);
    if (ctx.role === "admin" && owner.value.trim()) q.set("owner", owner.value.trim());
    return q;
  };
  const row = (job: Job) =>
    h(
      "tr",
      { "data-job": job.id },
      h("td", {}, h("a", { href: `#job/${job.id}` }, job.id.slice(0, 8))),
      h("td", {}, statusBadge(job.status)),
      h("td", {}, job.workflowId ?? "graph"),
      h("td", {}, job.host ?? "—"),
      h("td", { class: "progress" }, progressBar(job)),
      h("td", { class: "preview" }, latestImage(job)),
      h("td", { class: "dim" }, new Date(job.createdAt).toLocaleTimeString()),
    );
  /** What a row shows that can change; a row is redrawn only when this does. */
  const sig = (job: Job) => JSON.stringify([job.status, job.progress?.value, job.queuePosition, job.host, job.outputs.length, job.preview]);
  const redraw = (r: Row, job: Job) => {
    if (r.sig === sig(job)) return;
    const fresh = row(job);
    r.tr.replaceWith(fresh);
    r.tr = fresh;
    r.sig = sig(job);
  };
  const show = (jobs: Job[]) => {
    const keep = new Set(jobs.map((j) => j.id));
    for (const [id, r] of rows) if (!keep.has(id)) (r.stop?.(), rows.delete(id));
    fill(
      body,
      ...jobs.map((job) => {
        let r = rows.get(job.id);
        if (!r) {
          r = { tr: row(job), sig: sig(job) };
          rows.set(job.id, r);
        } else if (!r.stop || r.done) redraw(r, job);
        // The list is read from D1, where progress is saved every ~10 s; the first few unfinished
        // rows follow their job's event stream (progress, previews). Capped: each holds a connection,
        // and a browser opens only six to one origin over HTTP/1.1 (as under wrangler dev).
        const live = [...rows.values()].filter((x) => x.stop && !x.done).length;
        if (!TERMINAL.has(job.status) && !r.stop && !r.done && live < LIVE_ROWS) {
          const entry = r;
          entry.stop = watchJob(job.id, (j) => {
            redraw(entry, j);
            if (TERMINAL.has(j.status)) entry.done = true;
          });
        }
        return r.tr;
      }),
    );
    if (!jobs.length) fill(body, h("tr", {}, h("td", { colspan: 7, class: "dim" }, "No jobs match.")));
  };
  const usageRow = (label: string, u: Usage) => {
    const t = u.totals.jobs;
    const pick = h("a", { href: "#jobs", "data-owner": u.owner }, label);
    pick.addEventListener("click", (e) => {
      e.preventDefault();
      owner.value = u.owner;
      restart();
    });
    return h("tr", {}, h("td", {}, ctx.role === "admin" ? pick : label, " ", h("code", { class: "dim" }, u.owner)), ...[t.total ?? 0, t.succeeded ?? 0, t.failed ?? 0, (t.queued ?? 0) + (t.running ?? 0) + (t.canceling ?? 0), u.totals.gpuSeconds.toFixed(1)].map((n) => h("td", {}, String(n))));
  };
  /** Usage over the last 30 days: the key's own, an owner filtered on, and (admins) each stored key's. */
  let usageRun = 0;
  const loadUsage = async () => {
    const run = ++usageRun;
    const usageOf = (who?: string) => api<Usage>("GET", `/usage${who ? `?owner=${encodeURIComponent(who)}` : ""}`);
    const filtered = ctx.role === "admin" ? owner.value.trim() : "";
    const keys = ctx.role === "admin" ? (await api<{ items: Key[] }>("GET", "/keys")).items.filter((k) => !k.revokedAt).slice(0, 20) : [];
    const wanted: [string, string | undefined][] = [["you", undefined]];
    if (filtered && filtered !== ctx.owner && !keys.some((k) => `key:${k.id}` === filtered)) wanted.push(["filtered owner", filtered]);
    for (const k of keys) wanted.push([`key "${k.name}"`, `key:${k.id}`]);
    const rows = await Promise.all(wanted.map(async ([label, who]) => [label, await usageOf(who)] as [string, Usage]));
    if (run !== usageRun) return; // a newer filter asked again meanwhile
    fill(owners, ...keys.map((k) => h("option", { value: `key:${k.id}` }, `${k.name} (${k.role})`)));
    const first = rows[0]![1];
    fill(
      usage,
      h("b", {}, `Usage ${first.from} → ${first.to}`),
      h("table", { id: "usage-table" }, h("thead", {}, h("tr", {}, ...["Owner", "Jobs", "Succeeded", "Failed", "In flight", "GPU-s"].map((x) => h("th", {}, x)))), h("tbody", {}, ...rows.map(([label, u]) => usageRow(label, u)))),
    );
  };

  let stopList: Stop | undefined;
  const restart = () => {
    sessionStorage.setItem("comfy-edge.jobFilters", query().toString());
    for (const r of rows.values()) r.stop?.();
    rows.clear();
    stopList?.();
    stopList = watchList(() => api<{ items: Job[] }>("GET", `/jobs?${query()}`), (list) => show(list.items), (e) => fill(body, h("tr", {}, h("td", { colspan: 7, class: "notice error" }, describe(e)))));
    void loadUsage().catch(() => fill(usage, "usage unavailable"));
  };
  const filters = h("form", { id: "job-filters", class: "card row" }, h("label", {}, "Status ", status), h("label", {}, "Workflow ", workflow), ctx.role === "admin" ? h("label", {}, "Owner ", owner, owners) : null, h("button", { type: "submit" }, "Filter"));
  filters.addEventListener("submit", (e) => (e.preventDefault(), restart()));
  status.addEventListener("change", restart);
  workflow.addEventListener("change", restart);

  fill(root, h("h2", {}, "Jobs"), filters, usage, h("table", { id: "jobs" }, h("thead", {}, h("tr", {}, ...["Job", "Status", "Workflow", "Host", "Progress", "Image", "Created"].map((t) => h("th", {}, t)))), body));
  restart();
  return () => {
    stopList?.();
    for (const r of rows.values()) r.stop?.();
  };
}
