/**
 * Rate limiting behind one small interface, so the middleware can be tested with any counter and
 * the deployment can count exactly in a Durable Object per bucket (do-limiter.ts).
 */
export type RateLimitRule = { max: number; windowMs: number };
export type RateLimitResult = { allowed: boolean; limit: number; remaining: number; resetAtMs: number };

export interface RateLimiter {
  /** Counts one request against `bucket` (a principal or a client IP) and says whether it may pass. */
  limit(bucket: string, rule: RateLimitRule): Promise<RateLimitResult>;
}

/** A window opens with the first request of a bucket and lasts `windowMs`; it is never shared between buckets. */
export type WindowState = { startMs: number; resetAtMs: number; count: number };

/**
 * Fixed-window arithmetic, pure. A request past the limit is refused and not counted, so a client
 * that keeps retrying does not push its own reset further away.
 */
export function countHit(state: WindowState | undefined, rule: RateLimitRule, nowMs: number): { state: WindowState; result: RateLimitResult } {
  const current = state && nowMs < state.resetAtMs ? state : { startMs: nowMs, resetAtMs: nowMs + rule.windowMs, count: 0 };
  const allowed = current.count < rule.max;
  const next = allowed ? { ...current, count: current.count + 1 } : current;
  return { state: next, result: { allowed, limit: rule.max, remaining: Math.max(0, rule.max - next.count), resetAtMs: next.resetAtMs } };
}

/** One isolate's counter: exact only within that isolate. For tests and single-process use. */
export function memoryLimiter(clock: () => number = Date.now): RateLimiter {
  const windows = new Map<string, WindowState>();
  return {
    async limit(bucket, rule) {
      const { state, result } = countHit(windows.get(bucket), rule, clock());
      windows.set(bucket, state);
      return result;
    },
  };
}
