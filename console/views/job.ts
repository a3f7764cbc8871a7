// One job: status, progress, timings, error with its code, metadata, outputs as thumbnails through
// their signed links, webhook deliveries (redeliver), cancel. Followed live until it ends.

import { api, describe, TERMINAL, type Delivery, type Job } from "../api";
import { fill, h, notice, safeUrl, when } from "../dom";
import { watchJob, watchList, type Stop } from "../live";
import type { Ctx } from "../main";
import { progressBar, statusBadge } from "./jobs";

const ms = (n: number | null) => (n === null ? "—" : `${(n / 1000).toFixed(2)} s`);

function outputs(job: Job) {
  if (!job.outputs.length) return h("p", { class: "dim" }, job.status === "succeeded" ? "No outputs." : "Outputs appear when the job succeeds.");
  return h(
    "div",
    { class: "outputs", id: "outputs" },
    ...job.outputs.map((o) => {
      const url = safeUrl(o.url);
      const media = o.kind === "image" && url ? h("img", { src: url, alt: o.name, class: "thumb" }) : o.text !== undefined ? h("pre", {}, o.text) : null;
      return h("figure", { "data-output": o.name }, url ? h("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, media ?? o.name) : media, h("figcaption", {}, `${o.name} · ${o.contentType} · ${o.bytes} B`));
    }),
  );
}

/** Names and values as text: strings as they are, anything else as JSON. */
const pairs = (id: string, values: Record<string, unknown>) =>
  h("dl", { class: "facts", id }, ...Object.entries(values).flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, typeof v === "string" ? v : JSON.stringify(v))]));

/** The job's details, rendered as text; also used by "try a workflow" to show the job it submitted. */
export function jobDetails(job: Job, onCancel?: () => void) {
  const cancel = !TERMINAL.has(job.status) && onCancel ? h("button", { type: "button", id: "cancel-job" }, "Cancel job") : null;
  cancel?.addEventListener("click", onCancel!);
  const errors = [job.error, ...(job.warnings ?? [])].filter((e) => e !== null && e !== undefined);
  return h(
    "div",
    { class: "job", "data-job": job.id },
    h("p", {}, statusBadge(job.status), " ", progressBar(job), " ", cancel),
    // The sampler's latest preview, live from the job's event stream while it runs.
    job.status === "running" && safeUrl(job.preview) ? h("img", { src: safeUrl(job.preview)!, alt: "live preview", class: "thumb preview" }) : null,
    h(
      "dl",
      { class: "facts" },
      ...([
        ["Job", job.id],
        ["Workflow", job.workflowId ? `${job.workflowId} v${job.workflowVersion ?? "?"}` : "raw graph"],
        ["Host", job.host ?? "—"],
        ["Attempts", String(job.attempts)],
        ["Priority", String(job.priority)],
        ["Queue position", job.queuePosition === null ? "—" : String(job.queuePosition)],
        ["Created", when(job.createdAt)],
        ["Started", when(job.startedAt)],
        ["Completed", when(job.completedAt)],
        ["Waited / ran", `${ms(job.metrics.queueMs)} / ${ms(job.metrics.executionMs)}`],
        ["Webhook", job.webhook ? `${job.webhook.status}${job.webhook.deliveryId ? ` (${job.webhook.deliveryId})` : ""}` : "none"],
      ] as const).flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]),
    ),
    ...errors.map((e) => h("div", { class: "card error", role: "alert" }, h("code", { class: "code" }, e!.error), ` ${e!.message}`, e!.details ? h("pre", {}, JSON.stringify(e!.details, null, 2)) : null)),
    h("h3", {}, "Inputs"),
    job.inputs && Object.keys(job.inputs).length ? pairs("inputs", job.inputs) : h("p", { class: "dim" }, job.workflowId ? "Defaults only." : "A raw graph: no named inputs."),
    h("h3", {}, "Metadata"),
    Object.keys(job.metadata).length ? pairs("metadata", job.metadata) : h("p", { class: "dim", id: "metadata" }, "None."),
    h("h3", {}, "Outputs"),
    outputs(job),
  );
}

export function cancelJob(id: string, status: HTMLElement) {
  return () =>
    void api<Job>("POST", `/jobs/${encodeURIComponent(id)}/cancel`)
      .then((j) => notice(status, `Cancel requested: ${j.status}`))
      .catch((e: unknown) => notice(status, describe(e), "error"));
}

export function mountJob(root: HTMLElement, _ctx: Ctx, id: string): Stop {
  const status = h("div", { id: "job-status" });
  const details = h("div", {}, "Loading…");
  const deliveries = h("tbody");
  fill(
    root,
    h("p", {}, h("a", { href: "#jobs" }, "← all jobs")),
    h("h2", {}, "Job"),
    status,
    details,
    h("h3", {}, "Webhook deliveries"),
    h("table", { id: "deliveries" }, h("thead", {}, h("tr", {}, ...["Delivery", "Event", "Status", "Attempts", "Last", ""].map((t) => h("th", {}, t)))), deliveries),
  );
  let lastDeliveries = "";
  const showDeliveries = (items: Delivery[]) => {
    const seen = JSON.stringify(items.map((d) => [d.id, d.status]));
    // A finished job is no longer polled, but its `webhook` follows the newest terminal delivery.
    if (lastDeliveries && seen !== lastDeliveries) void api<Job>("GET", `/jobs/${encodeURIComponent(id)}`).then((job) => fill(details, jobDetails(job, cancelJob(id, status))), () => undefined);
    lastDeliveries = seen;
    fill(
      deliveries,
      ...items.map((d) => {
        const again = d.status === "pending" ? null : h("button", { type: "button" }, "Redeliver");
        again?.addEventListener("click", () =>
          void api<Delivery>("POST", `/webhooks/deliveries/${encodeURIComponent(d.id)}/redeliver`)
            .then((n) => notice(status, `Redelivery ${n.id} queued`))
            .catch((e: unknown) => notice(status, describe(e), "error")),
        );
        return h("tr", {}, h("td", {}, h("code", {}, d.id)), h("td", {}, d.event), h("td", {}, d.status), h("td", {}, String(d.attempts)), h("td", {}, d.lastError ?? (d.lastStatusCode ? `HTTP ${d.lastStatusCode}` : "—")), h("td", {}, again));
      }),
    );
    if (!items.length) fill(deliveries, h("tr", {}, h("td", { colspan: 6, class: "dim" }, "No webhook deliveries (the job has no callbackUrl).")));
  };
  const stops = [
    watchJob(id, (job) => fill(details, jobDetails(job, cancelJob(id, status))), (e) => notice(details, describe(e), "error")),
    watchList(() => api<{ items: Delivery[] }>("GET", `/webhooks/deliveries?jobId=${encodeURIComponent(id)}&limit=20`), (l) => showDeliveries(l.items)),
  ];
  return () => stops.forEach((s) => s());
}
