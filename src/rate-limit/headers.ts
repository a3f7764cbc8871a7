import type { RateLimitResult } from "./limiter";

/** Seconds until the window resets; at least 1, so a client never retries in a tight loop. */
export const retryAfterSeconds = (r: RateLimitResult, nowMs: number) => Math.max(1, Math.ceil((r.resetAtMs - nowMs) / 1000));

/** The headers ComfyUI Gateway clients read: limit, what is left, and the reset as epoch seconds. */
export function rateLimitHeaders(r: RateLimitResult, nowMs: number): Record<string, string> {
  const h: Record<string, string> = {
    "X-RateLimit-Limit": String(r.limit),
    "X-RateLimit-Remaining": String(r.remaining),
    "X-RateLimit-Reset": String(Math.ceil(r.resetAtMs / 1000)),
  };
  if (!r.allowed) h["Retry-After"] = String(retryAfterSeconds(r, nowMs));
  return h;
}
