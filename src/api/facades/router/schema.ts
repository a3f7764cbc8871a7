import { z } from "zod";
import { SafeName, SafeText } from "../../../schemas/common";

/**
 * Comfy Router's `POST /workflow` body, as its clients send it (its serde types: an enum tagged
 * `type` with `params`; models and images tagged `type` with `name` / `content`). Every field it
 * knows is accepted; fields it required that have a sensible default here are optional. Anything
 * else is refused, so a misspelt parameter is a 400 rather than silently unused.
 */
export const RouterModel = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("build_in").describe("A model file already on the hosts"), name: SafeName.min(1).max(255) }),
  z.strictObject({ type: z.literal("custom").describe("A model URL (Comfy Router downloads it; refused here: install it on the hosts)"), name: z.string().max(2048) }),
]);
export type RouterModel = z.infer<typeof RouterModel>;

export const RouterImage = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("url").describe("An https URL, fetched once and cached"), content: z.string().min(1).max(2048) }),
  z.strictObject({ type: z.literal("base64").describe("The image's bytes as base64 (or a data: URI)"), content: z.string().min(1).max(100 * 1024 * 1024) }),
]);
export type RouterImage = z.infer<typeof RouterImage>;

/** LoRAs and ControlNets are read so their presence can be refused with a clear message. */
const Extra = z.looseObject({}).array().max(32);

const Sampling = {
  prompt: SafeText.max(10_000),
  negative_prompt: SafeText.max(10_000).optional(),
  loras: Extra.optional(),
  controlnets: Extra.optional(),
  input_image: RouterImage.nullish(),
  input_mask: RouterImage.nullish(),
  denoise: z.number().nullish(),
  width: z.int().optional(),
  height: z.int().optional(),
  batch_size: z.int().optional(),
  sampler: z.string().max(64).optional(),
  scheduler: z.string().max(64).optional(),
  steps: z.int().optional(),
  cfg_scale: z.number().optional(),
  seed: z.int().min(0).nullish(),
};

const Checkpoint = { checkpoint: RouterModel.optional(), vae: RouterModel.nullish() };
const Flux = {
  unet: RouterModel.optional(),
  unet_dtype: z.string().max(64).optional(),
  unet_type: z.enum(["dev", "schnell"]).optional(),
  vae: RouterModel.nullish(),
  t5xxl: RouterModel.optional(),
  clip: RouterModel.optional(),
};

export const RouterWorkflowRequest = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("SD15"), params: z.strictObject({ ...Sampling, ...Checkpoint }) }),
  z.strictObject({ type: z.literal("SDXL"), params: z.strictObject({ ...Sampling, ...Checkpoint }) }),
  z.strictObject({ type: z.literal("Flux"), params: z.strictObject({ ...Sampling, ...Flux }) }),
]);
export type RouterWorkflowRequest = z.infer<typeof RouterWorkflowRequest>;
export type RouterFamily = RouterWorkflowRequest["type"];

export const RouterTaskCreated = z.object({
  id: z.string().describe("The task id: our job id (GET /jobs/{id} shows the same job)"),
  workflowId: z.string().describe("The stored workflow that runs it"),
  ignored: z.array(z.string()).describe("Parameters this deployment's workflow has no input for, left out (model choices, sizes on image-to-image)"),
});

/** Comfy Router's task result: `status` with `data` as Comfy Router puts it, and our job beside. */
export const RouterTaskResult = z.object({
  id: z.string(),
  status: z.enum(["pending", "running", "done", "error"]),
  data: z.unknown().describe("pending: jobs ahead; running: { progress 0–1, previews: [] }; done: each image's bytes as an array of numbers; error: the message"),
  omitted: z.array(z.string()).optional().describe("done: images left out of data for size; their links are in job.outputs"),
  job: z.unknown().describe("The job as GET /jobs/{id} shows it"),
});
