import { describe, expect, it } from "vitest";
import { inRunPodTerms, MESSAGES, toSubmitJob } from "../../../src/api/facades/runpod/request";
import { ApiError } from "../../../src/errors";

const workflow = { "1": { class_type: "EmptyImage", inputs: {} }, "2": { class_type: "SaveImage", inputs: { images: ["1", 0] } } };

describe("toSubmitJob (RunPod body → POST /jobs body)", () => {
  it.each([
    { what: "no input", body: {}, message: MESSAGES.noInput },
    { what: "input null", body: { input: null }, message: MESSAGES.noInput },
    { what: "input a string that is not JSON", body: { input: "{nope" }, message: MESSAGES.inputNotJson },
    { what: "no workflow", body: { input: { images: [] } }, message: MESSAGES.noWorkflow },
    { what: "images not a list", body: { input: { workflow, images: { name: "a.png" } } }, message: MESSAGES.badImages },
    { what: "an image without image", body: { input: { workflow, images: [{ name: "a.png" }] } }, message: MESSAGES.badImages },
  ])("refuses $what with worker-comfyui's message", ({ body, message }) => {
    expect(toSubmitJob(body, "base64")).toMatchObject({ ok: false, message });
  });

  it("names the RunPod field in our own checks' messages", () => {
    const r = toSubmitJob({ input: { workflow: {} } }, "base64");
    expect(r).toMatchObject({ ok: false, message: "Invalid request body: input.workflow: workflow must have at least one node" });
    const hook = toSubmitJob({ input: { workflow }, webhook: 42 }, "base64");
    expect(hook.ok === false && hook.issues[0]!.path).toBe("webhook");
  });

  it("maps workflow, images (base64 or data URI), api_key_comfy_org, webhook and policy.executionTimeout; base64 outputs inline", () => {
    const r = toSubmitJob({
      input: { workflow, images: [{ name: "in.png", image: "data:image/png;base64,AAAA" }], api_key_comfy_org: "comfyui-key", prompt: "ignored, as worker-comfyui does" },
      webhook: "https://hooks.example.com/runpod",
      policy: { executionTimeout: 120_000 },
    }, "base64");
    expect(r).toEqual({
      ok: true,
      body: {
        workflow, images: [{ name: "in.png", image: "data:image/png;base64,AAAA" }], comfyOrgApiKey: "comfyui-key",
        callbackUrl: "https://hooks.example.com/runpod", timeoutMs: 120_000, outputs: { inline: true }, priority: 0,
      },
    });
  });

  it("accepts input as a JSON string, as worker-comfyui does", () => {
    expect(toSubmitJob({ input: JSON.stringify({ workflow }) }, "base64")).toMatchObject({ ok: true, body: { workflow } });
  });

  it("returns links (no inline bytes) when the deployment says s3_url or the request has RunPod's s3Config", () => {
    expect(toSubmitJob({ input: { workflow } }, "s3_url")).toMatchObject({ ok: true, body: { outputs: { inline: false } } });
    expect(toSubmitJob({ input: { workflow }, s3Config: { bucketName: "theirs" } }, "base64")).toMatchObject({ ok: true, body: { outputs: { inline: false } } });
  });
});

describe("inRunPodTerms", () => {
  it("renames our field in a validation error raised after parsing, message and issues alike", () => {
    const ours = new ApiError("VALIDATION_FAILED", "Invalid request body: images.0.image: is not an image, video or audio file", {
      details: { issues: [{ path: "images.0.image", message: "is not an image, video or audio file", code: "invalid_input" }] },
    });
    const theirs = inRunPodTerms(ours) as ApiError;
    expect(theirs.message).toBe("Invalid request body: input.images.0.image: is not an image, video or audio file");
    expect(theirs.more.details).toEqual({ issues: [{ path: "input.images.0.image", message: "is not an image, video or audio file", code: "invalid_input" }] });
    expect(theirs.status).toBe(400);
  });

  it("passes other errors as they are", () => {
    const full = new ApiError("QUEUE_FULL", "Too many pending jobs");
    const crash = new Error("boom");
    expect(inRunPodTerms(full)).toBe(full);
    expect(inRunPodTerms(crash)).toBe(crash);
  });
});
