import { JOB_STATUSES } from "../jobs/states";
import { DURATION_BOUNDS_S, RECENT_WINDOW_MS, type Counted, type Durations, type FleetStats } from "./collect";
import { histogramSamples, type MetricFamily, type Sample } from "./exposition";

const HOST_STATES = ["online", "busy", "draining", "offline"] as const;
const DELIVERY_STATUSES = ["pending", "succeeded", "failed"] as const;
export type HostLoad = { name: string; state: (typeof HOST_STATES)[number]; slots: number; slotsInUse: number };

const RECENT = `jobs that finished in the last ${RECENT_WINDOW_MS / 60_000} minutes (recomputed from D1 on every scrape: a sliding window, not a running total; read it as is, e.g. histogram_quantile, not rate())`;

/** One sample per known label value, zero when D1 had no row for it, so a series never vanishes. */
function everyValue(label: string, values: readonly string[], rows: Counted[]): Sample[] {
  const n = new Map(rows.map((r) => [r.labels[label], r.n]));
  return values.map((v) => ({ labels: { [label]: v }, value: n.get(v) ?? 0 }));
}

const fromRows = (rows: Counted[]): Sample[] => rows.map((r) => ({ labels: r.labels, value: r.n }));

const histogram = (name: string, what: string, d: Durations): MetricFamily => ({
  name,
  help: `${what}, in seconds, of ${RECENT}.`,
  type: "histogram",
  samples: histogramSamples({ bounds: DURATION_BOUNDS_S, ...d }),
});

/**
 * The /metrics families, pure: D1's numbers and the hosts in, Prometheus families out. Labels are
 * bounded: job and host states, error codes, webhook statuses and host names (the fleet's size),
 * never a job id or an owner.
 */
export function metricFamilies(s: FleetStats, hosts: readonly HostLoad[], nowMs: number): MetricFamily[] {
  const oldestAgeS = s.queue.oldestCreatedAtMs === null ? 0 : Math.max(0, (nowMs - s.queue.oldestCreatedAtMs) / 1000);
  return [
    { name: "comfy_edge_jobs", help: "Jobs in D1 by status (finished ones until OUTPUT_RETENTION_DAYS deletes them).", type: "gauge", samples: everyValue("status", JOB_STATUSES, s.jobsByStatus) },
    { name: "comfy_edge_queue_depth", help: "Jobs queued and waiting for a host slot.", type: "gauge", samples: [{ value: s.queue.depth }] },
    { name: "comfy_edge_queue_oldest_age_seconds", help: "Seconds since the oldest queued job was submitted; 0 when nothing is queued.", type: "gauge", samples: [{ value: oldestAgeS }] },
    {
      name: "comfy_edge_hosts", help: "Registered hosts by state (busy = online with every slot in use).", type: "gauge",
      samples: everyValue("state", HOST_STATES, HOST_STATES.map((st) => ({ labels: { state: st }, n: hosts.filter((h) => h.state === st).length }))),
    },
    {
      name: "comfy_edge_host_state", help: "1 for each host's current state, 0 for the others.", type: "gauge",
      samples: hosts.flatMap((h) => HOST_STATES.map((st) => ({ labels: { host: h.name, state: st }, value: h.state === st ? 1 : 0 }))),
    },
    { name: "comfy_edge_host_slots", help: "Prompts a host may hold at once (its slots).", type: "gauge", samples: hosts.map((h) => ({ labels: { host: h.name }, value: h.slots })) },
    { name: "comfy_edge_host_slots_in_use", help: "Jobs running (or canceling) on a host now.", type: "gauge", samples: hosts.map((h) => ({ labels: { host: h.name }, value: h.slotsInUse })) },
    { name: "comfy_edge_host_jobs_finished", help: `Per host and final status, ${RECENT}.`, type: "gauge", samples: fromRows(s.finishedByHost) },
    histogram("comfy_edge_job_queue_seconds", "Time from submission to the start of execution on ComfyUI", s.recent.queue),
    histogram("comfy_edge_job_execution_seconds", "ComfyUI's own execution time", s.recent.execution),
    histogram("comfy_edge_job_total_seconds", "Time from submission to the final status", s.recent.total),
    { name: "comfy_edge_job_failures", help: `Failed jobs by error code (docs/errors.md), of ${RECENT}.`, type: "gauge", samples: fromRows(s.failuresByCode) },
    { name: "comfy_edge_job_retries", help: `Retries (attempts - 1, summed) of ${RECENT}.`, type: "gauge", samples: [{ value: s.recent.retries }] },
    { name: "comfy_edge_webhook_deliveries", help: "Webhook deliveries in D1 by outcome (pending = still being retried; kept as long as their job).", type: "gauge", samples: everyValue("status", DELIVERY_STATUSES, s.webhookDeliveries) },
    {
      name: "comfy_edge_rate_limit_refusals_total", help: "Requests refused with 429 RATE_LIMITED since the deployment began; each bucket adds its refusals when its window ends.",
      type: "counter", samples: [{ value: s.rateLimitRefusals }],
    },
  ];
}
