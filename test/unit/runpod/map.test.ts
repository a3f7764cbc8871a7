import { describe, expect, it } from "vitest";
import { runPodStatus, toRunPodJob } from "../../../src/api/facades/runpod/map";
import type { JobView } from "../../../src/schemas/job";

const view = (over: Partial<JobView> = {}): JobView => ({
  id: "11111111-1111-4111-8111-111111111111", status: "queued", workflowId: null, workflowVersion: null, priority: 0, attempts: 0, host: null,
  queuePosition: 1, progress: null, outputs: [], error: null, warnings: [], metrics: { queueMs: null, executionMs: null },
  createdAt: "2026-01-01T00:00:00.000Z", startedAt: null, completedAt: null, inputs: null, metadata: {}, webhook: null, models: [], ...over,
});
const png = { name: "ComfyUI_00001_.png", node: "9", kind: "image" as const, contentType: "image/png", bytes: 3, url: "https://gw.test/files/x?sig=1" };

describe("runPodStatus", () => {
  it.each([
    ["queued", null, "IN_QUEUE"],
    ["running", null, "IN_PROGRESS"],
    ["canceling", null, "CANCELLED"],
    ["canceled", null, "CANCELLED"],
    ["succeeded", null, "COMPLETED"],
    ["failed", "COMFYUI_OOM", "FAILED"],
    ["failed", "COMFYUI_TIMEOUT", "TIMED_OUT"],
    ["expired", "QUEUE_FULL", "TIMED_OUT"],
  ] as const)("%s (%s) is %s", (status, code, want) => {
    expect(runPodStatus(status, code)).toBe(want);
  });
});

describe("toRunPodJob", () => {
  it("shows a queued job as { id, status } only", () => {
    expect(toRunPodJob(view(), 0)).toEqual({ id: view().id, status: "IN_QUEUE" });
  });

  it("gives a running job its delayTime and the executionTime so far, in ms", () => {
    const v = view({ status: "running", startedAt: "2026-01-01T00:00:01.000Z", metrics: { queueMs: 1000, executionMs: null } });
    expect(toRunPodJob(v, Date.parse("2026-01-01T00:00:03.500Z"))).toEqual({ id: v.id, status: "IN_PROGRESS", delayTime: 1000, executionTime: 2500 });
  });

  it("returns inline outputs as worker-comfyui does without a bucket: type base64", () => {
    const v = view({ status: "succeeded", outputs: [{ ...png, base64: "AAEC" }], metrics: { queueMs: 12, executionMs: 345 } });
    expect(toRunPodJob(v, 0)).toEqual({
      id: v.id, status: "COMPLETED", delayTime: 12, executionTime: 345,
      output: { images: [{ filename: "ComfyUI_00001_.png", type: "base64", data: "AAEC" }] },
    });
  });

  it("returns links as type s3_url, and says in errors why an output is not inline", () => {
    const v = view({ status: "succeeded", outputs: [png, { ...png, name: "big.png", inlineNote: "Not inline: too big" }] });
    expect(toRunPodJob(v, 0).output).toEqual({
      images: [{ filename: "ComfyUI_00001_.png", type: "s3_url", data: png.url }, { filename: "big.png", type: "s3_url", data: png.url }],
      errors: ["big.png: Not inline: too big"],
    });
  });

  it("reports a job with no outputs as worker-comfyui does: success_no_images", () => {
    expect(toRunPodJob(view({ status: "succeeded" }), 0).output).toEqual({ images: [], status: "success_no_images" });
  });

  it("lists text outputs and our warnings in errors, since worker-comfyui returns images only", () => {
    const v = view({
      status: "succeeded",
      outputs: [{ name: "text_7_1.txt", node: "7", kind: "text", contentType: "text/plain", bytes: 2, text: "hi" }],
      warnings: [{ error: "WORKFLOW_INVALID", message: "node 5 dropped", retryable: false }],
    });
    expect(toRunPodJob(v, 0).output?.errors).toEqual([
      `Node 7 produced text output text_7_1.txt; GET /jobs/${v.id} on the Comfy Edge API has its text.`,
      "WORKFLOW_INVALID: node 5 dropped",
    ]);
  });

  it("carries a failure in RunPod's error field with our code first", () => {
    const v = view({ status: "failed", error: { error: "COMFYUI_OOM", message: "CUDA out of memory", retryable: false }, metrics: { queueMs: 5, executionMs: 50 } });
    expect(toRunPodJob(v, 0)).toEqual({ id: v.id, status: "FAILED", delayTime: 5, executionTime: 50, error: "COMFYUI_OOM: CUDA out of memory" });
  });

  it("does not show a queued job's last lost attempt as an error", () => {
    expect(toRunPodJob(view({ error: { error: "COMFYUI_UNREACHABLE", message: "host gone", retryable: true } }), 0)).not.toHaveProperty("error");
  });
});
