import { describe, expect, it } from "vitest";
import { backoffMs, judge, nextStep, retryAfterMs, type AttemptResult } from "../../../src/webhooks/policy";

const response = (status: number, retryAfter?: string): AttemptResult => ({ kind: "response", status, retryAfter: retryAfter ?? null });

describe("judge: what a receiver's answer means", () => {
  it.each([
    { result: response(200), verdict: "success" },
    { result: response(201), verdict: "success" },
    { result: response(204), verdict: "success" },
    { result: response(299), verdict: "success" },
    { result: response(408), verdict: "retry" },
    { result: response(429), verdict: "retry" },
    { result: response(500), verdict: "retry" },
    { result: response(502), verdict: "retry" },
    { result: response(503), verdict: "retry" },
    { result: response(504), verdict: "retry" },
    { result: { kind: "timeout", afterMs: 10_000 } as const, verdict: "retry" },
    { result: { kind: "network", error: "connection refused" } as const, verdict: "retry" },
    { result: response(301), verdict: "stop" },
    { result: response(302), verdict: "stop" },
    { result: response(307), verdict: "stop" },
    { result: response(308), verdict: "stop" },
    { result: response(400), verdict: "stop" },
    { result: response(401), verdict: "stop" },
    { result: response(403), verdict: "stop" },
    { result: response(404), verdict: "stop" },
    { result: response(410), verdict: "stop" },
    { result: response(422), verdict: "stop" },
    { result: { kind: "refused", reason: "private address" } as const, verdict: "stop" },
  ])("$result.kind $result.status → $verdict", ({ result, verdict }) => {
    expect(judge(result).verdict).toBe(verdict);
  });

  it("tells the operator to fix a redirecting URL rather than follow it", () => {
    expect(judge(response(302))).toEqual({ verdict: "stop", why: expect.stringContaining("redirects are not followed") });
  });
});

describe("backoffMs", () => {
  const b = { baseMs: 1_000, maxMs: 60_000 };

  it.each([
    { attempt: 1, random: 0, want: 500 },
    { attempt: 1, random: 1, want: 1_000 },
    { attempt: 2, random: 0, want: 1_000 },
    { attempt: 3, random: 0.5, want: 3_000 },
    { attempt: 10, random: 1, want: 60_000 },
    { attempt: 30, random: 0, want: 30_000 },
  ])("attempt $attempt with random $random waits $want ms", ({ attempt, random, want }) => {
    expect(backoffMs(attempt, b, () => random)).toBe(want);
  });

  it("never waits less after a later attempt below the cap, whatever the jitter (equal jitter keeps the ranges ordered)", () => {
    for (let attempt = 1; attempt < 6; attempt++) {
      expect(backoffMs(attempt + 1, b, () => 0)).toBeGreaterThanOrEqual(backoffMs(attempt, b, () => 1));
    }
  });
});

describe("retryAfterMs", () => {
  const now = Date.parse("2026-12-01T12:00:00Z");
  it.each([
    { header: null, want: null },
    { header: "", want: null },
    { header: "120", want: 120_000 },
    { header: " 5 ", want: 5_000 },
    { header: "Tue, 01 Dec 2026 12:00:30 GMT", want: 30_000 },
    { header: "Tue, 01 Dec 2026 11:00:00 GMT", want: 0 },
    { header: "soon", want: null },
    { header: "-1", want: null },
  ])("$header → $want", ({ header, want }) => {
    expect(retryAfterMs(header, now)).toBe(want);
  });
});

describe("nextStep", () => {
  const opts = { baseMs: 1_000, maxMs: 60_000, maxAttempts: 4, nowMs: 0 };
  it.each([
    { name: "a 2xx ends it", result: response(200), attempt: 1, want: { kind: "succeeded" } },
    { name: "a 500 retries after the backoff", result: response(500), attempt: 1, want: { kind: "retry", delayMs: 500 } },
    { name: "a timeout retries", result: { kind: "timeout", afterMs: 10_000 } as const, attempt: 2, want: { kind: "retry", delayMs: 1_000 } },
    { name: "the last attempt's 500 is a dead letter", result: response(500), attempt: 4, want: { kind: "failed", reason: "exhausted", why: "gave up after 4 attempts" } },
    { name: "a 400 stops at once", result: response(400), attempt: 1, want: { kind: "failed", reason: "not_retryable" } },
    { name: "a 400 on the last attempt is still not retryable", result: response(400), attempt: 4, want: { kind: "failed", reason: "not_retryable" } },
    { name: "Retry-After longer than the backoff wins", result: response(429, "30"), attempt: 1, want: { kind: "retry", delayMs: 30_000 } },
    { name: "Retry-After shorter than the backoff loses", result: response(503, "0"), attempt: 1, want: { kind: "retry", delayMs: 500 } },
    { name: "Retry-After is capped at the backoff maximum", result: response(429, "86400"), attempt: 1, want: { kind: "retry", delayMs: 60_000 } },
    { name: "Retry-After on a 429 at the last attempt does not add one", result: response(429, "1"), attempt: 4, want: { kind: "failed", reason: "exhausted" } },
  ])("$name", ({ result, attempt, want }) => {
    expect(nextStep(result, attempt, opts, () => 0)).toMatchObject(want);
  });
});
