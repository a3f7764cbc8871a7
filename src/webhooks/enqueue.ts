import { db } from "../db/client";
import { webhookDeliveries } from "../db/schema";
import { config, type Env } from "../env";
import { ApiError } from "../errors";
import { errorFields, log } from "../lib/log";
import { deliveryIdFor, isTerminalEvent, redeliveryIdFor, type OptionalEvent } from "../jobs/events";
import { recordOnJob } from "../jobs/webhook-state";
import { eventOutbox } from "./outbox";
import { webhookSettings } from "./settings";
import { overdueDeliveries, type DeliveryRow } from "./store";

/** The WEBHOOKS queue carries wake-ups: "attempt n of this delivery is due". D1 holds everything else. */
export type WebhookMessage = { deliveryId: string; attempt: number };

/** Queues take whole seconds, up to 24 hours. */
export const queueDelayS = (ms: number) => Math.min(86_400, Math.max(0, Math.floor(ms / 1000)));

async function send(env: Env, messages: WebhookMessage[], delayMs = 0) {
  if (messages.length === 0) return;
  try {
    await env.WEBHOOKS.sendBatch(messages.map((body) => ({ body, delaySeconds: queueDelayS(delayMs) })));
  } catch (e) {
    // The rows are in D1; the sweep sends what a failed send left behind.
    log.warn("webhook.send_failed", { deliveries: messages.map((m) => m.deliveryId), ...errorFields(e) });
  }
}

export const sendAttempt = (env: Env, m: WebhookMessage, delayMs = 0) => send(env, [m], delayMs);

/**
 * A `started` or `progress` event, for jobs that asked for it. Progress ids carry their throttle
 * window, so however often this is called, a job gets at most one progress delivery per window.
 */
export async function emitEvent(env: Env, jobId: string, event: OptionalEvent, nowMs: number): Promise<void> {
  try {
    const interval = webhookSettings(config(env)).progressIntervalMs;
    const id = event === "progress" ? deliveryIdFor(jobId, event, Math.floor(nowMs / interval)) : deliveryIdFor(jobId, event);
    const res = await eventOutbox(db(env.DB), id, jobId, event, nowMs);
    if ((res.meta?.changes ?? 0) > 0) await sendAttempt(env, { deliveryId: id, attempt: 1 });
  } catch (e) {
    log.warn("webhook.emit_failed", { jobId, event, ...errorFields(e) });
  }
}

/**
 * Sends a finished delivery's message again, as a new delivery with its own attempts (the
 * original's history stays as it was) and the same `webhook-id`, so a receiver that did process
 * the first one can tell.
 */
export async function redeliver(env: Env, source: DeliveryRow, nowMs: number): Promise<DeliveryRow> {
  if (source.status === "pending") {
    throw new ApiError("CONFLICT", "This delivery is still being attempted; redeliver it once it has succeeded or failed");
  }
  const d = db(env.DB);
  const row: DeliveryRow = {
    id: redeliveryIdFor(source.id, crypto.randomUUID().slice(0, 8)),
    jobId: source.jobId,
    owner: source.owner,
    event: source.event,
    url: source.url,
    status: "pending",
    attempts: 0,
    nextAttemptAtMs: nowMs,
    lastStatusCode: null,
    lastError: null,
    createdAtMs: nowMs,
    updatedAtMs: nowMs,
    completedAtMs: null,
  };
  await d.batch([
    d.insert(webhookDeliveries).values(row),
    ...(isTerminalEvent(row.event)
      ? [recordOnJob(d, row.jobId, { id: row.id, status: "pending", attempts: 0, lastStatusCode: null, lastError: null, createdAtMs: nowMs })]
      : []),
  ]);
  log.info("webhook.redelivery", { deliveryId: row.id, of: source.id, jobId: row.jobId });
  await sendAttempt(env, { deliveryId: row.id, attempt: 1 });
  return row;
}

const OVERDUE_AFTER_MS = 60_000;

/** For the cron sweep: re-sends deliveries whose message was lost or whose consumer died mid-attempt. */
export async function resendOverdue(env: Env, nowMs: number): Promise<number> {
  const rows = await overdueDeliveries(db(env.DB), nowMs - OVERDUE_AFTER_MS, nowMs);
  await send(env, rows.map((r) => ({ deliveryId: r.id, attempt: r.attempts + 1 })));
  return rows.length;
}
