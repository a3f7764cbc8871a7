import { z } from "zod";
import { Graph } from "./job";
import { Id } from "./common";

/** `"6.inputs.text"`: node id, then the input to set. */
export const InputTarget = z.string().regex(/^[^.]+\.inputs\.[^.]+$/, 'targets look like "<node id>.inputs.<field>"');

export const WorkflowInput = z.strictObject({
  type: z.enum(["string", "int", "float", "boolean"]).default("string"),
  target: z.union([InputTarget, z.array(InputTarget).min(1).max(32)]),
  default: z.union([z.string(), z.number(), z.boolean()]).optional(),
  required: z.boolean().default(false),
  min: z.number().optional(),
  max: z.number().optional(),
  description: z.string().max(1000).optional(),
});
export type WorkflowInput = z.infer<typeof WorkflowInput>;

export const CreateWorkflow = z
  .strictObject({
    id: Id.max(64),
    name: z.string().min(1).max(200),
    description: z.string().max(4000).optional(),
    graph: Graph,
    inputs: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, "input names are identifiers"), WorkflowInput).default({}),
  })
  .superRefine((w, ctx) => {
    for (const [name, input] of Object.entries(w.inputs)) {
      for (const t of [input.target].flat()) {
        const node = t.split(".")[0]!;
        if (!(node in w.graph)) ctx.addIssue({ code: "custom", path: ["inputs", name, "target"], message: `node "${node}" is not in the graph` });
      }
    }
  })
  ;

export const WorkflowSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    version: z.number(),
    graph: z.record(z.string(), z.unknown()),
    inputs: z.record(z.string(), z.unknown()),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  ;
