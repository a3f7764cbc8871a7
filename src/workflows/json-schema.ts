import type { WorkflowInputs } from "../schemas/workflow";
import { resolveBound, type FillOptions } from "../jobs/fill";

const TYPE: Record<string, string> = { string: "string", int: "integer", float: "number", boolean: "boolean", image: "string" };

/** A stored workflow's declared inputs as an OpenAPI 3.0 schema object (what POST /jobs checks them against). Pure. */
export function inputsJsonSchema(inputs: WorkflowInputs, limits: FillOptions["limits"]): Record<string, unknown> {
  const properties: Record<string, Record<string, unknown>> = {};
  const required: string[] = [];
  for (const [name, spec] of Object.entries(inputs)) {
    const p: Record<string, unknown> = { type: TYPE[spec.type] ?? "string" };
    if (spec.description) p.description = spec.description;
    if (spec.type === "image") p.description = `${spec.description ? `${spec.description}. ` : ""}The name of one of the job's images`;
    if (spec.default !== undefined) p.default = spec.default;
    if (spec.enum) p.enum = spec.enum;
    if (spec.min !== undefined) p.minimum = spec.min;
    const max = resolveBound(spec.max, limits);
    if (max !== undefined) p.maximum = max;
    if (spec.step !== undefined && spec.min === undefined) p.multipleOf = spec.step;
    if (spec.step !== undefined && spec.min !== undefined) p["x-step"] = spec.step;
    if (spec.maxLength !== undefined) p.maxLength = spec.maxLength;
    const model = (spec as { model?: string }).model;
    if (model) p["x-model-folder"] = model;
    properties[name] = p;
    if (spec.required && spec.default === undefined) required.push(name);
  }
  return { type: "object", additionalProperties: false, properties, ...(required.length ? { required } : {}) };
}

/** `Workflow_<id>_Inputs`, with characters OpenAPI component names do not allow replaced. Pure. */
export const inputsComponentName = (id: string) => `Workflow_${id.replace(/[^A-Za-z0-9._-]/g, "_")}_Inputs`;
