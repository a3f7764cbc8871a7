import { z } from "zod";
import { Uuid } from "./common";

export const DELIVERY_STATUSES = ["pending", "succeeded", "failed"] as const;

export const ListDeliveriesQuery = z.strictObject({
  jobId: Uuid.optional().describe("Only this job's deliveries"),
  status: z.enum(DELIVERY_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(300).optional(),
});

export const DeliverySchema = z.object({
  id: z.string().describe("The delivery; a redelivery has an id of its own"),
  webhookId: z.string().describe("The `webhook-id` header: the same on every attempt and every redelivery of a message"),
  jobId: z.string(),
  event: z.string().describe("succeeded, failed, canceled, expired, started or progress"),
  url: z.string(),
  status: z.enum(DELIVERY_STATUSES).describe("pending while attempts remain; failed is the dead letter"),
  attempts: z.number(),
  nextAttemptAt: z.string().nullable(),
  lastStatusCode: z.number().nullable(),
  lastError: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  completedAt: z.string().nullable(),
});
export type DeliveryView = z.infer<typeof DeliverySchema>;

export const AttemptSchema = z.object({
  attempt: z.number(),
  at: z.string(),
  statusCode: z.number().nullable(),
  latencyMs: z.number().nullable(),
  error: z.string().nullable(),
  responseSnippet: z.string().nullable().describe("The first KiB of the receiver's answer"),
});

export const DeliveryDetailSchema = DeliverySchema.extend({ attemptLog: z.array(AttemptSchema) });
export const DeliveryListSchema = z.object({ items: z.array(DeliverySchema), count: z.number(), nextCursor: z.string().nullable() });
