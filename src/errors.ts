import type { ContentfulStatusCode } from "hono/utils/http-status";

/** Every code the API or a job can carry. docs/errors.md has one anchor per code. */
export const ErrorCode = {
  VALIDATION_FAILED: "VALIDATION_FAILED",
  WORKFLOW_INVALID: "WORKFLOW_INVALID",
  AUTH_FAILED: "AUTH_FAILED",
  FORBIDDEN: "FORBIDDEN",
  NOT_FOUND: "NOT_FOUND",
  METHOD_NOT_ALLOWED: "METHOD_NOT_ALLOWED",
  CONFLICT: "CONFLICT",
  IDEMPOTENCY_CONFLICT: "IDEMPOTENCY_CONFLICT",
  PAYLOAD_TOO_LARGE: "PAYLOAD_TOO_LARGE",
  UNSUPPORTED_MEDIA_TYPE: "UNSUPPORTED_MEDIA_TYPE",
  RATE_LIMITED: "RATE_LIMITED",
  QUEUE_FULL: "QUEUE_FULL",
  SIGNATURE_INVALID: "SIGNATURE_INVALID",
  SIGNATURE_EXPIRED: "SIGNATURE_EXPIRED",
  RANGE_NOT_SATISFIABLE: "RANGE_NOT_SATISFIABLE",
  COMFYUI_UNREACHABLE: "COMFYUI_UNREACHABLE",
  COMFYUI_OOM: "COMFYUI_OOM",
  COMFYUI_EXECUTION_ERROR: "COMFYUI_EXECUTION_ERROR",
  COMFYUI_TIMEOUT: "COMFYUI_TIMEOUT",
  COMFYUI_INTERRUPTED: "COMFYUI_INTERRUPTED",
  COMFYUI_MODEL_MISSING: "COMFYUI_MODEL_MISSING",
  STORAGE_ERROR: "STORAGE_ERROR",
  WEBHOOK_DELIVERY_FAILED: "WEBHOOK_DELIVERY_FAILED",
  INTERNAL: "INTERNAL",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** HTTP status for a code when it answers a request; job failures reuse the code without the status. */
export const STATUS: Record<ErrorCode, ContentfulStatusCode> = {
  VALIDATION_FAILED: 400,
  WORKFLOW_INVALID: 400,
  AUTH_FAILED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  IDEMPOTENCY_CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  QUEUE_FULL: 429,
  SIGNATURE_INVALID: 403,
  SIGNATURE_EXPIRED: 403,
  RANGE_NOT_SATISFIABLE: 416,
  COMFYUI_UNREACHABLE: 502,
  COMFYUI_OOM: 500,
  COMFYUI_EXECUTION_ERROR: 500,
  COMFYUI_TIMEOUT: 504,
  COMFYUI_INTERRUPTED: 500,
  COMFYUI_MODEL_MISSING: 400,
  STORAGE_ERROR: 500,
  WEBHOOK_DELIVERY_FAILED: 502,
  INTERNAL: 500,
};

/** Whether a job that failed with this code may run again on another host. */
export const RETRYABLE: Record<ErrorCode, boolean> = {
  VALIDATION_FAILED: false,
  WORKFLOW_INVALID: false,
  AUTH_FAILED: false,
  FORBIDDEN: false,
  NOT_FOUND: false,
  METHOD_NOT_ALLOWED: false,
  CONFLICT: false,
  IDEMPOTENCY_CONFLICT: false,
  PAYLOAD_TOO_LARGE: false,
  UNSUPPORTED_MEDIA_TYPE: false,
  RATE_LIMITED: true,
  QUEUE_FULL: true,
  SIGNATURE_INVALID: false,
  SIGNATURE_EXPIRED: false,
  RANGE_NOT_SATISFIABLE: false,
  COMFYUI_UNREACHABLE: true,
  COMFYUI_OOM: false,
  COMFYUI_EXECUTION_ERROR: false,
  COMFYUI_TIMEOUT: false,
  COMFYUI_INTERRUPTED: false,
  COMFYUI_MODEL_MISSING: false,
  STORAGE_ERROR: true,
  WEBHOOK_DELIVERY_FAILED: true,
  INTERNAL: false,
};

export type ErrorBody = { error: ErrorCode; message: string; details?: unknown; retryable?: boolean };

/** A failure with a public message for the client and a private reason and cause for the log. */
export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly more: { reason?: string; details?: unknown; retryable?: boolean; cause?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(message, { cause: more.cause });
    this.name = "ApiError";
  }

  get status(): ContentfulStatusCode {
    return STATUS[this.code];
  }

  body(): ErrorBody {
    const out: ErrorBody = { error: this.code, message: this.message };
    if (this.more.details !== undefined) out.details = this.more.details;
    if (this.more.retryable !== undefined) out.retryable = this.more.retryable;
    return out;
  }
}

export const notFound = (what: string) => new ApiError("NOT_FOUND", `${what} not found`);
