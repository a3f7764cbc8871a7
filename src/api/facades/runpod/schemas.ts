import { z } from "zod";
import { Graph, InputImage } from "../../../schemas/job";

/** The RunPod facade's requests and answers as /openapi.json documents them (map.ts builds the answers). */

/** The request body as documented in /openapi.json (validation itself is toSubmitJob). */
export const RunPodRunBody = z.object({
  input: z.object({
    workflow: Graph,
    images: z.array(InputImage).max(16).optional().describe("Input files: { name, image: base64 or data URI }"),
    api_key_comfy_org: z.string().optional().describe("Comfy.org API key for API nodes, for this job only"),
  }),
  webhook: z.string().optional().describe("An https URL that receives the RunPod status payload (signed like all our webhooks) when the job ends"),
  s3Config: z.record(z.string(), z.unknown()).optional().describe("Present: outputs come back as signed links (type s3_url); its bucket is not used"),
  policy: z.object({ executionTimeout: z.int().optional().describe("The job's deadline in ms") }).optional(),
});

const RunPodImageSchema = z.object({ filename: z.string(), type: z.enum(["base64", "s3_url"]), data: z.string() });
export const RunPodJobSchema = z.object({
  id: z.string(),
  status: z.enum(["IN_QUEUE", "IN_PROGRESS", "COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT"]),
  delayTime: z.number().optional().describe("ms in the queue"),
  executionTime: z.number().optional().describe("ms running"),
  output: z.object({ images: z.array(RunPodImageSchema), errors: z.array(z.string()).optional(), status: z.literal("success_no_images").optional() }).optional(),
  error: z.string().optional().describe("`<CODE>: <message>` with our error code (docs/errors.md)"),
});
export const RunPodHealthSchema = z.object({
  jobs: z.object({ completed: z.number(), failed: z.number(), inProgress: z.number(), inQueue: z.number(), retried: z.number() }),
  workers: z.object({ idle: z.number(), initializing: z.number(), ready: z.number(), running: z.number(), throttled: z.number(), unhealthy: z.number() }),
});
export const RunPodStreamSchema = z.object({ status: RunPodJobSchema.shape.status, stream: z.array(z.object({ output: z.unknown() })), error: z.string().optional() });
export const RunPodPurgeSchema = z.object({ removed: z.number(), status: z.literal("completed") });
export const RunPodCancelSchema = RunPodJobSchema.pick({ id: true, status: true });

/** `?wait=` in ms, as RunPod's runsync and status-sync take it. */
export const WaitQuery = (defaultMs: number) => z.strictObject({
  wait: z.coerce.number().int().min(0).max(300_000).default(defaultMs).describe("ms to wait for the job to end"),
});
