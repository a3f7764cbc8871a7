/**
 * What one attempt's result means for the delivery: pure, with the clock and randomness passed in.
 *
 * | result                         | then                                              |
 * | ------------------------------ | ------------------------------------------------- |
 * | 2xx                            | succeeded                                         |
 * | 408, 429, 5xx                  | retry (Retry-After honoured), until max attempts  |
 * | timeout, network error         | retry, until max attempts                         |
 * | 3xx                            | failed: redirects are never followed              |
 * | any other 4xx                  | failed: the receiver refused the message          |
 * | URL refused (SSRF, allowlist)  | failed                                            |
 */
export type AttemptResult =
  | { kind: "response"; status: number; retryAfter?: string | null }
  | { kind: "timeout"; afterMs: number }
  | { kind: "network"; error: string }
  | { kind: "refused"; reason: string };

export type Verdict = { verdict: "success" } | { verdict: "retry" } | { verdict: "stop"; why: string };

export function judge(r: AttemptResult): Verdict {
  switch (r.kind) {
    case "timeout":
    case "network":
      return { verdict: "retry" };
    case "refused":
      return { verdict: "stop", why: "not retried" };
    case "response":
      if (r.status >= 200 && r.status < 300) return { verdict: "success" };
      if (r.status === 408 || r.status === 429 || r.status >= 500) return { verdict: "retry" };
      if (r.status >= 300 && r.status < 400) return { verdict: "stop", why: "redirects are not followed; point callbackUrl at the final URL" };
      return { verdict: "stop", why: "not retried: the receiver refused the message" };
  }
}

export type Backoff = { baseMs: number; maxMs: number };

/**
 * The wait after failed attempt `attempt` (1-based): the base doubling each time, capped, with
 * "equal jitter" (half fixed, half random), so retries from many deliveries spread out while each
 * delivery's waits still grow.
 */
export function backoffMs(attempt: number, b: Backoff, random: () => number = Math.random): number {
  const ceiling = Math.min(b.maxMs, b.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** `Retry-After` in seconds or as an HTTP date, as milliseconds from now; null when absent or unreadable. */
export function retryAfterMs(header: string | null | undefined, nowMs: number): number | null {
  if (!header) return null;
  const v = header.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  if (!/^[A-Za-z]{3}, /.test(v)) return null; // an HTTP date ("Tue, 01 Dec 2026 12:00:30 GMT"), nothing looser
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}

export type NextStep =
  | { kind: "succeeded" }
  | { kind: "retry"; delayMs: number }
  | { kind: "failed"; reason: "not_retryable" | "exhausted"; why: string };

/**
 * After attempt `attempt` of at most `maxAttempts`: done, or wait `delayMs` and try again. A
 * Retry-After longer than our own backoff wins (capped at the backoff maximum, so one receiver
 * cannot park a delivery for days).
 */
export function nextStep(
  r: AttemptResult,
  attempt: number,
  opts: Backoff & { maxAttempts: number; nowMs: number },
  random: () => number = Math.random,
): NextStep {
  const v = judge(r);
  if (v.verdict === "success") return { kind: "succeeded" };
  if (v.verdict === "stop") return { kind: "failed", reason: "not_retryable", why: v.why };
  if (attempt >= opts.maxAttempts) return { kind: "failed", reason: "exhausted", why: `gave up after ${attempt} attempt${attempt === 1 ? "" : "s"}` };
  const own = backoffMs(attempt, opts, random);
  const asked = r.kind === "response" ? retryAfterMs(r.retryAfter, opts.nowMs) : null;
  return { kind: "retry", delayMs: asked === null ? own : Math.max(own, Math.min(asked, opts.maxMs)) };
}
