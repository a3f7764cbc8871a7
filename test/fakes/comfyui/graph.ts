// `execution.py: validate_prompt` / `validate_inputs`, step for step, because gateway error
// classification keys on these exact shapes (and on quirks such as `dependent_outputs` being
// appended for every later failing output, or `details` being "" when the cause is upstream).
import { PyFloat, dumps, od, pyEquals, pyLess, pyRepr, pyStr, pyTypeName, numOf, isDict } from "./json.ts";
import type { PyDict, PyValue } from "./json.ts";
import { NODE_CLASSES } from "./nodes.ts";
import type { Env, InputSpec, NodeClass } from "./nodes.ts";

export class ValidationException extends Error {
  readonly pyType: string;
  readonly traceback: string[];
  constructor(pyType: string, message: string, traceback: string[]) {
    super(message);
    this.pyType = pyType;
    this.traceback = traceback;
  }
}

/** Malformed beyond what ComfyUI handles gracefully: it answers 500. */
export class InternalError extends Error {}

const TB_VALIDATE_PROMPT =
  '  File "/srv/comfyui/execution.py", line 1010, in validate_prompt\n    m = await validate_inputs(prompt_id, prompt, o, validated)\n        ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n';
const TB_INNER_CALL =
  '  File "/srv/comfyui/execution.py", line 836, in validate_inputs\n    r = await validate_inputs(prompt_id, prompt, o_id, validated)\n        ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n';
const TB_KEY =
  "  File \"/srv/comfyui/execution.py\", line 788, in validate_inputs\n    o_class_type = prompt[o_id]['class_type']\n                   ~~~~~~^^^^^^\n";
const TB_INDEX = '  File "/srv/comfyui/execution.py", line 790, in validate_inputs\n    received_type = r[val[1]]\n                    ~^^^^^^^^\n';
const TB_INPUTS = "  File \"/srv/comfyui/execution.py\", line 748, in validate_inputs\n    inputs = prompt[unique_id]['inputs']\n             ~~~~~~~~~~~~~~~~~^^^^^^^^^^\n";

type Reason = PyDict;
type Validated = Map<string, [boolean, Reason[], string]>;

const err = (type: string, message: string, details: string, extra: PyDict): Reason =>
  od(["type", type], ["message", message], ["details", details], ["extra_info", extra]);

function isLinkValue(v: unknown): v is PyValue[] {
  return Array.isArray(v);
}

/** Python `int(val)`; returns the error text ComfyUI embeds in invalid_input_type. */
export function pyInt(v: PyValue): { ok: true; value: number | bigint } | { ok: false; msg: string } {
  if (typeof v === "number" || typeof v === "bigint") return { ok: true, value: v };
  if (typeof v === "boolean") return { ok: true, value: v ? 1 : 0 };
  if (v instanceof PyFloat) {
    if (Number.isNaN(v.value)) return { ok: false, msg: "cannot convert float NaN to integer" };
    if (!Number.isFinite(v.value)) return { ok: false, msg: "cannot convert float infinity to integer" };
    const t = Math.trunc(v.value);
    return { ok: true, value: Number.isSafeInteger(t) ? (t === 0 ? 0 : t) : BigInt(t) };
  }
  if (typeof v === "string") {
    const s = v.trim();
    if (/^[+-]?\d+(_\d+)*$/.test(s)) {
      const clean = s.replaceAll("_", "");
      const n = Number(clean);
      return { ok: true, value: Number.isSafeInteger(n) ? (n === 0 ? 0 : n) : BigInt(clean) };
    }
    return { ok: false, msg: `invalid literal for int() with base 10: ${pyRepr(v)}` };
  }
  return { ok: false, msg: `int() argument must be a string, a bytes-like object or a real number, not '${pyTypeName(v)}'` };
}

export function pyFloat(v: PyValue): { ok: true; value: PyFloat } | { ok: false; msg: string } {
  if (v instanceof PyFloat) return { ok: true, value: v };
  if (typeof v === "number" || typeof v === "bigint") return { ok: true, value: new PyFloat(Number(v)) };
  if (typeof v === "boolean") return { ok: true, value: new PyFloat(v ? 1 : 0) };
  if (typeof v === "string") {
    const s = v.trim();
    const special = /^([+-]?)(inf|infinity|nan)$/i.exec(s);
    if (special) {
      const neg = special[1] === "-";
      return { ok: true, value: new PyFloat(special[2].toLowerCase() === "nan" ? NaN : neg ? -Infinity : Infinity) };
    }
    if (/^[+-]?(\d(_?\d)*(\.(\d(_?\d)*)?)?|\.\d(_?\d)*)([eE][+-]?\d(_?\d)*)?$/.test(s)) {
      return { ok: true, value: new PyFloat(Number(s.replaceAll("_", ""))) };
    }
    return { ok: false, msg: `could not convert string to float: ${pyRepr(v)}` };
  }
  return { ok: false, msg: `float() argument must be a string or a real number, not '${pyTypeName(v)}'` };
}

function pyTruthy(v: PyValue): boolean {
  if (v === null || v === false || v === 0 || v === 0n || v === "") return false;
  if (v instanceof PyFloat) return v.value !== 0;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof Map) return v.size > 0;
  return true;
}

function specInfo(s: InputSpec): PyValue {
  return [s.type, s.opts ?? new Map()];
}

function nodeOf(prompt: PyDict, id: string): PyDict {
  const n = prompt.get(id);
  if (!isDict(n)) throw new InternalError(`node ${id} is not an object`);
  return n;
}

/** `prompt[o_id]` with Python's KeyError/TypeError texts. */
function lookupLinked(prompt: PyDict, oid: PyValue): PyDict {
  if (Array.isArray(oid) || oid instanceof Map) throw new ValidationException("TypeError", `unhashable type: '${pyTypeName(oid)}'`, [TB_KEY]);
  if (typeof oid === "string" && prompt.has(oid)) return nodeOf(prompt, oid);
  throw new ValidationException("KeyError", pyRepr(oid), [TB_KEY]);
}

/** `RETURN_TYPES[val[1]]` with Python tuple indexing rules. */
function indexReturn(types: string[], slot: PyValue): string {
  if (typeof slot === "number" || typeof slot === "boolean") {
    const k = Number(slot);
    const idx = k < 0 ? types.length + k : k;
    if (idx >= 0 && idx < types.length) return types[idx];
    throw new ValidationException("IndexError", "tuple index out of range", [TB_INDEX]);
  }
  if (typeof slot === "bigint") throw new ValidationException("IndexError", "cannot fit 'int' into an index-sized integer", [TB_INDEX]);
  throw new ValidationException("TypeError", `tuple indices must be integers or slices, not ${pyTypeName(slot)}`, [TB_INDEX]);
}

function validateInputs(prompt: PyDict, id: string, validated: Validated, env: Env, stack: Set<string>): [boolean, Reason[], string] {
  const done = validated.get(id);
  if (done) return done;
  if (stack.has(id)) throw new ValidationException("RecursionError", "maximum recursion depth exceeded", [TB_INNER_CALL]);
  stack.add(id);
  try {
    const node = nodeOf(prompt, id);
    const inputs = node.get("inputs");
    if (!isDict(inputs)) {
      if (inputs === undefined) throw new ValidationException("KeyError", "'inputs'", [TB_INPUTS]);
      throw new InternalError("inputs is not an object");
    }
    const cls = NODE_CLASSES.get(node.get("class_type") as string)!;
    const defs = cls.inputs(env);
    const all: [string, InputSpec, "required" | "optional"][] = [
      ...defs.required.map(([k, s]) => [k, s, "required"] as [string, InputSpec, "required"]),
      ...(defs.optional ?? []).map(([k, s]) => [k, s, "optional"] as [string, InputSpec, "optional"]),
    ];
    const vfi = cls.validateInputs ?? [];
    const errors: Reason[] = [];
    let valid = true;

    for (const [x, sp, category] of all) {
      if (!inputs.has(x)) {
        if (category === "required") {
          errors.push(err("required_input_missing", "Required input is missing", x, od(["input_name", x])));
        }
        continue;
      }
      let val: PyValue = inputs.get(x)!;
      const info = specInfo(sp);
      const inputType = sp.type;
      if (isLinkValue(val)) {
        if (val.length !== 2) {
          errors.push(
            err("bad_linked_input", "Bad linked input, must be a length-2 list of [node_id, slot_index]", x, od(["input_name", x], ["input_config", info], ["received_value", val])),
          );
          continue;
        }
        const oid = val[0];
        const linked = lookupLinked(prompt, oid);
        const ocls = NODE_CLASSES.get(linked.get("class_type") as string)!;
        const receivedType = indexReturn(ocls.returnTypes, val[1]);
        const matches = typeof inputType === "string" && (inputType === receivedType || inputType === "*" || receivedType === "*");
        if (!matches) {
          errors.push(
            err(
              "return_type_mismatch",
              "Return type mismatch between linked nodes",
              `${x}, received_type(${receivedType}) mismatch input_type(${pyStr(inputType)})`,
              od(["input_name", x], ["input_config", info], ["received_type", receivedType], ["linked_node", val]),
            ),
          );
          continue;
        }
        try {
          const r = validateInputs(prompt, oid as string, validated, env, stack);
          if (r[0] === false) {
            valid = false;
            continue;
          }
        } catch (e) {
          if (!(e instanceof ValidationException)) throw e;
          valid = false;
          validated.set(oid as string, [
            false,
            [
              err(
                "exception_during_inner_validation",
                "Exception when validating inner node",
                e.message,
                od(["input_name", x], ["input_config", info], ["exception_message", e.message], ["exception_type", e.pyType], ["traceback", [TB_INNER_CALL, ...e.traceback]], ["linked_node", val]),
              ),
            ],
            oid as string,
          ]);
          continue;
        }
      } else {
        if (isDict(val) && val.has("__value__")) {
          val = val.get("__value__")!;
          inputs.set(x, val);
        }
        let conv: { ok: true; value: PyValue } | { ok: false; msg: string } = { ok: true, value: val };
        if (inputType === "INT") conv = pyInt(val);
        else if (inputType === "FLOAT") conv = pyFloat(val);
        else if (inputType === "STRING") conv = { ok: true, value: pyStr(val) };
        else if (inputType === "BOOLEAN") conv = { ok: true, value: pyTruthy(val) };
        if (!conv.ok) {
          errors.push(
            err(
              "invalid_input_type",
              `Failed to convert an input value to a ${pyStr(inputType)} value`,
              `${x}, ${pyStr(val)}, ${conv.msg}`,
              od(["input_name", x], ["input_config", info], ["received_value", val], ["exception_message", conv.msg]),
            ),
          );
          continue;
        }
        val = conv.value as PyValue;
        if (typeof inputType === "string" && ["INT", "FLOAT", "STRING", "BOOLEAN"].includes(inputType)) inputs.set(x, val);

        if (!vfi.includes(x)) {
          const opts = sp.opts ?? {};
          const nv = numOf(val);
          const min = numOf(opts.min);
          const max = numOf(opts.max);
          if (min !== null && nv !== null && pyLess(nv, min)) {
            errors.push(err("value_smaller_than_min", `Value ${pyStr(val)} smaller than min of ${pyStr(opts.min)}`, x, od(["input_name", x], ["input_config", info], ["received_value", val])));
            continue;
          }
          if (max !== null && nv !== null && pyLess(max, nv)) {
            errors.push(err("value_bigger_than_max", `Value ${pyStr(val)} bigger than max of ${pyStr(opts.max)}`, x, od(["input_name", x], ["input_config", info], ["received_value", val])));
            continue;
          }
          if (Array.isArray(inputType) && !inputType.some((o) => pyEquals(o, val))) {
            const big = inputType.length > 20;
            errors.push(
              err(
                "value_not_in_list",
                "Value not in list",
                `${x}: '${pyStr(val)}' not in ${big ? `(list of length ${inputType.length})` : pyStr(inputType)}`,
                od(["input_name", x], ["input_config", big ? null : info], ["received_value", val]),
              ),
            );
            continue;
          }
        }
      }
    }

    if (cls.validate && vfi.length) {
      const vals: Record<string, PyValue> = {};
      for (const x of vfi) if (inputs.has(x)) vals[x] = inputs.get(x)!;
      const present = vfi.filter((x) => inputs.has(x));
      if (present.length === vfi.length) {
        const r = cls.validate(vals, env);
        if (r !== true) {
          for (const x of present) {
            errors.push(err("custom_validation_failed", "Custom validation failed for node", `${x} - ${r}`, od(["input_name", x])));
          }
        }
      }
    }

    const ret: [boolean, Reason[], string] = errors.length > 0 || !valid ? [false, errors, id] : [true, [], id];
    validated.set(id, ret);
    return ret;
  } finally {
    stack.delete(id);
  }
}

export type ValidationResult =
  | { ok: true; outputs: string[]; nodeErrors: PyDict }
  | { ok: false; error: PyDict; nodeErrors: PyDict };

/** Throws InternalError for inputs ComfyUI would crash on (→ HTTP 500). */
export function validatePrompt(prompt: PyValue, partial: PyValue | undefined, env: Env): ValidationResult {
  if (!isDict(prompt)) throw new InternalError("prompt is not an object");
  const profile2026 = env.config.versionProfile === "2026";
  const outputs: string[] = [];
  for (const [x, raw] of prompt) {
    if (!isDict(raw)) throw new InternalError(`node ${x} is not an object`);
    const meta = raw.get("_meta");
    const title = isDict(meta) && typeof meta.get("title") === "string" ? (meta.get("title") as string) : null;
    if (!raw.has("class_type")) {
      const e = profile2026
        ? err("missing_node_type", "Cannot execute because a node is missing the class_type property.", `Node ID '#${x}'`, od(["node_id", x], ["class_type", null], ["node_title", title]))
        : err("invalid_prompt", "Cannot execute because a node is missing the class_type property.", `Node ID '#${x}'`, od());
      return { ok: false, error: e, nodeErrors: od() };
    }
    const ct = raw.get("class_type")!;
    const cls = typeof ct === "string" ? NODE_CLASSES.get(ct) : undefined;
    if (!cls) {
      const e = profile2026
        ? err("missing_node_type", `Node '${pyStr(ct)}' not found. The custom node may not be installed.`, `Node ID '#${x}'`, od(["node_id", x], ["class_type", ct], ["node_title", title ?? ct]))
        : err("invalid_prompt", `Cannot execute because node ${pyStr(ct)} does not exist.`, `Node ID '#${x}'`, od());
      return { ok: false, error: e, nodeErrors: od() };
    }
    if (cls.outputNode) {
      if (partial === undefined || partial === null || (Array.isArray(partial) && partial.some((p) => p === x))) outputs.push(x);
    }
  }
  if (outputs.length === 0) return { ok: false, error: err("prompt_no_outputs", "Prompt has no outputs", "", od()), nodeErrors: od() };

  const good: string[] = [];
  const errors: [string, Reason[]][] = [];
  const nodeErrors: PyDict = new Map();
  const validated: Validated = new Map();
  for (const o of outputs) {
    let valid: boolean;
    let reasons: Reason[];
    try {
      const m = validateInputs(prompt, o, validated, env, new Set());
      valid = m[0];
      reasons = m[1];
    } catch (e) {
      if (!(e instanceof ValidationException)) throw e;
      valid = false;
      if (profile2026 && e.pyType === "RecursionError") {
        reasons = [err("dependency_cycle", "Dependency cycle detected", `Node ${o} is part of a dependency cycle`, od(["node_id", o]))];
      } else {
        reasons = [
          err("exception_during_validation", "Exception when validating node", e.message, od(["exception_type", e.pyType], ["traceback", [TB_VALIDATE_PROMPT, ...e.traceback]])),
        ];
      }
      validated.set(o, [false, reasons, o]);
    }
    if (valid) good.push(o);
    else {
      errors.push([o, reasons]);
      for (const [nid, result] of validated) {
        if (result[0] !== true && result[1].length > 0) {
          if (!nodeErrors.has(nid)) {
            nodeErrors.set(nid, od(["errors", result[1]], ["dependent_outputs", []], ["class_type", nodeOf(prompt, nid).get("class_type")!]));
          }
          ((nodeErrors.get(nid) as PyDict).get("dependent_outputs") as PyValue[]).push(o);
        }
      }
    }
  }
  if (good.length === 0) {
    const lines: string[] = [];
    for (const [, rs] of errors) for (const r of rs) lines.push(`${r.get("message")}: ${r.get("details")}`);
    return { ok: false, error: err("prompt_outputs_failed_validation", "Prompt outputs failed validation", lines.join("\n"), od()), nodeErrors };
  }
  return { ok: true, outputs: good, nodeErrors };
}

export function linkOf(v: PyValue | undefined): [string, number] | null {
  if (Array.isArray(v) && v.length === 2 && typeof v[0] === "string" && typeof v[1] === "number") return [v[0], v[1]];
  return null;
}

/** Post-order walk from the outputs, skipping cached producers (ComfyUI's ExecutionList). */
export function executionOrder(prompt: PyDict, outputs: string[], isCached: (id: string) => boolean): string[] {
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (id: string) => {
    if (seen.has(id)) return;
    seen.add(id);
    const inputs = nodeOf(prompt, id).get("inputs") as PyDict;
    for (const v of inputs.values()) {
      const l = linkOf(v);
      if (l && !isCached(l[0])) visit(l[0]);
    }
    order.push(id);
  };
  for (const o of outputs) visit(o);
  return order;
}

/** Cache keys like CacheKeySetInputSignature: class, IS_CHANGED, inputs with links resolved. */
export function signatures(prompt: PyDict, env: Env): Map<string, string> {
  const memo = new Map<string, string>();
  const sig = (id: string): string => {
    const hit = memo.get(id);
    if (hit !== undefined) return hit;
    memo.set(id, "<cycle>");
    const node = nodeOf(prompt, id);
    const cls = NODE_CLASSES.get(node.get("class_type") as string) as NodeClass;
    const inputs = node.get("inputs") as PyDict;
    const plain: Record<string, unknown> = {};
    for (const [k, v] of inputs) plain[k] = v;
    const parts = [...inputs.keys()].sort().map((k) => {
      const l = linkOf(inputs.get(k));
      return l ? [k, ["link", sig(l[0]), l[1]]] : [k, dumps(inputs.get(k))];
    });
    const s = dumps([cls.name, cls.isChanged ? cls.isChanged(plain, env) : "", JSON.stringify(parts)]);
    memo.set(id, s);
    return s;
  };
  for (const id of prompt.keys()) sig(id);
  return memo;
}
