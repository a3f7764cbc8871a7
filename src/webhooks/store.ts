import { and, asc, eq, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { webhookAttempts, webhookDeliveries } from "../db/schema";
import type { NextStep } from "./policy";
import { isTerminalEvent } from "../jobs/events";
import { recordOnJob, type DeliverySummary } from "../jobs/webhook-state";

/** D1 is the truth about deliveries; every write below is conditional, so a duplicate message changes nothing. */
export type DeliveryRow = typeof webhookDeliveries.$inferSelect;
export type AttemptRow = typeof webhookAttempts.$inferSelect;

export const getDelivery = (d: Db, id: string) => d.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, id)).get();

export const attemptsOf = (d: Db, id: string) =>
  d.select().from(webhookAttempts).where(eq(webhookAttempts.deliveryId, id)).orderBy(asc(webhookAttempts.attempt)).all();

/**
 * Takes attempt `n`: only one consumer gets it, however many messages name it. The lease
 * (next_attempt_at_ms) covers the attempt's timeout, so the sweep leaves a live attempt alone and
 * picks up one whose consumer died.
 */
export async function claimAttempt(d: Db, id: string, n: number, leaseUntilMs: number, nowMs: number): Promise<DeliveryRow | null> {
  const rows = await d
    .update(webhookDeliveries)
    .set({ attempts: n, nextAttemptAtMs: leaseUntilMs, updatedAtMs: nowMs })
    .where(and(eq(webhookDeliveries.id, id), eq(webhookDeliveries.status, "pending"), eq(webhookDeliveries.attempts, n - 1)))
    .returning();
  return rows[0] ?? null;
}

export type AttemptRecord = { atMs: number; statusCode: number | null; latencyMs: number | null; error: string | null; snippet: string | null };

/** The attempt's row, the delivery's new state and, for a terminal event, its job's webhook field: one batch. */
export async function recordAttempt(d: Db, row: DeliveryRow, n: number, a: AttemptRecord, step: NextStep, nowMs: number) {
  const status = step.kind === "succeeded" ? "succeeded" : step.kind === "failed" ? "failed" : "pending";
  const lastError = step.kind === "failed" ? [a.error, step.why].filter(Boolean).join("; ") : a.error;
  const done = status !== "pending";
  const summary: DeliverySummary = { id: row.id, status, attempts: n, lastStatusCode: a.statusCode, lastError, createdAtMs: row.createdAtMs };
  await d.batch([
    d.insert(webhookAttempts)
      .values({ deliveryId: row.id, attempt: n, atMs: a.atMs, statusCode: a.statusCode, latencyMs: a.latencyMs, error: a.error, responseSnippet: a.snippet })
      .onConflictDoNothing(),
    d.update(webhookDeliveries)
      .set({
        status,
        nextAttemptAtMs: step.kind === "retry" ? nowMs + step.delayMs : null,
        lastStatusCode: a.statusCode,
        lastError,
        updatedAtMs: nowMs,
        completedAtMs: done ? nowMs : null,
      })
      .where(and(eq(webhookDeliveries.id, row.id), eq(webhookDeliveries.attempts, n), eq(webhookDeliveries.status, "pending"))),
    ...(isTerminalEvent(row.event) ? [recordOnJob(d, row.jobId, summary)] : []),
  ]);
}

/** Ends a delivery whose attempts were used up without a result (a consumer died mid-attempt). */
export async function giveUp(d: Db, row: DeliveryRow, why: string, nowMs: number) {
  const summary: DeliverySummary = { id: row.id, status: "failed", attempts: row.attempts, lastStatusCode: row.lastStatusCode, lastError: why, createdAtMs: row.createdAtMs };
  await d.batch([
    d.update(webhookDeliveries)
      .set({ status: "failed", nextAttemptAtMs: null, lastError: why, updatedAtMs: nowMs, completedAtMs: nowMs })
      .where(and(eq(webhookDeliveries.id, row.id), eq(webhookDeliveries.attempts, row.attempts), eq(webhookDeliveries.status, "pending"))),
    ...(isTerminalEvent(row.event) ? [recordOnJob(d, row.jobId, summary)] : []),
  ]);
}

/**
 * Pending deliveries whose next attempt is long overdue (their queue message was lost, or the
 * consumer died mid-attempt): marked due now and returned, so the caller sends them again.
 */
export async function overdueDeliveries(d: Db, cutoffMs: number, nowMs: number, limit = 100) {
  return d.all<{ id: string; attempts: number }>(sql`UPDATE webhook_deliveries SET next_attempt_at_ms = ${nowMs}, updated_at_ms = ${nowMs}
    WHERE id IN (SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at_ms < ${cutoffMs} LIMIT ${limit})
    RETURNING id, attempts`);
}
