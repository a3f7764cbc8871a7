import { describe, expect, it } from "vitest";
import { JOB_STATUSES, TERMINAL, allowedFrom, canMove, isTerminal, type JobStatus } from "../../src/jobs/states";

/**
 * Every from → to pair, written out by hand from the design (not derived from TRANSITIONS): a
 * move added to or dropped from the code without changing this table fails here.
 * Columns: queued, running, canceling, succeeded, failed, canceled, expired.
 */
const Y = true;
const _ = false;
const EXPECTED: Record<JobStatus, [boolean, boolean, boolean, boolean, boolean, boolean, boolean]> = {
  //          queued running canceling succeeded failed canceled expired
  queued:    [_,     Y,      _,        _,        _,     Y,       Y],
  running:   [Y,     _,      Y,        Y,        Y,     _,       _],
  canceling: [_,     _,      _,        Y,        Y,     Y,       _],
  succeeded: [_,     _,      _,        _,        _,     _,       _],
  failed:    [_,     _,      _,        _,        _,     _,       _],
  canceled:  [_,     _,      _,        _,        _,     _,       _],
  expired:   [_,     _,      _,        _,        _,     _,       _],
};
const COLUMNS = ["queued", "running", "canceling", "succeeded", "failed", "canceled", "expired"] as const;

describe("job transition table", () => {
  it("knows exactly the seven statuses the table covers", () => {
    expect([...JOB_STATUSES].sort()).toEqual([...COLUMNS].sort());
  });

  const pairs = COLUMNS.flatMap((from) => COLUMNS.map((to, i) => ({ from, to, ok: EXPECTED[from][i]! })));

  it.each(pairs)("$from → $to allowed: $ok", ({ from, to, ok }) => {
    expect(canMove(from, to)).toBe(ok);
    expect(allowedFrom(to).includes(from)).toBe(ok);
  });

  it("has exactly the four terminal states, which nothing leaves", () => {
    expect([...TERMINAL].sort()).toEqual(["canceled", "expired", "failed", "succeeded"]);
    for (const s of COLUMNS) expect(isTerminal(s)).toBe(["succeeded", "failed", "canceled", "expired"].includes(s));
  });
});
