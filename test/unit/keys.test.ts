import { describe, expect, it } from "vitest";
import { outputKey, outputPrefix, safeOutputName, uniqueName } from "../../src/storage/keys";

describe("output keys", () => {
  it.each(["../../etc/passwd", "..", "/abs/path.png", "a\\..\\b.png", "%2e%2e/x", "sub/../../x.png", ".hidden", ""])(
    "keeps %j inside the job's prefix",
    (name) => {
      const key = outputKey("job-1", safeOutputName(name, "../up"));
      expect(key.startsWith(outputPrefix("job-1"))).toBe(true);
      expect(key.slice(outputPrefix("job-1").length)).not.toMatch(/\/|^\.\.|^$/);
    },
  );

  it("folds the subfolder into the name", () => {
    expect(safeOutputName("gw_00001_.png", "gw")).toBe("gw_gw_00001_.png");
  });

  it("gives clashing names a numbered suffix", () => {
    const taken = new Set(["a.png", "a (2).png"]);
    expect(uniqueName("a.png", taken)).toBe("a (3).png");
    expect(uniqueName("b.png", taken)).toBe("b.png");
  });
});
