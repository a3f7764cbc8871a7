import { describe, expect, it } from "vitest";
import { planInline } from "../../src/jobs/inline";
import { base64 } from "../../src/lib/bytes";

const file = (name: string, bytes: number) => ({ name, bytes, key: `outputs/job/${name}` });

describe("planInline", () => {
  it("inlines every file output while the job's budget lasts, in output order", () => {
    const plan = planInline([file("a.png", 400), file("b.png", 600)], 1000);
    expect(plan.get("a.png")).toEqual({ inline: true, key: "outputs/job/a.png" });
    expect(plan.get("b.png")).toEqual({ inline: true, key: "outputs/job/b.png" });
  });

  it("leaves an output past the budget with its link and a note naming INLINE_OUTPUT_MAX_BYTES, and still inlines a later one that fits", () => {
    const plan = planInline([file("a.png", 700), file("big.png", 500), file("c.png", 300)], 1000);
    expect(plan.get("a.png")).toMatchObject({ inline: true });
    expect(plan.get("big.png")).toEqual({
      inline: false,
      note: "Not inline: its 500 bytes do not fit in what is left of INLINE_OUTPUT_MAX_BYTES (1000 per job, 300 left); download it from url",
    });
    expect(plan.get("c.png")).toMatchObject({ inline: true });
  });

  it("takes nothing from the budget for text outputs, which carry their text already", () => {
    const plan = planInline([{ name: "caption.txt", bytes: 900 }, file("a.png", 1000)], 1000);
    expect(plan.has("caption.txt")).toBe(false);
    expect(plan.get("a.png")).toMatchObject({ inline: true });
  });

  it("inlines nothing with a budget of 0", () => {
    expect(planInline([file("a.png", 1)], 0).get("a.png")).toMatchObject({ inline: false });
  });
});

describe("base64", () => {
  it.each([0, 1, 2, 3, 0x8000 - 1, 0x8000, 0x8000 * 2 + 5])("encodes %i bytes as btoa does", (n) => {
    const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37) % 256);
    expect(base64(bytes)).toBe(btoa(String.fromCharCode(...Array.from(bytes))));
  });
});
