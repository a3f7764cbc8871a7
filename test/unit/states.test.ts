import { describe, expect, it } from "vitest";
import { JOB_STATUSES, TERMINAL, TRANSITIONS, allowedFrom, canMove, isTerminal } from "../../src/jobs/states";

describe("job transition table", () => {
  const allowed = new Set(Object.entries(TRANSITIONS).flatMap(([from, tos]) => tos.map((to) => `${from}->${to}`)));
  const pairs = JOB_STATUSES.flatMap((from) => JOB_STATUSES.map((to) => ({ from, to, ok: allowed.has(`${from}->${to}`) })));

  it.each(pairs)("$from → $to allowed: $ok", ({ from, to, ok }) => {
    expect(canMove(from, to)).toBe(ok);
    expect(allowedFrom(to).includes(from)).toBe(ok);
  });

  it("has exactly the four terminal states, which nothing leaves", () => {
    expect([...TERMINAL].sort()).toEqual(["canceled", "expired", "failed", "succeeded"]);
    for (const s of TERMINAL) expect(isTerminal(s)).toBe(true);
  });

  it("lets a running job be retried (back to queued) but never lets a finished job move", () => {
    expect(canMove("running", "queued")).toBe(true);
    expect(canMove("succeeded", "queued")).toBe(false);
    expect(canMove("canceled", "running")).toBe(false);
  });
});
