import { describe, expect, it } from "vitest";
import { ROUTER_IMAGE_NAME, routerToJob, routerWorkflowId } from "../../src/api/facades/router/mapping";
import { RouterWorkflowRequest } from "../../src/api/facades/router/schema";
import { doneImages, routerStatus } from "../../src/api/facades/router/status";
import type { WorkflowInputs } from "../../src/schemas/workflow";
import { TEMPLATES } from "../../src/workflows/templates";

const inputsOf = (id: string) => TEMPLATES.find((t) => t.id === id)!.inputs as unknown as WorkflowInputs;
const LIMITS = { maxImageSize: 2048, maxBatchSize: 4 };
const req = (v: unknown) => RouterWorkflowRequest.parse(v);
function map(v: unknown) {
  const r = req(v);
  const id = routerWorkflowId(r);
  if (typeof id !== "string") throw new Error(id.message);
  return routerToJob(r, id, inputsOf(id), LIMITS);
}

/** Flux with its loaders apart (UNETLoader, DualCLIPLoader, VAELoader), as the built-in has it since migration 0009. */
const FLUX_LOADERS: WorkflowInputs = {
  ...(Object.fromEntries(Object.entries(inputsOf("flux")).filter(([k]) => k !== "checkpoint")) as WorkflowInputs),
  diffusion_model: { type: "string", target: "10.inputs.unet_name", required: false, default: "flux1-dev.safetensors", maxLength: 255 },
  t5_encoder: { type: "string", target: "11.inputs.clip_name1", required: false, default: "t5xxl_fp16.safetensors", maxLength: 255 },
  clip_encoder: { type: "string", target: "11.inputs.clip_name2", required: false, default: "clip_l.safetensors", maxLength: 255 },
  vae: { type: "string", target: "12.inputs.vae_name", required: false, default: "ae.safetensors", maxLength: 255 },
};

describe("Comfy Router parameters → workflow inputs", () => {
  it("maps an SD15 request with every sampling parameter onto sd15's inputs", () => {
    const r = map({
      type: "SD15",
      params: {
        checkpoint: { type: "build_in", name: "dreamshaper.safetensors" }, loras: [], controlnets: [], prompt: "a cat", negative_prompt: "blurry",
        width: 512, height: 768, batch_size: 2, sampler: "euler_ancestral", scheduler: "karras", steps: 30, cfg_scale: 6.5, seed: 42,
      },
    });
    expect(r).toEqual({
      ok: true,
      ignored: [],
      job: {
        workflowId: "sd15",
        inputs: { checkpoint: "dreamshaper.safetensors", prompt: "a cat", negative_prompt: "blurry", width: 512, height: 768, batch_size: 2, sampler_name: "euler_ancestral", scheduler: "karras", steps: 30, cfg: 6.5, seed: 42 },
      },
    });
  });

  it("maps SDXL, and leaves a VAE the workflow has no input for as ignored", () => {
    const r = map({ type: "SDXL", params: { prompt: "a hill", width: 1024, height: 1024, vae: { type: "build_in", name: "sdxl_vae.safetensors" } } });
    expect(r).toEqual({ ok: true, ignored: ["vae"], job: { workflowId: "sdxl", inputs: { prompt: "a hill", width: 1024, height: 1024 } } });
  });

  it("maps Flux onto an all-in-one Flux (an admin's, or an install's first seed), ignoring the loader choices it cannot take", () => {
    // The inputs of a checkpoint-loading txt2img workflow, as the first built-in Flux had them.
    const allInOne = inputsOf("sdxl");
    const r = routerToJob(req({
      type: "Flux",
      params: {
        unet: { type: "build_in", name: "flux1-dev.safetensors" }, unet_dtype: "fp8_e4m3fn", unet_type: "dev", vae: { type: "build_in", name: "ae.safetensors" },
        t5xxl: { type: "build_in", name: "t5xxl_fp16.safetensors" }, clip: { type: "build_in", name: "clip_l.safetensors" }, prompt: "a fox", cfg_scale: 1, steps: 20,
      },
    }), "flux", allInOne, LIMITS);
    expect(r).toEqual({ ok: true, ignored: ["unet", "unet_dtype", "unet_type", "vae", "t5xxl", "clip"], job: { workflowId: "flux", inputs: { prompt: "a fox", cfg: 1, steps: 20 } } });
  });

  it("maps Flux's loaders by the inputs' names when the workflow loads them apart", () => {
    const r = routerToJob(
      req({ type: "Flux", params: { prompt: "a fox", unet: { type: "build_in", name: "flux1-schnell.safetensors" }, t5xxl: { type: "build_in", name: "t5.safetensors" }, clip: { type: "build_in", name: "clip.safetensors" }, vae: { type: "build_in", name: "vae.safetensors" } } }),
      "flux", FLUX_LOADERS, LIMITS,
    );
    expect(r).toEqual({ ok: true, ignored: [], job: { workflowId: "flux", inputs: { prompt: "a fox", diffusion_model: "flux1-schnell.safetensors", t5_encoder: "t5.safetensors", clip_encoder: "clip.safetensors", vae: "vae.safetensors" } } });
  });

  it("runs SD15 with an input_image as image-to-image, the image on the workflow's image-typed input", () => {
    const r = map({ type: "SD15", params: { prompt: "a cat", input_image: { type: "url", content: "https://example.com/cat.jpg" }, denoise: 0.5, width: 512, height: 512 } });
    expect(r).toEqual({
      ok: true,
      ignored: ["width", "height"],
      job: { workflowId: "sd15_img2img", inputs: { prompt: "a cat", denoise: 0.5, image: ROUTER_IMAGE_NAME }, images: [{ name: ROUTER_IMAGE_NAME, image: "https://example.com/cat.jpg" }] },
    });
  });

  it("treats null optional fields as absent, as Comfy Router's Option<…> does", () => {
    expect(map({ type: "SD15", params: { prompt: "p", seed: null, input_image: null, input_mask: null, denoise: null, vae: null } })).toEqual({ ok: true, ignored: [], job: { workflowId: "sd15", inputs: { prompt: "p" } } });
  });

  it.each([
    { what: "LoRAs", params: { loras: [{ model: { type: "build_in", name: "x" }, weight: 1 }] }, path: "params.loras" },
    { what: "ControlNets", params: { controlnets: [{}] }, path: "params.controlnets" },
    { what: "a mask", params: { input_image: { type: "url", content: "https://e.com/a.png" }, input_mask: { type: "url", content: "https://e.com/m.png" } }, path: "params.input_mask" },
    { what: "a model URL", params: { checkpoint: { type: "custom", name: "https://e.com/m.safetensors" } }, path: "params.checkpoint" },
    { what: "a sampler ComfyUI does not have", params: { sampler: "warp_drive" }, path: "params.sampler" },
    { what: "a width past MAX_IMAGE_SIZE", params: { width: 4096 }, path: "params.width" },
    { what: "a width off the step", params: { width: 513 }, path: "params.width" },
    { what: "zero steps", params: { steps: 0 }, path: "params.steps" },
    { what: "a batch past MAX_BATCH_SIZE", params: { batch_size: 5 }, path: "params.batch_size" },
  ])("refuses $what", ({ params, path }) => {
    const r = map({ type: "SD15", params: { prompt: "p", ...params } });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues.map((i) => i.path)).toContain(path);
  });

  it("refuses an input_image for a family without an image-to-image workflow", () => {
    for (const type of ["SDXL", "Flux"] as const) {
      const id = routerWorkflowId(req({ type, params: { prompt: "p", input_image: { type: "url", content: "https://e.com/a.png" } } }));
      expect(id).toMatchObject({ path: "params.input_image" });
    }
  });

  it("refuses a prompt when the workflow has no prompt input (an admin's edit)", () => {
    const r = routerToJob(req({ type: "SD15", params: { prompt: "p" } }), "sd15", {}, LIMITS);
    expect(r).toEqual({ ok: false, issues: [{ path: "params.prompt", message: 'workflow "sd15" has no input for prompt' }] });
  });

  it.each([
    { what: "no type", body: { params: { prompt: "p" } } },
    { what: "an unknown type", body: { type: "SD3", params: { prompt: "p" } } },
    { what: "no prompt", body: { type: "SD15", params: {} } },
    { what: "a misspelt parameter", body: { type: "SD15", params: { prompt: "p", cfg: 7 } } },
    { what: "a Flux parameter on SD15", body: { type: "SD15", params: { prompt: "p", t5xxl: { type: "build_in", name: "t" } } } },
    { what: "a model without its tag", body: { type: "SD15", params: { prompt: "p", checkpoint: "x.safetensors" } } },
    { what: "a negative seed", body: { type: "SD15", params: { prompt: "p", seed: -1 } } },
  ])("the request schema refuses $what", ({ body }) => {
    expect(RouterWorkflowRequest.safeParse(body).success).toBe(false);
  });
});

describe("our job → Comfy Router's task result", () => {
  const view = (status: string, over: Record<string, unknown> = {}) => ({ status, queuePosition: null, progress: null, error: null, ...over }) as never;
  it.each([
    { status: "queued", over: { queuePosition: 3 }, want: { status: "pending", data: 3 } },
    { status: "running", over: { progress: { node: "3", value: 5, max: 20, percent: 25 } }, want: { status: "running", data: { progress: 0.25, previews: [] } } },
    { status: "running", over: {}, want: { status: "running", data: { progress: 0, previews: [] } } },
    { status: "canceling", over: {}, want: { status: "running", data: { progress: 0, previews: [] } } },
    { status: "succeeded", over: {}, want: { status: "done", data: [] } },
    { status: "failed", over: { error: { error: "COMFYUI_OOM", message: "out of memory", retryable: false } }, want: { status: "error", data: "COMFYUI_OOM: out of memory" } },
    { status: "canceled", over: {}, want: { status: "error", data: "Job canceled" } },
    { status: "expired", over: {}, want: { status: "error", data: "Job expired" } },
  ])("$status → $want.status", ({ status, over, want }) => {
    expect(routerStatus(view(status, over))).toEqual(want);
  });

  it("inlines images in order within the byte budget and names the rest", () => {
    const img = (name: string, bytes: number) => ({ name, node: "9", kind: "image" as const, contentType: "image/png", bytes, key: `outputs/j/${name}` });
    const text = { name: "t.txt", node: "9", kind: "text" as const, contentType: "text/plain", bytes: 3, text: "abc" };
    expect(doneImages([img("a.png", 60), text, img("b.png", 50), img("c.png", 40)], 100)).toEqual({ take: [img("a.png", 60), img("c.png", 40)], omitted: ["b.png"] });
  });
});
