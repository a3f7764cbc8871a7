import { describe, expect, it } from "vitest";
import { usageRange, usageReport } from "../../src/jobs/usage";

const NOW = Date.parse("2026-11-15T10:00:00Z");

describe("usageRange", () => {
  it.each([
    { from: undefined, to: undefined, want: ["2026-10-17", "2026-11-15"] },
    { from: undefined, to: "2026-03-31", want: ["2026-03-02", "2026-03-31"] },
    { from: "2026-11-15", to: "2026-11-15", want: ["2026-11-15", "2026-11-15"] },
  ])("from $from to $to → $want", ({ from, to, want }) => {
    const r = usageRange(from, to, NOW);
    expect([r.from, r.to]).toEqual(want);
    expect(r.toMs - r.fromMs).toBe(((Date.parse(want[1]!) - Date.parse(want[0]!)) / 86_400_000 + 1) * 86_400_000);
  });

  it.each([
    ["2026-11-16", "2026-11-15"],
    ["2025-01-01", "2026-11-15"],
  ])("refuses %s → %s", (from, to) => {
    expect(() => usageRange(from, to, NOW)).toThrow(/Invalid query/);
  });
});

describe("usageReport", () => {
  it("fills every day, adds up statuses and turns execution ms into GPU-seconds", () => {
    const range = usageRange("2026-11-01", "2026-11-03", NOW);
    const r = usageReport([
      { day: "2026-11-01", status: "succeeded", jobs: 3, executionMs: 4_500 },
      { day: "2026-11-01", status: "failed", jobs: 1, executionMs: 1 },
      { day: "2026-11-03", status: "queued", jobs: 2, executionMs: 0 },
      { day: "2026-10-31", status: "succeeded", jobs: 9, executionMs: 9_000 },
    ], range);
    expect(r.days.map((d) => [d.date, d.jobs.total, d.gpuSeconds])).toEqual([["2026-11-01", 4, 4.501], ["2026-11-02", 0, 0], ["2026-11-03", 2, 0]]);
    expect(r.days[0]!.jobs).toMatchObject({ succeeded: 3, failed: 1, queued: 0, running: 0, canceled: 0, expired: 0, canceling: 0 });
    expect(r.totals).toEqual({ jobs: expect.objectContaining({ total: 6, succeeded: 3, failed: 1, queued: 2 }), gpuSeconds: 4.501 });
  });
});
