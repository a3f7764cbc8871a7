import type { LimitBound, WorkflowInput, WorkflowInputs } from "../schemas/workflow";
import type { Graph } from "../comfy/graph";

export type FillIssue = { path: string; message: string };
export type FillResult = { ok: true; graph: Graph } | { ok: false; issues: FillIssue[] };
export type FillOptions = {
  /** The deployment's limits, for bounds written as "MAX_IMAGE_SIZE" / "MAX_BATCH_SIZE". */
  limits?: { maxImageSize: number; maxBatchSize: number };
  /** The names of the job's input files; an `image` input must name one of them. */
  imageNames?: readonly string[];
};

/** A declared bound as a number: a limit name resolves to the deployment's value. Pure. */
export function resolveBound(bound: number | LimitBound | undefined, limits: FillOptions["limits"]): number | undefined {
  if (bound === undefined || typeof bound === "number") return bound;
  if (!limits) return undefined;
  return bound === "MAX_IMAGE_SIZE" ? limits.maxImageSize : limits.maxBatchSize;
}

const TYPE_OK: Record<WorkflowInput["type"], [(v: unknown) => boolean, string]> = {
  int: [(v) => typeof v === "number" && Number.isSafeInteger(v), "an integer"],
  float: [(v) => typeof v === "number" && Number.isFinite(v), "a number"],
  boolean: [(v) => typeof v === "boolean", "true or false"],
  string: [(v) => typeof v === "string", "a string"],
  image: [(v) => typeof v === "string" && v.length > 0, "the name of one of the job's images"],
};

/** The first thing wrong with one value, in words that name the input and the bound; null when it is fine. Pure. */
export function checkInput(name: string, spec: WorkflowInput, value: unknown, opts: FillOptions = {}): string | null {
  const [ok, what] = TYPE_OK[spec.type];
  if (!ok(value)) return `${name} must be ${what}`;
  if (spec.enum && !spec.enum.includes(value as string | number)) {
    const shown = spec.enum.slice(0, 20).join(", ") + (spec.enum.length > 20 ? `, … (${spec.enum.length} in all)` : "");
    return `${name} must be one of: ${shown}`;
  }
  if (typeof value === "number") {
    const max = resolveBound(spec.max, opts.limits);
    const limitName = typeof spec.max === "string" ? ` (${spec.max})` : "";
    if (spec.min !== undefined && value < spec.min) return `${name} must be at least ${spec.min}`;
    if (max !== undefined && value > max) return `${name} must be at most ${max}${limitName}`;
    if (spec.step !== undefined) {
      const offset = (value - (spec.min ?? 0)) / spec.step;
      if (Math.abs(offset - Math.round(offset)) > 1e-9) return `${name} must be ${spec.min ? `${spec.min} plus ` : ""}a multiple of ${spec.step}`;
    }
  }
  if (typeof value === "string" && spec.maxLength !== undefined && value.length > spec.maxLength) return `${name} must be at most ${spec.maxLength} characters`;
  if (spec.type === "image" && opts.imageNames && !opts.imageNames.includes(value as string)) {
    return `${name} names image "${String(value)}", which is not in images (${opts.imageNames.join(", ") || "none given"})`;
  }
  return null;
}

/**
 * Puts named inputs into a copy of a stored graph. Pure: the stored graph is never changed, and
 * every problem is reported at once so a client can fix them all in one go.
 */
export function fillWorkflow(graph: Graph, schema: WorkflowInputs, inputs: Record<string, unknown>, opts: FillOptions = {}): FillResult {
  const issues: FillIssue[] = [];
  for (const name of Object.keys(inputs)) {
    if (!Object.hasOwn(schema, name)) issues.push({ path: `inputs.${name}`, message: `unknown input "${name}"; this workflow takes: ${Object.keys(schema).join(", ") || "no inputs"}` });
  }
  const out = structuredClone(graph);
  for (const [name, spec] of Object.entries(schema)) {
    const value = inputs[name] ?? spec.default;
    if (value === undefined || value === null) {
      if (spec.required) issues.push({ path: `inputs.${name}`, message: `${name} is required` });
      continue;
    }
    const problem = checkInput(name, spec, value, opts);
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
