import { describe, expect, it } from "vitest";
import { classifyExecutionError, classifyRejection, isOom, outcomeOf } from "../../src/comfy/classify";

const TIP = "\nThis error means you ran out of memory on your GPU.\n\nTIPS: If the workflow worked before you might have accidentally set the batch_size to a large number.";

describe("classifyExecutionError", () => {
  it.each([
    { type: "torch.OutOfMemoryError", message: `Allocation on device ${TIP}` },
    { type: "torch.cuda.OutOfMemoryError", message: "CUDA out of memory. Tried to allocate 2.00 GiB" },
    { type: "RuntimeError", message: "MPS backend out of memory (MPS allocated: 1 GB)\n" },
    { type: "RuntimeError", message: "allocator backend out of memory\n" },
    { type: "RuntimeError", message: "failed to allocate 1073741824 bytes\n" },
  ])("$type: $message → COMFYUI_OOM, not retryable", ({ type, message }) => {
    const f = classifyExecutionError({ node_id: "3", node_type: "KSampler", exception_type: type, exception_message: message });
    expect(f).toMatchObject({ code: "COMFYUI_OOM", retryable: false });
    expect(f.message).toContain("node 3 (KSampler)");
  });

  it("calls other exceptions execution errors and names the node", () => {
    const f = classifyExecutionError({ node_id: "7", node_type: "VAEDecode", exception_type: "RuntimeError", exception_message: "boom\n" });
    expect(f).toMatchObject({ code: "COMFYUI_EXECUTION_ERROR", retryable: false, message: "node 7 (VAEDecode) failed: boom" });
  });

  it("does not mistake an ordinary error for OOM", () => {
    expect(isOom("ValueError", "expected memory format channels_last\n")).toBe(false);
  });
});

describe("classifyRejection", () => {
  it("names a model missing from a loader", () => {
    const body = { error: { type: "prompt_outputs_failed_validation", message: "Prompt outputs failed validation", details: "", extra_info: {} }, node_errors: { "4": { errors: [{ type: "value_not_in_list", message: "Value not in list", details: "ckpt_name: 'sdxl.safetensors' not in ['sd15.safetensors']", extra_info: { input_name: "ckpt_name", received_value: "sdxl.safetensors" } }], dependent_outputs: ["9"], class_type: "CheckpointLoaderSimple" } } };
    const f = classifyRejection(400, body);
    expect(f.code).toBe("COMFYUI_MODEL_MISSING");
    expect(f.message).toBe('Model "sdxl.safetensors" for ckpt_name of node 4 (CheckpointLoaderSimple) is not on the ComfyUI host');
    expect(f.details).toMatchObject({ comfyui: { node_errors: body.node_errors } });
  });

  it.each([
    { error: { type: "missing_node_type", message: "Node 'FooNode' not found. The custom node may not be installed.", details: "Node ID '#7'", extra_info: { node_id: "7", class_type: "FooNode", node_title: "FooNode" } }, node_errors: {} },
    { error: { type: "invalid_prompt", message: "Cannot execute because node FooNode does not exist.", details: "Node ID '#7'", extra_info: {} }, node_errors: {} },
  ])("names the missing custom node ($error.type)", (body) => {
    const f = classifyRejection(400, body);
    expect(f.code).toBe("WORKFLOW_INVALID");
    expect(f.message).toContain('Node type "FooNode"');
  });

  it("keeps ComfyUI's node errors for any other validation failure", () => {
    const body = { error: { type: "prompt_outputs_failed_validation", message: "Prompt outputs failed validation", details: "", extra_info: {} }, node_errors: { "1": { errors: [{ type: "value_smaller_than_min", message: "Value 0 smaller than min of 1", details: "width", extra_info: {} }], class_type: "EmptyImage" } } };
    const f = classifyRejection(400, body);
    expect(f.code).toBe("WORKFLOW_INVALID");
    expect(f.message).toContain("node 1 (EmptyImage): Value 0 smaller than min of 1");
  });
});

describe("outcomeOf", () => {
  it.each([
    { name: "success", entry: { status: { status_str: "success", completed: true, messages: [] } }, kind: "success" },
    { name: "no status (old servers)", entry: { outputs: {} }, kind: "success" },
    { name: "interrupted", entry: { status: { status_str: "error", completed: false, messages: [["execution_start", {}], ["execution_interrupted", { node_id: "3" }]] } }, kind: "interrupted" },
    { name: "error", entry: { status: { status_str: "error", completed: false, messages: [["execution_error", { node_id: "3", exception_type: "torch.OutOfMemoryError", exception_message: "Allocation on device " }]] } }, kind: "failed" },
  ] as const)("$name → $kind", ({ entry, kind }) => {
    expect(outcomeOf(entry as never).kind).toBe(kind);
  });
});
