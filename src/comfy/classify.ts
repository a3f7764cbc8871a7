import type { ErrorCode } from "../errors";
import type { HistoryEntry } from "./client";

export type Failure = { code: ErrorCode; message: string; details?: unknown; retryable: boolean };

type ComfyErrorBody = {
  error?: { type?: string; message?: string; details?: string; extra_info?: Record<string, unknown> } | string;
  node_errors?: Record<string, { errors?: { type?: string; message?: string; details?: string; extra_info?: Record<string, unknown> }[]; class_type?: string }>;
};

const OOM_TYPE = /OutOfMemoryError$/;
const OOM_TEXT = /(out of memory|allocation on device|failed to allocate|ran out of memory on your GPU)/i;

export function isOom(exceptionType: unknown, message: unknown): boolean {
  return (typeof exceptionType === "string" && OOM_TYPE.test(exceptionType)) || (typeof message === "string" && OOM_TEXT.test(message));
}

/** Inputs through which a loader names a model file; `value_not_in_list` on one means the model is missing. */
const MODEL_INPUT = /^(ckpt_name|lora_name|vae_name|unet_name|clip_name\d*|control_net_name|model_name|upscale_model_name|style_model_name|gligen_name|clip_vision_name|hypernetwork_name)$/;

/**
 * A failure is stored in the job's D1 row next to a graph of up to 1 MiB, and ComfyUI echoes what
 * it was sent (`received_value`, exception texts): unbounded, one bad input could push the row past
 * D1's 2 MB. The message keeps its start, details a JSON preview past the limit.
 */
export const FAILURE_MESSAGE_MAX_CHARS = 2000;
export const FAILURE_DETAILS_MAX_BYTES = 16 * 1024;
const DETAILS_PREVIEW_CHARS = 4096;

/** The failure, with message and details cut to the stored bounds. Pure. */
export function boundedFailure(f: Failure): Failure {
  const message = f.message.length > FAILURE_MESSAGE_MAX_CHARS ? `${f.message.slice(0, FAILURE_MESSAGE_MAX_CHARS - 1)}…` : f.message;
  if (f.details === undefined) return { ...f, message };
  const json = JSON.stringify(f.details) ?? "";
  const bytes = new TextEncoder().encode(json).length;
  if (bytes <= FAILURE_DETAILS_MAX_BYTES) return { ...f, message };
  return { ...f, message, details: { truncated: true, bytes, preview: json.slice(0, DETAILS_PREVIEW_CHARS) } };
}

/** ComfyUI's 400 from POST /prompt → why the job cannot run, in words that say what to fix. */
export const classifyRejection = (status: number, raw: unknown): Failure => boundedFailure(rejectionOf(status, raw));

function rejectionOf(status: number, raw: unknown): Failure {
  const body = (raw && typeof raw === "object" ? raw : {}) as ComfyErrorBody;
  const err = typeof body.error === "object" ? body.error : undefined;
  const nodeErrors = body.node_errors ?? {};
  const details = { comfyui: { status, error: body.error ?? raw, node_errors: nodeErrors } };

  if (err?.type === "missing_node_type" || (err?.type === "invalid_prompt" && /does not exist|missing the class_type/.test(err.message ?? ""))) {
    const classType = (err.extra_info?.class_type as string | undefined) ?? /node (\S+) does not exist/.exec(err.message ?? "")?.[1] ?? "unknown";
    return {
      code: "WORKFLOW_INVALID",
      message: `Node type "${classType}" (${err.details ?? "unknown node"}) is not installed on the ComfyUI host; install the custom node or remove it from the workflow`,
      details,
      retryable: false,
    };
  }

  for (const [nodeId, ne] of Object.entries(nodeErrors)) {
    for (const e of ne.errors ?? []) {
      const input = e.extra_info?.input_name;
      if (e.type === "value_not_in_list" && typeof input === "string" && MODEL_INPUT.test(input)) {
        return {
          code: "COMFYUI_MODEL_MISSING",
          message: `Model "${String(e.extra_info?.received_value)}" for ${input} of node ${nodeId} (${ne.class_type ?? "?"}) is not on the ComfyUI host`,
          details,
          retryable: false,
        };
      }
    }
  }

  const firstNodeError = Object.entries(nodeErrors)
    .flatMap(([id, ne]) => (ne.errors ?? []).map((e) => `node ${id} (${ne.class_type ?? "?"}): ${e.message ?? e.type}${e.details ? `: ${e.details}` : ""}`))
    .at(0);
  const message = firstNodeError ?? (err?.message ? `${err.message}${err.details ? `: ${err.details}` : ""}` : `ComfyUI rejected the workflow (HTTP ${status})`);
  return { code: "WORKFLOW_INVALID", message: `ComfyUI rejected the workflow: ${message}`, details, retryable: false };
}

/** An `execution_error` payload (from the socket or from history) → the job's failure. */
export const classifyExecutionError = (data: Record<string, unknown>): Failure => boundedFailure(executionErrorOf(data));

function executionErrorOf(data: Record<string, unknown>): Failure {
  const message = typeof data.exception_message === "string" ? data.exception_message.trim() : "execution failed";
  const where = `node ${String(data.node_id ?? "?")} (${String(data.node_type ?? "?")})`;
  const details = { nodeId: data.node_id, nodeType: data.node_type, exceptionType: data.exception_type, exceptionMessage: data.exception_message };
  if (isOom(data.exception_type, data.exception_message)) {
    return { code: "COMFYUI_OOM", message: `The GPU ran out of memory in ${where}; try a smaller image size or batch`, details, retryable: false };
  }
  return { code: "COMFYUI_EXECUTION_ERROR", message: `${where} failed: ${message.split("\n")[0]}`, details, retryable: false };
}

export type Outcome = { kind: "success" } | { kind: "interrupted" } | { kind: "failed"; failure: Failure };

/** A finished history entry → what happened. An interrupt and an error both read "error"; the last message tells them apart. */
export function outcomeOf(entry: HistoryEntry): Outcome {
  const status = entry.status;
  if (!status || status.status_str === "success" || status.completed === true) return { kind: "success" };
  const messages = status.messages ?? [];
  for (let i = messages.length - 1; i >= 0; i--) {
    const [name, data] = messages[i]!;
    if (name === "execution_interrupted") return { kind: "interrupted" };
    if (name === "execution_error") return { kind: "failed", failure: classifyExecutionError(data) };
  }
  return { kind: "failed", failure: { code: "COMFYUI_EXECUTION_ERROR", message: "ComfyUI reported the prompt as failed without an error message", retryable: false } };
}
