import { and, eq, inArray, sql } from "drizzle-orm";
import type { Failure } from "../comfy/classify";
import type { Db } from "../db/client";
import { jobs } from "../db/schema";
import { log } from "../lib/log";
import { retryPolicy } from "./retry";
import { transition } from "./transition";
import type { Progress, StoredOutput } from "./view";

/**
 * What a HostDO records about its attempts. Every write is fenced by the attempt id, so an
 * attempt that has been superseded (re-queued elsewhere, canceled) can no longer change the job.
 */
const fence = (jobId: string, attemptId: string) =>
  and(eq(jobs.id, jobId), eq(jobs.attemptId, attemptId), inArray(jobs.status, ["running", "canceling"]));

/** One statement: the queue time is computed from the row's own created_at_ms. */
export async function markStarted(d: Db, jobId: string, attemptId: string, startedAtMs: number) {
  await d
    .update(jobs)
    .set({ startedAtMs, queueMs: sql`max(0, ${startedAtMs} - ${jobs.createdAtMs})`, updatedAtMs: startedAtMs })
    .where(fence(jobId, attemptId))
    .run();
}

export async function writeProgress(d: Db, jobId: string, attemptId: string, p: Progress, nowMs: number) {
  await d.update(jobs).set({ progressJson: JSON.stringify(p), updatedAtMs: nowMs }).where(fence(jobId, attemptId)).run();
}

/** One statement besides the outbox: queue time and the final progress are computed from the row itself. */
export async function succeed(
  d: Db,
  jobId: string,
  attemptId: string,
  outputs: StoredOutput[],
  timing: { startedAtMs: number | null; executionMs: number | null },
  nowMs: number,
) {
  const max = sql`coalesce(json_extract(${jobs.progressJson}, '$.max'), 1)`;
  return transition(d, jobId, "succeeded", {
    nowMs,
    attemptId,
    set: {
      outputsJson: JSON.stringify(outputs),
      completedAtMs: nowMs,
      executionMs: timing.executionMs,
      ...(timing.startedAtMs !== null
        ? { startedAtMs: timing.startedAtMs, queueMs: sql`max(0, ${timing.startedAtMs} - ${jobs.createdAtMs})` }
        : {}),
      progressJson: sql`json_object('node', json_extract(${jobs.progressJson}, '$.node'), 'value', ${max}, 'max', ${max}, 'percent', 100)`,
      errorJson: null,
    },
  });
}

export async function fail(d: Db, jobId: string, attemptId: string | undefined, f: Failure, nowMs: number) {
  return transition(d, jobId, "failed", {
    nowMs,
    ...(attemptId ? { attemptId } : {}),
    set: { errorJson: JSON.stringify({ error: f.code, message: f.message, details: f.details, retryable: f.retryable }), completedAtMs: nowMs },
  });
}

export async function markCanceled(d: Db, jobId: string, attemptId: string, nowMs: number) {
  return transition(d, jobId, "canceled", { nowMs, attemptId, from: ["canceling"], set: { completedAtMs: nowMs } });
}

/**
 * A retryable fault: back to `queued` (to run on any host) while attempts remain, else failed with
 * the fault recorded as retryable. A job being canceled is canceled instead.
 */
export async function requeueOrFail(
  d: Db,
  queue: Queue,
  jobId: string,
  attemptId: string,
  f: Failure,
  maxAttempts: number,
  nowMs: number,
): Promise<"requeued" | "failed" | "canceled" | "gone"> {
  const row = await d.select({ attempts: jobs.attempts, status: jobs.status, attemptId: jobs.attemptId }).from(jobs).where(eq(jobs.id, jobId)).get();
  if (!row || row.attemptId !== attemptId) return "gone";
  if (row.status === "canceling") return (await markCanceled(d, jobId, attemptId, nowMs)) ? "canceled" : "gone";
  const decision = retryPolicy(row.attempts, f.code, maxAttempts);
  if (decision.retry) {
    const moved = await transition(d, jobId, "queued", {
      nowMs,
      attemptId,
      from: ["running"],
      // attemptId cleared: whatever the superseded attempt still reports can no longer match the job.
      set: { attemptId: null, enqueuedAtMs: nowMs, progressJson: null, errorJson: JSON.stringify({ error: f.code, message: f.message, retryable: true }) },
    });
    if (!moved) return "gone";
    await queue.send({ jobId }).catch((e) => log.warn("queue.send_failed", { jobId, error: String(e) }));
    return "requeued";
  }
  const message = decision.reason === "exhausted" ? `${f.message} (gave up after ${row.attempts} attempts)` : f.message;
  return (await fail(d, jobId, attemptId, { ...f, message, retryable: f.retryable }, nowMs)) ? "failed" : "gone";
}
