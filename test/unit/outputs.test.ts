import { describe, expect, it } from "vitest";
import { planOutputs } from "../../src/storage/outputs";
import { kindOf } from "../../src/storage/content-types";

describe("planOutputs", () => {
  it("lists every file and text output of a history entry, skipping previews and inputs", () => {
    const entry = {
      outputs: {
        "9": { images: [{ filename: "a.png", subfolder: "", type: "output" }, { filename: "a.png", subfolder: "", type: "output" }] },
        "10": { images: [{ filename: "ComfyUI_temp_x.png", subfolder: "", type: "temp" }] },
        "11": { gifs: [{ filename: "clip.mp4", subfolder: "vid", type: "output", fullpath: "/srv/x" }] },
        "12": { text: ["hello", "world"] },
        "13": { images: [{ filename: "in.png", subfolder: "", type: "input" }] },
        "14": { audio: [{ filename: "../../etc/passwd", subfolder: "..", type: "output" }] },
      },
    };
    const plan = planOutputs(entry);
    expect(plan.map((p) => [p.kind, p.node, p.name])).toEqual([
      ["file", "9", "a.png"],
      ["file", "9", "a (2).png"],
      ["file", "11", "vid_clip.mp4"],
      ["text", "12", "text_12_1.txt"],
      ["text", "12", "text_12_2.txt"],
      ["file", "14", "__.._.._etc_passwd"],
    ]);
    expect(plan.every((p) => !p.name.includes("/"))).toBe(true);
  });
});

describe("kindOf", () => {
  it.each([
    { key: "images", name: "a.png", animated: false, want: "image" },
    { key: "images", name: "a.webp", animated: true, want: "video" },
    { key: "gifs", name: "a.gif", animated: false, want: "video" },
    { key: "images", name: "a.mp4", animated: false, want: "video" },
    { key: "audio", name: "a.flac", animated: false, want: "audio" },
    { key: "result", name: "mesh.glb", animated: false, want: "3d" },
    { key: "custom", name: "data.bin", animated: false, want: "file" },
  ])("$key/$name → $want", ({ key, name, animated, want }) => {
    expect(kindOf(key, name, animated)).toBe(want);
  });
});

describe("planOutputs with includePreviews", () => {
  const entry = {
    outputs: {
      "9": { images: [{ filename: "ComfyUI_00001_.png", subfolder: "", type: "output" }] },
      "12": { images: [{ filename: "ComfyUI_temp_abcde_00001_.png", subfolder: "", type: "temp" }] },
      "13": { images: [{ filename: "in.png", subfolder: "", type: "input" }] },
    },
  };
  it.each([
    { includePreviews: undefined, want: ["9"] },
    { includePreviews: false, want: ["9"] },
    { includePreviews: true, want: ["9", "12"] },
  ])("includePreviews=$includePreviews keeps the outputs of nodes $want (never input files)", ({ includePreviews, want }) => {
    expect(planOutputs(entry, includePreviews === undefined ? {} : { includePreviews }).map((o) => o.node)).toEqual(want);
  });
});
