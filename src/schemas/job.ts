import { z } from "zod";
import { Id, Metadata, SafeName, SafeText, Uuid } from "./common";

/** Every status a job can have (the moves between them: src/jobs/states.ts). */
export const JOB_STATUSES = ["queued", "running", "canceling", "succeeded", "failed", "canceled", "expired"] as const;
/** The webhook events a job may ask for besides its terminal one (src/jobs/events.ts). */
export const OPTIONAL_EVENTS = ["started", "progress"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
/** The statuses by name, so code and SQL spell them one way: `STATUS.queued`. */
export const STATUS = Object.fromEntries(JOB_STATUSES.map((s) => [s, s])) as { readonly [S in JobStatus]: S };
/** Holding a host slot. */
export const ACTIVE: readonly JobStatus[] = [STATUS.running, STATUS.canceling];
/** Counted against the pending limits, and keeping their input files. */
export const PENDING: readonly JobStatus[] = [STATUS.queued, ...ACTIVE];
/** Statuses as SQL literals, for queries written by hand: `status IN (${sqlList(ACTIVE)})`. */
export const sqlList = (xs: readonly JobStatus[]) => xs.map((s) => `'${s}'`).join(", ");

/** A ComfyUI API-format graph: node id → { class_type, inputs }. Links are [node id, output slot]. */
export const GraphNode = z.looseObject({
  class_type: z.string().min(1).max(256),
  inputs: z.record(z.string().max(256), z.unknown()),
  _meta: z.looseObject({ title: z.string().max(1024).optional() }).optional(),
});
export const Graph = z
  .record(z.string().min(1).max(64), GraphNode)
  .refine((g) => Object.keys(g).length > 0, "workflow must have at least one node")
  .refine((g) => Object.keys(g).length <= 5000, "workflow may have at most 5000 nodes")
  .describe("A ComfyUI API-format graph (File → Export (API) in ComfyUI).");

export const InputValue = z.union([z.string().max(100_000), z.number(), z.boolean(), z.null()]);

/** One input file: the `name` the graph's LoadImage refers to, and where its bytes come from. */
export const InputImage = z
  .strictObject({
    name: SafeName.min(1).max(255).describe("The file name the graph (LoadImage) refers to"),
    image: z.string().min(1).max(100 * 1024 * 1024).optional().describe("Base64 bytes (optionally a data: URI), or an https URL fetched once and cached"),
    upload: Uuid.optional().describe("The id of a file put with POST /uploads"),
  })
  .refine((v) => (v.image === undefined) !== (v.upload === undefined), "give exactly one of image or upload");

/** How a finished job hands back its outputs, besides the signed links every output has. */
export const OutputOptions = z
  .strictObject({
    inline: z.boolean().optional()
      .describe("Also carry each file output's bytes as base64 (`base64`) in GET /jobs/:id, the long-poll answer and the terminal webhook, up to INLINE_OUTPUT_MAX_BYTES per job; past it an output has its link and an `inlineNote`"),
  })
  .describe("Output options");

export const SubmitJob = z
  .strictObject({
    workflow: Graph.optional().describe("A raw ComfyUI API-format graph; give this or workflowId"),
    workflowId: Id.optional().describe("The id of a stored workflow; give this or workflow"),
    inputs: z.record(z.string().max(128), InputValue).optional().describe("Named inputs of the stored workflow"),
    version: z.int().min(1).optional().describe("Pin a version of the stored workflow; the latest when absent"),
    images: z.array(InputImage).max(16).optional().describe("Input files uploaded to the host before the prompt runs (every attempt)"),
    comfyOrgApiKey: z.string().min(1).max(1024).optional().describe("Comfy.org API key for API nodes, instead of COMFY_ORG_API_KEY; stored encrypted, never returned"),
    priority: z.int().min(-100).max(100).default(0).describe("Higher runs first; ties run oldest first"),
    timeoutMs: z.int().min(1000).max(24 * 3_600_000).optional().describe("Per-job deadline; bounded by COMFYUI_TIMEOUT_MS"),
    includePreviews: z.boolean().optional().describe("Also keep temp-type outputs (PreviewImage and other previews); off by default"),
    outputs: OutputOptions.optional(),
    metadata: Metadata.optional(),
    callbackUrl: SafeText.min(1).max(2048).optional()
      .describe("An https URL that receives the job (signed, see docs/webhooks.md) when it ends; its host must be public and in WEBHOOK_ALLOWED_DOMAINS when that is set"),
    events: z.array(z.enum(OPTIONAL_EVENTS)).max(OPTIONAL_EVENTS.length).optional()
      .describe("Extra events for callbackUrl besides the final one: started, progress (throttled)"),
  })
  .superRefine((v, ctx) => {
    if (v.events !== undefined && v.callbackUrl === undefined) {
      ctx.addIssue({ code: "custom", path: ["events"], message: "events go with callbackUrl" });
    }
    if ((v.workflow === undefined) === (v.workflowId === undefined)) {
      ctx.addIssue({ code: "custom", path: ["workflow"], message: "give exactly one of workflow or workflowId" });
    }
    if (v.version !== undefined && v.workflowId === undefined) {
      ctx.addIssue({ code: "custom", path: ["version"], message: "version goes with workflowId" });
    }
    if (v.images && new Set(v.images.map((i) => i.name)).size !== v.images.length) {
      ctx.addIssue({ code: "custom", path: ["images"], message: "image names must be unique" });
    }
    if (v.inputs !== undefined && v.workflowId === undefined) {
      ctx.addIssue({ code: "custom", path: ["inputs"], message: "inputs go with workflowId" });
    }
  })
  ;
export type SubmitJob = z.infer<typeof SubmitJob>;

export const ListJobsQuery = z.strictObject({
  status: z.enum(JOB_STATUSES).optional(),
  owner: z.string().min(1).max(2048).optional().describe("Only this owner's jobs (a user only ever sees its own)"),
  workflowId: z.string().min(1).max(128).optional().describe("Only jobs of this stored workflow"),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});

export const GetJobQuery = z.strictObject({
  wait: z.coerce.number().int().min(0).max(60).default(0).describe("Long-poll: seconds to wait for the job to reach a terminal state"),
});

export const JobOutputSchema = z.object({
  name: z.string(),
  node: z.string(),
  kind: z.enum(["image", "video", "audio", "3d", "text", "file"]),
  contentType: z.string(),
  bytes: z.number(),
  text: z.string().optional(),
  url: z.string().optional(),
  urlExpiresAt: z.string().optional(),
  /** Jobs submitted with `outputs.inline`: the file's bytes, read from its R2 copy. */
  base64: z.string().optional(),
  /** Jobs submitted with `outputs.inline`: why this output has no `base64` (over the per-job budget, copy unreadable). */
  inlineNote: z.string().optional(),
});

/** The job's terminal webhook delivery (null without a callbackUrl); `waiting` until the job ends. */
export const JobWebhookSchema = z.object({
  deliveryId: z.string().nullable(),
  status: z.enum(["waiting", "pending", "succeeded", "failed"]),
  attempts: z.number(),
  lastStatusCode: z.number().nullable(),
  error: z.object({ error: z.literal("WEBHOOK_DELIVERY_FAILED"), message: z.string(), retryable: z.literal(true) }).nullable(),
});

export const JobSchema = z
  .object({
    id: z.string(),
    status: z.enum(JOB_STATUSES),
    workflowId: z.string().nullable(),
    workflowVersion: z.number().nullable(),
    /** The named inputs as submitted with a stored workflow; null for a raw graph or none given. */
    inputs: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).nullable(),
    priority: z.number(),
    attempts: z.number(),
    host: z.string().nullable(),
    queuePosition: z.number().nullable(),
    progress: z.object({ node: z.string().nullable(), value: z.number(), max: z.number(), percent: z.number() }).nullable(),
    outputs: z.array(JobOutputSchema),
    error: z
      .object({ error: z.string(), message: z.string(), details: z.unknown().optional(), retryable: z.boolean() })
      .nullable(),
    /** What a succeeded job did not do: the outputs ComfyUI dropped from a partly valid graph (code WORKFLOW_INVALID). */
    warnings: z.array(z.object({ error: z.string(), message: z.string(), details: z.unknown().optional(), retryable: z.boolean() })),
    metrics: z.object({ queueMs: z.number().nullable(), executionMs: z.number().nullable() }),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    completedAt: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()),
    webhook: JobWebhookSchema.nullable(),
    /** The model files the graph's loaders name (`folder/name`); the job is placed only on a host that lists them all. */
    models: z.array(z.string()),
    /** Why a queued job is not placed yet, when that is known: its models are only on offline or draining hosts, or on none. */
    waiting: z.object({ reason: z.enum(["model_hosts_unavailable", "model_missing"]), message: z.string(), hosts: z.array(z.string()) }).nullable().optional(),
    /** A short-lived link to the job's event stream that needs no key (for a browser's EventSource); not in webhook bodies. */
    watchUrl: z.string().optional(),
    watchUrlExpiresAt: z.string().optional(),
  })
  ;
export type JobView = z.infer<typeof JobSchema>;

export const JobListSchema = z.object({ items: z.array(JobSchema), count: z.number(), nextCursor: z.string().nullable() });
