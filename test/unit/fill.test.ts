import { describe, expect, it } from "vitest";
import { fillWorkflow } from "../../src/jobs/fill";
import type { WorkflowInput } from "../../src/api/schemas/workflow";

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
