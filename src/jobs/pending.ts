import { getTableColumns } from "drizzle-orm";
import { jobs, type JobRow } from "../db/schema";
import { ApiError } from "../errors";
import { PENDING, sqlList } from "./states";

/**
 * Pending limits: queued + running (+ canceling) jobs per owner and across the deployment. The
 * check is part of the INSERT itself (INSERT … SELECT … WHERE count < limit), so D1's serialised
 * writes make it exact under any number of concurrent submissions: a limit is never overshot.
 */
export type PendingLimits = { owner: number; global: number };
export const NO_PENDING_LIMITS: PendingLimits = { owner: 0, global: 0 };

/** A client over its pending limit is told to come back after this long. */
export const QUEUE_FULL_RETRY_AFTER_S = 10;

const PENDING_SQL = `status IN (${sqlList(PENDING)})`;

/** The job row, inserted only while the owner and the deployment are under their limits (0 = none). */
export function insertJobUnderLimits(d1: D1Database, row: JobRow, limits: PendingLimits): D1PreparedStatement {
  const cols = Object.entries(getTableColumns(jobs));
  const params: unknown[] = cols.map(([k]) => (row as Record<string, unknown>)[k] ?? null);
  const conds: string[] = [];
  if (limits.owner > 0) {
    conds.push(`(SELECT count(*) FROM jobs WHERE owner = ? AND ${PENDING_SQL}) < ?`);
    params.push(row.owner, limits.owner);
  }
  if (limits.global > 0) {
    conds.push(`(SELECT count(*) FROM jobs WHERE ${PENDING_SQL}) < ?`);
    params.push(limits.global);
  }
  const sql =
    `INSERT INTO jobs (${cols.map(([, c]) => `"${c.name}"`).join(", ")}) SELECT ${cols.map(() => "?").join(", ")}` +
    (conds.length ? ` WHERE ${conds.join(" AND ")}` : "");
  return d1.prepare(sql).bind(...params);
}

/** The idempotency record, written only if its job was (same batch): a refused submission leaves no trace. */
export function insertIdempotencyForJob(d1: D1Database, rec: { owner: string; key: string; requestHash: string; jobId: string; createdAtMs: number }): D1PreparedStatement {
  return d1
    .prepare(
      `INSERT INTO idempotency_keys (owner, key, request_hash, job_id, created_at_ms) SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM jobs WHERE id = ?)`,
    )
    .bind(rec.owner, rec.key, rec.requestHash, rec.jobId, rec.createdAtMs, rec.jobId);
}

export async function pendingCounts(d1: D1Database, owner: string): Promise<{ owner: number; global: number }> {
  const r = await d1
    .prepare(`SELECT (SELECT count(*) FROM jobs WHERE owner = ? AND ${PENDING_SQL}) AS owner, (SELECT count(*) FROM jobs WHERE ${PENDING_SQL}) AS global`)
    .bind(owner)
    .first<{ owner: number; global: number }>();
  return { owner: r?.owner ?? 0, global: r?.global ?? 0 };
}

/** 429 QUEUE_FULL, naming the limit that was reached (counts read after the refused insert). */
export async function queueFullError(d1: D1Database, owner: string, limits: PendingLimits): Promise<ApiError> {
  const counts = await pendingCounts(d1, owner);
  const ownerFull = limits.owner > 0 && counts.owner >= limits.owner;
  const message = ownerFull || limits.global <= 0
    ? `Too many pending jobs: this owner has ${counts.owner} queued or running (limit ${limits.owner}). Retry when some have finished.`
    : `The gateway's queue is full: ${counts.global} jobs queued or running (limit ${limits.global}). Retry shortly.`;
  return new ApiError("QUEUE_FULL", message, {
    retryable: true,
    headers: { "Retry-After": String(QUEUE_FULL_RETRY_AFTER_S) },
    details: ownerFull || limits.global <= 0 ? { scope: "owner", pending: counts.owner, limit: limits.owner } : { scope: "global", pending: counts.global, limit: limits.global },
  });
}
