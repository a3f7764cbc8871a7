import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { classifyExecutionError, classifyRejection, FAILURE_DETAILS_MAX_BYTES, FAILURE_MESSAGE_MAX_CHARS } from "../../src/comfy/classify";
import { INLINE_TEXT_MAX_BYTES, storeTextOutput } from "../../src/storage/outputs";

const size = (v: unknown) => new TextEncoder().encode(JSON.stringify(v)).length;
const huge = "x".repeat(1024 * 1024);

describe("failures from a host are bounded before they are stored", () => {
  it("keeps a rejection echoing a 1 MiB input small, with its code", () => {
    const f = classifyRejection(400, {
      error: { type: "prompt_outputs_failed_validation", message: "Prompt outputs failed validation" },
      node_errors: { "4": { class_type: "CheckpointLoaderSimple", errors: [{ type: "value_not_in_list", message: "Value not in list", details: huge, extra_info: { input_name: "ckpt_name", received_value: huge } }] } },
    });
    expect(f.code).toBe("COMFYUI_MODEL_MISSING");
    expect(f.message.length).toBeLessThanOrEqual(FAILURE_MESSAGE_MAX_CHARS);
    expect(size(f.details)).toBeLessThanOrEqual(FAILURE_DETAILS_MAX_BYTES);
  });

  it("keeps a 1 MiB exception message small", () => {
    const f = classifyExecutionError({ node_id: "3", node_type: "KSampler", exception_type: "RuntimeError", exception_message: huge });
    expect(f.message.length).toBeLessThanOrEqual(FAILURE_MESSAGE_MAX_CHARS);
    expect(size(f.details)).toBeLessThanOrEqual(FAILURE_DETAILS_MAX_BYTES);
  });

  it("leaves an ordinary failure as it was", () => {
    const f = classifyExecutionError({ node_id: "3", node_type: "KSampler", exception_type: "RuntimeError", exception_message: "boom" });
    expect(f).toEqual({ code: "COMFYUI_EXECUTION_ERROR", message: "node 3 (KSampler) failed: boom", retryable: false, details: { nodeId: "3", nodeType: "KSampler", exceptionType: "RuntimeError", exceptionMessage: "boom" } });
  });
});

describe("storeTextOutput", () => {
  const jobId = crypto.randomUUID();
  it("keeps text up to the inline budget in the row", async () => {
    const o = await storeTextOutput(env.OUTPUTS, jobId, { kind: "text", node: "1", name: "a.txt", text: "x".repeat(INLINE_TEXT_MAX_BYTES) }, INLINE_TEXT_MAX_BYTES);
    expect(o.text).toHaveLength(INLINE_TEXT_MAX_BYTES);
    expect(o.key).toBeUndefined();
  });

  it("puts text past the budget in R2 instead, whole", async () => {
    const text = "y".repeat(INLINE_TEXT_MAX_BYTES + 1);
    const o = await storeTextOutput(env.OUTPUTS, jobId, { kind: "text", node: "1", name: "b.txt", text }, INLINE_TEXT_MAX_BYTES);
    expect(o.text).toBeUndefined();
    expect(o).toMatchObject({ kind: "text", bytes: text.length, contentType: "text/plain; charset=utf-8" });
    expect(await (await env.OUTPUTS.get(o.key!))!.text()).toBe(text);
  });
});
