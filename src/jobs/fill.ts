import type { WorkflowInput } from "../api/schemas/workflow";
import type { Graph } from "../comfy/graph";

export type FillResult = { ok: true; graph: Graph } | { ok: false; issues: { path: string; message: string }[] };

function check(name: string, spec: WorkflowInput, value: unknown): string | null {
  switch (spec.type) {
    case "int":
      if (typeof value !== "number" || !Number.isInteger(value)) return `${name} must be an integer`;
      break;
    case "float":
      if (typeof value !== "number" || !Number.isFinite(value)) return `${name} must be a number`;
      break;
    case "boolean":
      if (typeof value !== "boolean") return `${name} must be true or false`;
      break;
    case "string":
      if (typeof value !== "string") return `${name} must be a string`;
      break;
  }
  if (typeof value === "number") {
    if (spec.min !== undefined && value < spec.min) return `${name} must be at least ${spec.min}`;
    if (spec.max !== undefined && value > spec.max) return `${name} must be at most ${spec.max}`;
  }
  return null;
}

/**
 * Puts named inputs into a copy of a stored graph. Pure: the stored graph is never changed, and
 * every problem is reported at once so a client can fix them all in one go.
 */
export function fillWorkflow(graph: Graph, schema: Record<string, WorkflowInput>, inputs: Record<string, unknown>): FillResult {
  const issues: { path: string; message: string }[] = [];
  for (const name of Object.keys(inputs)) {
    if (!(name in schema)) issues.push({ path: `inputs.${name}`, message: `unknown input "${name}"; this workflow takes: ${Object.keys(schema).join(", ") || "no inputs"}` });
  }
  const out = structuredClone(graph);
  for (const [name, spec] of Object.entries(schema)) {
    const value = inputs[name] ?? spec.default;
    if (value === undefined || value === null) {
      if (spec.required) issues.push({ path: `inputs.${name}`, message: `${name} is required` });
      continue;
    }
    const problem = check(name, spec, value);
    if (problem) {
      issues.push({ path: `inputs.${name}`, message: problem });
      continue;
    }
    for (const target of [spec.target].flat()) {
      const [nodeId, , field] = target.split(".") as [string, string, string];
      const node = out[nodeId];
      if (node) node.inputs[field] = value;
    }
  }
  return issues.length ? { ok: false, issues } : { ok: true, graph: out };
}
