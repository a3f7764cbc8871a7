import { describe, expect, it } from "vitest";
import { checkLimits } from "../../src/jobs/limits";
import { reconnectDelayMs } from "../../src/hosts/socket";

const limits = { maxImageSize: 2048, maxBatchSize: 8 };

describe("checkLimits", () => {
  it.each([
    { node: { class_type: "EmptyLatentImage", inputs: { width: 4096, height: 512, batch_size: 1 } }, path: "workflow.5.inputs.width" },
    { node: { class_type: "EmptySD3LatentImage", inputs: { width: 1024, height: 2056, batch_size: 1 } }, path: "workflow.5.inputs.height" },
    { node: { class_type: "EmptyLatentImage", inputs: { width: 512, height: 512, batch_size: 9 } }, path: "workflow.5.inputs.batch_size" },
  ])("refuses $path over its limit", ({ node, path }) => {
    expect(checkLimits({ "5": node }, limits).map((i) => i.path)).toEqual([path]);
  });

  it("allows sizes at the limit, unknown nodes and linked values", () => {
    expect(checkLimits({
      "5": { class_type: "EmptyLatentImage", inputs: { width: 2048, height: 2048, batch_size: 8 } },
      "6": { class_type: "SomeCustomNode", inputs: { width: 99999 } },
      "7": { class_type: "EmptyLatentImage", inputs: { width: ["8", 0], height: 512, batch_size: 1 } },
    }, limits)).toEqual([]);
  });
});

describe("reconnectDelayMs", () => {
  it.each([
    { failures: 1, want: 1000 }, { failures: 2, want: 2000 }, { failures: 3, want: 4000 },
    { failures: 10, want: 32000 }, { failures: 50, want: 32000 },
  ])("after $failures failures waits $want ms (base 1 s, 5 doublings)", ({ failures, want }) => {
    expect(reconnectDelayMs(failures, 1, 5)).toBe(want);
  });
  it("never waits more than a minute", () => {
    expect(reconnectDelayMs(20, 30, 10)).toBe(60_000);
  });
});
