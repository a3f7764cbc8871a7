import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { call } from "../helpers/gateway";

/**
 * GET /metrics in open mode (everyone is admin here; access rules are in test/auth/metrics.test.ts).
 * Rows are written straight into this file's own D1, so every number below is known.
 */
const NOW = Date.now();
const HOST = `gpu-${crypto.randomUUID().slice(0, 6)}`;
const HOST_ID = crypto.randomUUID();
const jobIds: string[] = [];

type JobRow = { status: string; createdAgoMs: number; completedAgoMs?: number; queueMs?: number; executionMs?: number; attempts?: number; error?: string; host?: boolean };
async function insertJob(j: JobRow) {
  const id = crypto.randomUUID();
  jobIds.push(id);
  const completed = j.completedAgoMs === undefined ? null : NOW - j.completedAgoMs;
  await env.DB.prepare(
    `INSERT INTO jobs (id, owner, status, graph_json, attempts, host_id, host_name, error_json, queue_ms, execution_ms, created_at_ms, updated_at_ms, enqueued_at_ms, completed_at_ms)
     VALUES (?, 'owner-a', ?, '{}', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).bind(
    id, j.status, j.attempts ?? 1, j.host ? HOST_ID : null, j.host ? HOST : null, j.error ? JSON.stringify({ error: j.error, message: "m", retryable: false }) : null,
    j.queueMs ?? null, j.executionMs ?? null, NOW - j.createdAgoMs, NOW, NOW - j.createdAgoMs, completed,
  ).run();
}

/** The value of one sample line, e.g. `comfy_edge_jobs{status="queued"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

let text = "";
let contentType: string | null = null;

beforeAll(async () => {
  await env.DB.prepare("INSERT INTO hosts (id, name, url, slots, state, created_at_ms) VALUES (?, ?, 'http://127.0.0.1:9', 3, 'online', ?)").bind(HOST_ID, HOST, NOW).run();
  await insertJob({ status: "queued", createdAgoMs: 90_000 });
  await insertJob({ status: "queued", createdAgoMs: 5_000 });
  await insertJob({ status: "running", createdAgoMs: 10_000, host: true });
  // Finished in the last hour: queue 0.05 s / 0.7 s / 4 s; execution 2 s / 20 s; total 3 s / 30 s / 400 s.
  await insertJob({ status: "succeeded", createdAgoMs: 63_000, completedAgoMs: 60_000, queueMs: 50, executionMs: 2_000, host: true });
  await insertJob({ status: "succeeded", createdAgoMs: 90_000, completedAgoMs: 60_000, queueMs: 700, executionMs: 20_000, attempts: 3, host: true });
  await insertJob({ status: "failed", createdAgoMs: 460_000, completedAgoMs: 60_000, queueMs: 4_000, attempts: 2, error: "COMFYUI_OOM", host: true });
  // Finished two hours ago: in comfy_edge_jobs, outside every recent-window figure.
  await insertJob({ status: "failed", createdAgoMs: 7_300_000, completedAgoMs: 7_200_000, queueMs: 10, executionMs: 10, attempts: 3, error: "COMFYUI_TIMEOUT", host: true });
  await env.DB.prepare(
    "INSERT INTO webhook_deliveries (id, job_id, owner, event, url, status, attempts, created_at_ms, updated_at_ms) VALUES (?, ?, 'owner-a', 'succeeded', 'https://x.example/h', 'failed', 10, ?, ?)",
  ).bind(`${jobIds[3]}:succeeded`, jobIds[3], NOW, NOW).run();
  await env.DB.prepare("INSERT INTO counters (name, value) VALUES ('rate_limit_refusals', 7)").run();

  const r = await call("GET", "/metrics");
  expect(r.status, r.text).toBe(200);
  text = r.text;
  contentType = r.headers.get("content-type");
});

describe("GET /metrics", () => {
  it("answers in the Prometheus text format: HELP and TYPE for each family, then valid sample lines", () => {
    expect(contentType).toBe("text/plain; version=0.0.4; charset=utf-8");
    for (const line of text.trimEnd().split("\n")) {
      expect(line).toMatch(/^(# (HELP|TYPE) comfy_edge_\w+ .+|comfy_edge_\w+(\{(\w+="[^"]*",?)+\})? (-?[\d.e+]+|NaN|[+-]Inf))$/);
    }
    expect(text).toContain("# TYPE comfy_edge_job_queue_seconds histogram\n");
    expect(text).toContain("# TYPE comfy_edge_rate_limit_refusals_total counter\n");
  });

  it("counts jobs by status, every status listed", () => {
    expect(sample(text, 'comfy_edge_jobs{status="queued"}')).toBe(2);
    expect(sample(text, 'comfy_edge_jobs{status="running"}')).toBe(1);
    expect(sample(text, 'comfy_edge_jobs{status="succeeded"}')).toBe(2);
    expect(sample(text, 'comfy_edge_jobs{status="failed"}')).toBe(2);
    expect(sample(text, 'comfy_edge_jobs{status="expired"}')).toBe(0);
  });

  it("gives the queue depth and the age of its oldest job", () => {
    expect(sample(text, "comfy_edge_queue_depth")).toBe(2);
    const age = sample(text, "comfy_edge_queue_oldest_age_seconds")!;
    expect(age).toBeGreaterThanOrEqual(90);
    expect(age).toBeLessThan(150);
  });

  it("describes each host: state, slots, slots in use, and the jobs it finished in the last hour", () => {
    expect(sample(text, `comfy_edge_host_state{host="${HOST}",state="online"}`)).toBe(1);
    expect(sample(text, `comfy_edge_host_state{host="${HOST}",state="offline"}`)).toBe(0);
    expect(sample(text, 'comfy_edge_hosts{state="online"}')).toBe(1);
    expect(sample(text, `comfy_edge_host_slots{host="${HOST}"}`)).toBe(3);
    expect(sample(text, `comfy_edge_host_slots_in_use{host="${HOST}"}`)).toBe(1);
    expect(sample(text, `comfy_edge_host_jobs_finished{host="${HOST}",status="succeeded"}`)).toBe(2);
    expect(sample(text, `comfy_edge_host_jobs_finished{host="${HOST}",status="failed"}`)).toBe(1);
  });

  it("builds the duration histograms from the jobs finished in the last hour only", () => {
    const q = (le: string) => sample(text, `comfy_edge_job_queue_seconds_bucket{le="${le}"}`);
    expect([q("0.1"), q("0.5"), q("1"), q("2.5"), q("5"), q("+Inf")]).toEqual([1, 1, 2, 2, 3, 3]);
    expect(sample(text, "comfy_edge_job_queue_seconds_sum")).toBeCloseTo(4.75);
    expect(sample(text, "comfy_edge_job_queue_seconds_count")).toBe(3);
    // The failed job never reported an execution time.
    expect(sample(text, "comfy_edge_job_execution_seconds_count")).toBe(2);
    expect(sample(text, 'comfy_edge_job_execution_seconds_bucket{le="10"}')).toBe(1);
    expect(sample(text, "comfy_edge_job_execution_seconds_sum")).toBeCloseTo(22);
    expect(sample(text, 'comfy_edge_job_total_seconds_bucket{le="5"}')).toBe(1);
    expect(sample(text, 'comfy_edge_job_total_seconds_bucket{le="30"}')).toBe(2);
    expect(sample(text, 'comfy_edge_job_total_seconds_bucket{le="600"}')).toBe(3);
  });

  it("counts the last hour's failures by error code and its retries (attempts - 1)", () => {
    expect(sample(text, 'comfy_edge_job_failures{code="COMFYUI_OOM"}')).toBe(1);
    expect(sample(text, 'comfy_edge_job_failures{code="COMFYUI_TIMEOUT"}')).toBeUndefined();
    expect(sample(text, "comfy_edge_job_retries")).toBe(3);
  });

  it("counts webhook deliveries by outcome and reports the rate-limit refusals counter", () => {
    expect(sample(text, 'comfy_edge_webhook_deliveries{status="failed"}')).toBe(1);
    expect(sample(text, 'comfy_edge_webhook_deliveries{status="pending"}')).toBe(0);
    expect(sample(text, "comfy_edge_rate_limit_refusals_total")).toBe(7);
  });

  it("never names a job or an owner", () => {
    for (const id of jobIds) expect(text).not.toContain(id);
    expect(text).not.toContain("owner-a");
  });

  it("is served under /v1 too", async () => {
    expect((await call("GET", "/v1/metrics")).status).toBe(200);
  });
});
