import { eq } from "drizzle-orm";
import { renderCtx } from "../watch/render";
import { db } from "../db/client";
import { jobs, type JobRow } from "../db/schema";
import { config, type Env } from "../env";
import { toJobView } from "../jobs/view";
import { withInlineOutputs } from "../jobs/inline";
import { toRunPodJob } from "../api/facades/runpod/map";
import { log } from "../lib/log";
import { checkCallbackUrl } from "./callback";
import { messageIdOf } from "../jobs/events";
import { stateOf } from "../jobs/webhook-state";
import { nextStep, type AttemptResult, type NextStep } from "./policy";
import { maxAttemptsFor, webhookSettings } from "./settings";
import { signatureHeaders } from "./sign";
import { recordAttempt, type DeliveryRow } from "./store";

const SNIPPET_BYTES = 1024;
const USER_AGENT = "Comfy-Edge-Webhooks/1";

/**
 * One attempt of one delivery, already claimed: build the body from the job as it is now (so
 * output links are fresh on every attempt), check the URL again, POST it once, record the attempt
 * and the delivery's next step in D1, and return that step for the consumer to schedule.
 */
export async function attemptDelivery(env: Env, row: DeliveryRow, attempt: number): Promise<NextStep> {
  const s = webhookSettings(config(env));
  const d = db(env.DB);
  const startedAtMs = Date.now();
  const job = await d.select().from(jobs).where(eq(jobs.id, row.jobId)).get();
  let result: AttemptResult;
  let snippet: string | null = null;
  let latencyMs: number | null = null;
  const target = checkCallbackUrl(row.url, s.callbacks);
  if (!job) result = { kind: "refused", reason: "the job no longer exists" };
  else if (!target.ok) result = { kind: "refused", reason: target.message };
  else {
    const body = await webhookBody(env, job, row.event, s.publicUrl);
    const headers = {
      "content-type": "application/json",
      "user-agent": USER_AGENT,
      ...(await signatureHeaders({ current: s.current, previous: s.previous, msgId: messageIdOf(row.id), timestampS: Math.floor(Date.now() / 1000), body })),
    };
    const sentAt = Date.now();
    ({ result, snippet } = await post(target.url, headers, body, s.timeoutMs));
    latencyMs = Date.now() - sentAt;
  }
  const nowMs = Date.now();
  const step = nextStep(result, attempt, { ...s.backoff, maxAttempts: maxAttemptsFor(row.event, s), nowMs });
  const statusCode = result.kind === "response" ? result.status : null;
  await recordAttempt(d, row, attempt, { atMs: startedAtMs, statusCode, latencyMs, error: describe(result), snippet }, step, nowMs);
  log[step.kind === "failed" ? "warn" : "info"]("webhook.attempt", {
    deliveryId: row.id, jobId: row.jobId, event: row.event, attempt, statusCode, latencyMs, error: describe(result), next: step.kind,
    ...(step.kind === "retry" ? { delayMs: step.delayMs } : {}),
  });
  return step;
}

/**
 * The job exactly as GET /jobs/:id shows it (outputs inline when it asked), with the event first
 * and `jobId` (= `id`): ComfyUI Gateway's receivers read `jobId`, so theirs keep working unchanged.
 * A job that came through the RunPod facade gets RunPod's payload, as its /status shows it.
 */
export async function webhookBody(env: Env, job: JobRow, event: string, publicUrl: string | null): Promise<string> {
  const origin = publicUrl ?? stateOf(job).origin ?? "";
  const plain = await toJobView(job, { queuePosition: null, ...renderCtx(env, origin) });
  const view = await withInlineOutputs(plain, job, env.OUTPUTS, config(env).INLINE_OUTPUT_MAX_BYTES);
  if (job.facade === "runpod") return JSON.stringify(toRunPodJob(view, Date.now()));
  return JSON.stringify({ event, jobId: view.id, ...view });
}

/**
 * POSTs once. Redirects come back as responses (never followed: a 3xx could point anywhere,
 * including at a private address); the timeout covers the whole exchange, snippet included.
 */
async function post(url: URL, headers: Record<string, string>, body: string, timeoutMs: number): Promise<{ result: AttemptResult; snippet: string | null }> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const res = await fetch(url, { method: "POST", headers, body, redirect: "manual", signal });
    return { result: { kind: "response", status: res.status, retryAfter: res.headers.get("retry-after") }, snippet: await readSnippet(res) };
  } catch (e) {
    if (signal.aborted) return { result: { kind: "timeout", afterMs: timeoutMs }, snippet: null };
    return { result: { kind: "network", error: e instanceof Error ? e.message : String(e) }, snippet: null };
  }
}

/** At most the first SNIPPET_BYTES of the response, for the attempt log; the rest is never read. */
async function readSnippet(res: Response): Promise<string | null> {
  if (!res.body) return null;
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < SNIPPET_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // A body cut short (or the timeout firing) leaves what was read; the status already counts.
  } finally {
    reader.cancel().catch(() => undefined);
  }
  const bytes = new Uint8Array(Math.min(size, SNIPPET_BYTES));
  let at = 0;
  for (const c of chunks) {
    if (at >= bytes.length) break;
    bytes.set(c.subarray(0, bytes.length - at), at);
    at += c.byteLength;
  }
  const text = new TextDecoder().decode(bytes);
  return text.length ? text : null;
}

function describe(r: AttemptResult): string | null {
  switch (r.kind) {
    case "response":
      return r.status >= 200 && r.status < 300 ? null : `HTTP ${r.status}`;
    case "timeout":
      return `no response within ${r.afterMs} ms`;
    case "network":
      return `network error: ${r.error}`;
    case "refused":
      return `not sent: ${r.reason}`;
  }
}
