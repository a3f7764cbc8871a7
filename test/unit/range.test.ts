import { describe, expect, it } from "vitest";
import { parseRange } from "../../src/storage/range";

describe("parseRange", () => {
  it.each([
    { header: undefined, size: 100, want: null },
    { header: "bytes=0-9", size: 100, want: { offset: 0, length: 10 } },
    { header: "bytes=90-", size: 100, want: { offset: 90, length: 10 } },
    { header: "bytes=-5", size: 100, want: { offset: 95, length: 5 } },
    { header: "bytes=-500", size: 100, want: { offset: 0, length: 100 } },
    { header: "bytes=50-1000", size: 100, want: { offset: 50, length: 50 } },
    { header: "bytes=100-", size: 100, want: "unsatisfiable" },
    { header: "bytes=-0", size: 100, want: "unsatisfiable" },
    { header: "bytes=9-3", size: 100, want: null },
    { header: "bytes=0-1,5-6", size: 100, want: null },
    { header: "items=0-1", size: 100, want: null },
  ])("$header of $size bytes → $want", ({ header, size, want }) => {
    expect(parseRange(header, size)).toEqual(want);
  });
});
