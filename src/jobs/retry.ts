import { RETRYABLE, type ErrorCode } from "../errors";

export type RetryDecision = { retry: true } | { retry: false; reason: "not_retryable" | "exhausted" };

/** Whether a job that failed its `attempts`-th attempt with `code` goes back to the queue. */
export function retryPolicy(attempts: number, code: ErrorCode, maxAttempts: number): RetryDecision {
  if (!RETRYABLE[code]) return { retry: false, reason: "not_retryable" };
  if (attempts >= maxAttempts) return { retry: false, reason: "exhausted" };
  return { retry: true };
}
