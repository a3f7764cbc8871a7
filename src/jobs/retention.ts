import { and, inArray, lt } from "drizzle-orm";
import type { Db } from "../db/client";
import { idempotencyKeys, jobs, webhookAttempts, webhookDeliveries } from "../db/schema";
import { outputPrefix } from "../storage/keys";
import { TERMINAL } from "./states";

const DAY_MS = 86_400_000;

/** Jobs that ended before this instant are past retention; null = keep forever (OUTPUT_RETENTION_DAYS = 0). Pure. */
export const retentionCutoffMs = (days: number, nowMs: number): number | null => (days > 0 ? nowMs - days * DAY_MS : null);

/** Deletes every R2 object under outputs/<jobId>/ (listed a page at a time). */
async function deleteOutputs(bucket: R2Bucket, jobId: string): Promise<number> {
  let deleted = 0;
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ prefix: outputPrefix(jobId), limit: 1000, ...(cursor ? { cursor } : {}) });
    if (page.objects.length) await bucket.delete(page.objects.map((o) => o.key));
    deleted += page.objects.length;
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return deleted;
}

/**
 * Deletes finished jobs for good: their outputs in R2 first, then their rows (job, idempotency
 * records, webhook deliveries and attempts) in one D1 batch. Only terminal jobs are touched, whatever
 * ids are passed. At most 50 ids a call, so every IN list stays far below D1's bound-parameter limit.
 */
export async function deleteFinishedJobs(d: Db, bucket: R2Bucket, ids: string[]): Promise<{ jobs: number; objects: number }> {
  if (ids.length > 50) throw new Error("deleteFinishedJobs: at most 50 ids at a time");
  if (ids.length === 0) return { jobs: 0, objects: 0 };
  const finished = (await d.select({ id: jobs.id }).from(jobs).where(and(inArray(jobs.id, ids), inArray(jobs.status, [...TERMINAL]))).all()).map((r) => r.id);
  if (finished.length === 0) return { jobs: 0, objects: 0 };
  let objects = 0;
  for (const id of finished) objects += await deleteOutputs(bucket, id);
  const deliveryIds = (await d.select({ id: webhookDeliveries.id }).from(webhookDeliveries).where(inArray(webhookDeliveries.jobId, finished)).all()).map((r) => r.id);
  const jobRows = d.delete(jobs).where(and(inArray(jobs.id, finished), inArray(jobs.status, [...TERMINAL])));
  const deliveries = d.delete(webhookDeliveries).where(inArray(webhookDeliveries.jobId, finished));
  const keys = d.delete(idempotencyKeys).where(inArray(idempotencyKeys.jobId, finished));
  if (deliveryIds.length) await d.batch([d.delete(webhookAttempts).where(inArray(webhookAttempts.deliveryId, deliveryIds)), deliveries, keys, jobRows]);
  else await d.batch([deliveries, keys, jobRows]);
  return { jobs: finished.length, objects };
}

/** The sweep's retention step: a bounded batch of the oldest jobs that ended before the cutoff. */
export async function sweepRetention(d: Db, bucket: R2Bucket, days: number, nowMs: number, batch = 50): Promise<{ jobs: number; objects: number }> {
  const cutoff = retentionCutoffMs(days, nowMs);
  if (cutoff === null) return { jobs: 0, objects: 0 };
  const old = await d.select({ id: jobs.id }).from(jobs)
    .where(and(inArray(jobs.status, [...TERMINAL]), lt(jobs.completedAtMs, cutoff)))
    .orderBy(jobs.completedAtMs).limit(Math.min(batch, 50)).all();
  return deleteFinishedJobs(d, bucket, old.map((r) => r.id));
}
