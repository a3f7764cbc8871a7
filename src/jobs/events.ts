import type { JobStatus } from "./states";

/**
 * The events a job's callbackUrl receives. A terminal event (the job's final status) is always
 * sent; `started` and (throttled) `progress` only when the job asked for them in `events`.
 */
import { OPTIONAL_EVENTS } from "../schemas/job";

export { OPTIONAL_EVENTS };
export type OptionalEvent = (typeof OPTIONAL_EVENTS)[number];
export type TerminalEvent = Extract<JobStatus, "succeeded" | "failed" | "canceled" | "expired">;
export type WebhookEvent = OptionalEvent | TerminalEvent;

export const isTerminalEvent = (e: string): e is TerminalEvent => e === "succeeded" || e === "failed" || e === "canceled" || e === "expired";

/**
 * Delivery ids are deterministic, so writing one twice (a duplicate queue message, two writers
 * racing a job to its end) is an INSERT OR IGNORE of the same row: one terminal delivery per job.
 * Progress ids carry the throttle window, so there is at most one per window.
 */
export const deliveryIdFor = (jobId: string, event: WebhookEvent, window?: number) =>
  window === undefined ? `${jobId}:${event}` : `${jobId}:${event}:${window}`;

/** A redelivery is a delivery of its own (own attempts, own budget) of the same message. */
export const redeliveryIdFor = (sourceId: string, random: string) => `${messageIdOf(sourceId)}~${random}`;

/** The message a delivery carries, sent as `webhook-id`: the same on every attempt and every redelivery. */
export const messageIdOf = (deliveryId: string) => deliveryId.split("~")[0]!;

export const DELIVERY_ID = /^[0-9a-f-]{36}:[a-z]+(:\d+)?(~[0-9a-f]{8})?$/;
