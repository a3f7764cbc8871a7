import { describe, expect, it } from "vitest";
import { freeSlots, nextAlarm, planFrame, planTick, type AttemptView, type Timing } from "../../src/hosts/planner";

const T: Timing = { tickMs: 2_000, idleCheckMs: 30_000, silencePollMs: 3_000, interruptGraceMs: 10_000, queuedOnHostMaxMs: 30_000, progressWebhookMs: 5_000, runStateWriteMs: 10_000 };
const NOW = 1_000_000;

const attempt = (over: Partial<AttemptView> = {}): AttemptView => ({
  attemptId: "a1", phase: "submitted", clientId: "sock", dispatchedAtMs: NOW - 1_000, submittedAtMs: NOW - 900, startedAtMs: null,
  deadlineMs: NOW + 60_000, lastEventAtMs: NOW - 100, timeoutMs: 30_000, progress: null, events: [], ...over,
});

describe("planTick", () => {
  it.each([
    { name: "a quiet attempt followed by the current socket: nothing", a: attempt(), want: [] },
    { name: "an ended attempt retries its D1 write", a: attempt({ phase: "ended" }), want: [{ do: "record", attemptId: "a1" }] },
    { name: "an ended attempt past its deadline still only records (its outcome is known)", a: attempt({ phase: "ended", deadlineMs: NOW - 1 }), want: [{ do: "record", attemptId: "a1" }] },
    { name: "a pending attempt is submitted", a: attempt({ phase: "pending", submittedAtMs: null }), want: [{ do: "submit", attemptId: "a1" }] },
    { name: "a running attempt at its deadline is interrupted, not yet failed", a: attempt({ startedAtMs: NOW - 30_000, deadlineMs: NOW }), want: [{ do: "timeout", attemptId: "a1", final: false }] },
    { name: "a running attempt past deadline + grace is failed", a: attempt({ startedAtMs: NOW - 50_000, deadlineMs: NOW - 10_000 }), want: [{ do: "timeout", attemptId: "a1", final: true }] },
    { name: "a never-started attempt at its deadline is failed at once", a: attempt({ deadlineMs: NOW }), want: [{ do: "timeout", attemptId: "a1", final: true }] },
    { name: "a pending attempt past its deadline times out rather than submitting", a: attempt({ phase: "pending", deadlineMs: NOW - 1 }), want: [{ do: "timeout", attemptId: "a1", final: true }] },
    { name: "submitted under another socket's client id: looked up", a: attempt({ clientId: "old-sock" }), want: [{ do: "reconcile", attemptId: "a1" }] },
    { name: "silent past the silence window: looked up", a: attempt({ lastEventAtMs: NOW - 3_001 }), want: [{ do: "reconcile", attemptId: "a1" }] },
    { name: "silent exactly the silence window: not yet", a: attempt({ lastEventAtMs: NOW - 3_000 }), want: [] },
    { name: "canceling: looked up every tick", a: attempt({ phase: "canceling" }), want: [{ do: "reconcile", attemptId: "a1" }] },
  ])("$name", ({ a, want }) => {
    expect(planTick([a], "sock", NOW, T)).toEqual(want);
  });

  it("moves a prompt that waited in ComfyUI's queue behind a running one past the bound, and only then", () => {
    const running = attempt({ attemptId: "run", startedAtMs: NOW - 40_000 });
    const waiting = (waitedMs: number) => attempt({ attemptId: "wait", submittedAtMs: NOW - waitedMs });
    expect(planTick([running, waiting(30_000)], "sock", NOW, T)).toEqual([{ do: "move", attemptId: "wait" }]);
    expect(planTick([running, waiting(29_999)], "sock", NOW, T)).toEqual([]);
    // Nothing running ahead of it (ComfyUI is about to start it): it stays.
    expect(planTick([waiting(60_000)], "sock", NOW, T)).toEqual([]);
  });
});

describe("nextAlarm", () => {
  it.each([
    { name: "idle and healthy: the idle check", attempts: [], failures: 0, want: NOW + 30_000 },
    { name: "idle and unreachable: four ticks", attempts: [], failures: 2, want: NOW + 8_000 },
    { name: "with work: the next tick", attempts: [attempt()], failures: 0, want: NOW + 2_000 },
    { name: "a deadline before the next tick: the deadline itself", attempts: [attempt({ deadlineMs: NOW + 700 })], failures: 0, want: NOW + 700 },
    { name: "the earliest of several deadlines", attempts: [attempt({ deadlineMs: NOW + 900 }), attempt({ attemptId: "b", deadlineMs: NOW + 300 })], failures: 0, want: NOW + 300 },
    { name: "a deadline passed: the end of its grace if that comes first", attempts: [attempt({ deadlineMs: NOW - 9_500 })], failures: 0, want: NOW + 500 },
  ])("$name", ({ attempts, failures, want }) => {
    expect(nextAlarm(attempts, failures, NOW, T)).toBe(want);
  });
});

describe("planFrame", () => {
  const clocks = { lastProgressWebhookAtMs: 0, lastRunStateWriteAtMs: 0 };

  it("execution_start sets the start and restarts the deadline from it; `started` only for jobs that asked", () => {
    expect(planFrame(attempt(), { type: "execution_start", promptId: "a1", timestamp: NOW - 5 }, NOW, T, clocks)).toEqual({
      patch: { lastEventAtMs: NOW, startedAtMs: NOW - 5, deadlineMs: NOW + 30_000 },
    });
    expect(planFrame(attempt({ events: ["started"] }), { type: "execution_start", promptId: "a1" }, NOW, T, clocks).emit).toBe("started");
  });

  it("progress is kept in the host, offered as a webhook at most once per interval, copied to D1 only for long runs", () => {
    const ev = { type: "progress" as const, promptId: "a1", node: "3", value: 5, max: 20 };
    expect(planFrame(attempt({ startedAtMs: NOW - 1_000 }), ev, NOW, T, clocks)).toEqual({ patch: { lastEventAtMs: NOW, progress: { node: "3", value: 5, max: 20, percent: 25 } } });
    expect(planFrame(attempt({ startedAtMs: NOW - 1_000, events: ["progress"] }), ev, NOW, T, clocks).emit).toBe("progress");
    expect(planFrame(attempt({ startedAtMs: NOW - 1_000, events: ["progress"] }), ev, NOW, T, { ...clocks, lastProgressWebhookAtMs: NOW - 4_999 }).emit).toBeUndefined();
    expect(planFrame(attempt({ startedAtMs: NOW - 10_000 }), ev, NOW, T, clocks).writeRunState).toBe(true);
    expect(planFrame(attempt({ startedAtMs: NOW - 10_000 }), ev, NOW, T, { ...clocks, lastRunStateWriteAtMs: NOW - 9_999 }).writeRunState).toBeUndefined();
  });

  it.each([
    { name: "executing null (history is written): look it up", ev: { type: "executing" as const, promptId: "a1", node: null }, reconcile: true },
    { name: "executing a node: nothing", ev: { type: "executing" as const, promptId: "a1", node: "4" }, reconcile: undefined },
    { name: "execution_success (history not yet written): nothing", ev: { type: "execution_success" as const, promptId: "a1" }, reconcile: undefined },
    { name: "execution_error (history not yet written): nothing", ev: { type: "execution_error" as const, promptId: "a1", data: {} }, reconcile: undefined },
  ])("$name", ({ ev, reconcile }) => {
    expect(planFrame(attempt(), ev, NOW, T, clocks).reconcile).toBe(reconcile);
  });
});

describe("freeSlots", () => {
  it.each([
    { n: 0, slots: 2, want: 2 },
    { n: 1, slots: 2, want: 1 },
    { n: 2, slots: 2, want: 0 },
    { n: 3, slots: 2, want: 0 },
  ])("$n attempts on $slots slots → $want", ({ n, slots, want }) => {
    expect(freeSlots(Array.from({ length: n }, (_, i) => attempt({ attemptId: `a${i}` })), slots)).toBe(want);
  });
});
