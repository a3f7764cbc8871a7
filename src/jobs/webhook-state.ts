import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { jobs, type JobRow } from "../db/schema";
import { isTerminal, type JobStatus } from "./states";
import { deliveryIdFor, type TerminalEvent } from "./events";

/**
 * jobs.webhook_json: what a job keeps about its webhook. `origin` is the origin of the request that
 * created the job (links in webhook bodies use it when PUBLIC_URL is unset); `delivery` summarises
 * the newest delivery of its terminal event, which is what the job's `webhook` field shows.
 */
export type JobWebhookState = { origin?: string; delivery?: DeliverySummary };
export type DeliverySummary = {
  id: string;
  status: "pending" | "succeeded" | "failed";
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAtMs: number;
};

export type JobWebhookView = {
  deliveryId: string | null;
  status: "waiting" | "pending" | "succeeded" | "failed";
  attempts: number;
  lastStatusCode: number | null;
  error: { error: "WEBHOOK_DELIVERY_FAILED"; message: string; retryable: true } | null;
};

export const initialState = (origin: string): string => JSON.stringify({ origin } satisfies JobWebhookState);

export function stateOf(row: Pick<JobRow, "webhookJson">): JobWebhookState {
  if (!row.webhookJson) return {};
  try {
    return JSON.parse(row.webhookJson) as JobWebhookState;
  } catch {
    return {};
  }
}

/**
 * The job's `webhook` field: null without a callbackUrl; `waiting` until the job ends; then its
 * terminal delivery. A failed one carries WEBHOOK_DELIVERY_FAILED, and the job's own status and
 * error stay what they were: a job's outcome never depends on its webhook.
 */
export function jobWebhookView(row: Pick<JobRow, "id" | "status" | "callbackUrl" | "webhookJson">): JobWebhookView | null {
  if (!row.callbackUrl) return null;
  if (!isTerminal(row.status as JobStatus)) return { deliveryId: null, status: "waiting", attempts: 0, lastStatusCode: null, error: null };
  const d = stateOf(row).delivery;
  if (!d) return { deliveryId: deliveryIdFor(row.id, row.status as TerminalEvent), status: "pending", attempts: 0, lastStatusCode: null, error: null };
  return {
    deliveryId: d.id,
    status: d.status,
    attempts: d.attempts,
    lastStatusCode: d.lastStatusCode,
    error: d.status === "failed"
      ? { error: "WEBHOOK_DELIVERY_FAILED", message: `The webhook could not be delivered (${d.lastError ?? "no detail"}); redeliver it with POST /webhooks/deliveries/${d.id}/redeliver`, retryable: true }
      : null,
  };
}

/** Records a terminal delivery's progress on its job, unless a newer delivery (a redelivery) already speaks for it. */
export function recordOnJob(d: Db, jobId: string, summary: DeliverySummary) {
  return d
    .update(jobs)
    .set({ webhookJson: sql`json_set(coalesce(${jobs.webhookJson}, '{}'), '$.delivery', json(${JSON.stringify(summary)}))` })
    .where(and(eq(jobs.id, jobId), sql`coalesce(json_extract(${jobs.webhookJson}, '$.delivery.createdAtMs'), 0) <= ${summary.createdAtMs}`));
}
