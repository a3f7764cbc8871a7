import { z } from "zod";
import { Graph } from "./job";
import { Id, SafeName, SafeText } from "./common";

/** `"6.inputs.text"`: node id, then the input to set. */
export const InputTarget = z.string().regex(/^[^.]+\.inputs\.[^.]+$/, 'targets look like "<node id>.inputs.<field>"');

/** A bound given by the deployment's own limit rather than a number, so the workflow follows the config. */
export const LIMIT_BOUNDS = ["MAX_IMAGE_SIZE", "MAX_BATCH_SIZE"] as const;
export type LimitBound = (typeof LIMIT_BOUNDS)[number];

export const INPUT_TYPES = ["string", "int", "float", "boolean", "image"] as const;

export const WorkflowInput = z.strictObject({
  type: z.enum(INPUT_TYPES).default("string").describe("image: the name of a file given in the job's images"),
  target: z.union([InputTarget, z.array(InputTarget).min(1).max(32)]),
  default: z.union([z.string(), z.number(), z.boolean()]).optional(),
  required: z.boolean().default(false),
  min: z.number().optional(),
  max: z.union([z.number(), z.enum(LIMIT_BOUNDS)]).optional().describe("A number, or MAX_IMAGE_SIZE / MAX_BATCH_SIZE for the deployment's limit"),
  step: z.number().positive().optional().describe("int/float: the value must be min (or 0) plus a multiple of step"),
  enum: z.array(z.union([z.string(), z.number()])).min(1).max(1000).optional().describe("The only values allowed (samplers, schedulers, checkpoints…)"),
  maxLength: z.int().min(1).max(100_000).optional(),
  description: SafeText.max(1000).optional(),
});
export type WorkflowInput = z.infer<typeof WorkflowInput>;
export type WorkflowInputs = Record<string, WorkflowInput>;

export const InputName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, "input names are identifiers");

export const CreateWorkflow = z
  .strictObject({
    id: Id.max(64),
    name: SafeName.min(1).max(200),
    description: SafeText.max(4000).optional(),
    graph: Graph,
    inputs: z.record(InputName, WorkflowInput).default({}),
  })
  .superRefine((w, ctx) => {
    for (const [name, input] of Object.entries(w.inputs)) {
      for (const t of [input.target].flat()) {
        const node = t.split(".")[0]!;
        if (!(node in w.graph)) ctx.addIssue({ code: "custom", path: ["inputs", name, "target"], message: `node "${node}" is not in the graph` });
      }
      if (input.enum && input.default !== undefined && !input.enum.includes(input.default as string | number)) {
        ctx.addIssue({ code: "custom", path: ["inputs", name, "default"], message: "the default must be one of the enum values" });
      }
      if (input.type === "image" && input.default !== undefined) {
        ctx.addIssue({ code: "custom", path: ["inputs", name, "default"], message: "an image input has no default: the job names one of its images" });
      }
    }
  });

export const WorkflowSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  version: z.number(),
  builtin: z.boolean().describe("Shipped with the gateway; admins may edit it like any other"),
  graph: z.record(z.string(), z.unknown()),
  inputs: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  updatedAt: z.string(),
});
