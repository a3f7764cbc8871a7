import { describe, expect, it } from "vitest";
import { fillWorkflow } from "../../src/jobs/fill";
import type { WorkflowInput } from "../../src/schemas/workflow";

const graph = {
  "3": { class_type: "KSampler", inputs: { seed: 1, steps: 20 } },
  "6": { class_type: "CLIPTextEncode", inputs: { text: "a cat" } },
};
const schema: Record<string, WorkflowInput> = {
  prompt: { type: "string", target: "6.inputs.text", required: true },
  seed: { type: "int", target: "3.inputs.seed", required: false, default: 42 },
  steps: { type: "int", target: "3.inputs.steps", required: false, min: 1, max: 100 },
};

describe("fillWorkflow", () => {
  it("puts inputs and defaults into a copy of the graph", () => {
    const r = fillWorkflow(graph, schema, { prompt: "a dog", steps: 30 });
    expect(r).toEqual({ ok: true, graph: { "3": { class_type: "KSampler", inputs: { seed: 42, steps: 30 } }, "6": { class_type: "CLIPTextEncode", inputs: { text: "a dog" } } } });
    expect(graph["6"].inputs.text).toBe("a cat");
  });

  it.each([
    { inputs: {}, path: "inputs.prompt", message: "prompt is required" },
    { inputs: { prompt: "x", steps: 101 }, path: "inputs.steps", message: "steps must be at most 100" },
    { inputs: { prompt: "x", steps: 2.5 }, path: "inputs.steps", message: "steps must be an integer" },
    { inputs: { prompt: 5 }, path: "inputs.prompt", message: "prompt must be a string" },
    { inputs: { prompt: "x", colour: "red" }, path: "inputs.colour", message: 'unknown input "colour"; this workflow takes: prompt, seed, steps' },
  ])("refuses $inputs naming $path", ({ inputs, path, message }) => {
    expect(fillWorkflow(graph, schema, inputs)).toEqual({ ok: false, issues: [{ path, message }] });
  });
});

describe("fillWorkflow: the declared input schema", () => {
  const g = {
    "3": { class_type: "KSampler", inputs: { seed: 1, steps: 20, cfg: 7, sampler_name: "euler" } },
    "5": { class_type: "EmptyLatentImage", inputs: { width: 512, height: 512, batch_size: 1 } },
    "6": { class_type: "CLIPTextEncode", inputs: { text: "" } },
    "10": { class_type: "LoadImage", inputs: { image: "x.png" } },
    "11": { class_type: "Flag", inputs: { on: false } },
  };
  const s: Record<string, WorkflowInput> = {
    prompt: { type: "string", target: "6.inputs.text", required: true, maxLength: 20 },
    width: { type: "int", target: ["5.inputs.width", "5.inputs.height"], required: false, default: 512, min: 64, max: "MAX_IMAGE_SIZE", step: 8 },
    batch_size: { type: "int", target: "5.inputs.batch_size", required: false, default: 1, min: 1, max: "MAX_BATCH_SIZE" },
    seed: { type: "int", target: "3.inputs.seed", required: false, default: 0, min: 0 },
    cfg: { type: "float", target: "3.inputs.cfg", required: false, min: 0, max: 30 },
    sampler_name: { type: "string", target: "3.inputs.sampler_name", required: false, enum: ["euler", "dpmpp_2m"] },
    image: { type: "image", target: "10.inputs.image", required: false },
    flag: { type: "boolean", target: "11.inputs.on", required: false },
  };
  const opts = { limits: { maxImageSize: 1024, maxBatchSize: 4 }, imageNames: ["photo.png"] };

  it("fills every target of an input, defaults included, and leaves the stored graph alone", () => {
    const r = fillWorkflow(g, s, { prompt: "a cat", width: 768, cfg: 4.5, sampler_name: "dpmpp_2m", image: "photo.png", flag: true }, opts);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.graph["5"]!.inputs).toEqual({ width: 768, height: 768, batch_size: 1 });
    expect(r.graph["3"]!.inputs).toEqual({ seed: 0, steps: 20, cfg: 4.5, sampler_name: "dpmpp_2m" });
    expect(r.graph["10"]!.inputs.image).toBe("photo.png");
    expect(r.graph["11"]!.inputs.on).toBe(true);
    expect(g["5"].inputs.width).toBe(512);
  });

  it.each([
    // types
    { inputs: { prompt: 1 }, path: "inputs.prompt", message: "prompt must be a string" },
    { inputs: { prompt: "x", seed: "1" }, path: "inputs.seed", message: "seed must be an integer" },
    { inputs: { prompt: "x", seed: 2 ** 60 }, path: "inputs.seed", message: "seed must be an integer" },
    { inputs: { prompt: "x", cfg: "high" }, path: "inputs.cfg", message: "cfg must be a number" },
    { inputs: { prompt: "x", flag: "yes" }, path: "inputs.flag", message: "flag must be true or false" },
    { inputs: { prompt: "x", image: 3 }, path: "inputs.image", message: "image must be the name of one of the job's images" },
    // bounds
    { inputs: { prompt: "x", width: 32 }, path: "inputs.width", message: "width must be at least 64" },
    { inputs: { prompt: "x", width: 1032 }, path: "inputs.width", message: "width must be at most 1024 (MAX_IMAGE_SIZE)" },
    { inputs: { prompt: "x", width: 100 }, path: "inputs.width", message: "width must be 64 plus a multiple of 8" },
    { inputs: { prompt: "x", batch_size: 5 }, path: "inputs.batch_size", message: "batch_size must be at most 4 (MAX_BATCH_SIZE)" },
    { inputs: { prompt: "x", batch_size: 0 }, path: "inputs.batch_size", message: "batch_size must be at least 1" },
    { inputs: { prompt: "x", cfg: 30.5 }, path: "inputs.cfg", message: "cfg must be at most 30" },
    { inputs: { prompt: "x", seed: -1 }, path: "inputs.seed", message: "seed must be at least 0" },
    { inputs: { prompt: "x".repeat(21) }, path: "inputs.prompt", message: "prompt must be at most 20 characters" },
    // enums
    { inputs: { prompt: "x", sampler_name: "ddim" }, path: "inputs.sampler_name", message: "sampler_name must be one of: euler, dpmpp_2m" },
    // images
    { inputs: { prompt: "x", image: "other.png" }, path: "inputs.image", message: 'image names image "other.png", which is not in images (photo.png)' },
    // unknown and missing
    { inputs: { prompt: "x", colour: "red" }, path: "inputs.colour", message: 'unknown input "colour"; this workflow takes: prompt, width, batch_size, seed, cfg, sampler_name, image, flag' },
    { inputs: { width: 512 }, path: "inputs.prompt", message: "prompt is required" },
  ])("refuses $inputs: $message", ({ inputs, path, message }) => {
    expect(fillWorkflow(g, s, inputs, opts)).toEqual({ ok: false, issues: [{ path, message }] });
  });

  it("reports every problem at once", () => {
    const r = fillWorkflow(g, s, { width: 4096, sampler_name: "x" }, opts);
    expect(r.ok ? [] : r.issues.map((i) => i.path)).toEqual(["inputs.prompt", "inputs.width", "inputs.sampler_name"]);
  });

  it("does not treat prototype names as inputs", () => {
    expect(fillWorkflow(g, s, { prompt: "x", constructor: 1 } as Record<string, unknown>, opts)).toMatchObject({ ok: false, issues: [{ path: "inputs.constructor" }] });
  });
});
