import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call } from "../helpers/gateway";

/**
 * The facade reads the stored workflow's declared inputs, not the template file: an admin's edit
 * of a built-in (here, Flux with its model, encoders and VAE loaded apart) is followed, and a
 * removed built-in is a 400, never a 500. Open mode, no hosts: the jobs stay queued.
 */
const storedGraph = async (id: string) =>
  JSON.parse((await env.DB.prepare("SELECT graph_json FROM jobs WHERE id = ?").bind(id).first<{ graph_json: string }>())!.graph_json) as Record<string, { class_type: string; inputs: Record<string, unknown> }>;
const byClass = (g: Record<string, { class_type: string; inputs: Record<string, unknown> }>, cls: string) => Object.values(g).find((n) => n.class_type === cls)!.inputs;

const fluxLoaders = {
  id: "flux",
  name: "Flux.1 dev text-to-image (loaders apart)",
  graph: {
    "10": { class_type: "UNETLoader", inputs: { unet_name: "flux1-dev.safetensors", weight_dtype: "default" } },
    "11": { class_type: "DualCLIPLoader", inputs: { clip_name1: "t5xxl_fp16.safetensors", clip_name2: "clip_l.safetensors", type: "flux" } },
    "12": { class_type: "VAELoader", inputs: { vae_name: "ae.safetensors" } },
    "6": { class_type: "CLIPTextEncode", inputs: { text: "", clip: ["11", 0] } },
    "7": { class_type: "CLIPTextEncode", inputs: { text: "", clip: ["11", 0] } },
    "5": { class_type: "EmptySD3LatentImage", inputs: { width: 1024, height: 1024, batch_size: 1 } },
    "3": { class_type: "KSampler", inputs: { seed: 0, steps: 20, cfg: 1, sampler_name: "euler", scheduler: "simple", denoise: 1, model: ["10", 0], positive: ["6", 0], negative: ["7", 0], latent_image: ["5", 0] } },
    "8": { class_type: "VAEDecode", inputs: { samples: ["3", 0], vae: ["12", 0] } },
    "9": { class_type: "SaveImage", inputs: { filename_prefix: "flux", images: ["8", 0] } },
  },
  inputs: {
    prompt: { type: "string", target: "6.inputs.text", required: true },
    negative_prompt: { type: "string", target: "7.inputs.text", default: "" },
    width: { type: "int", target: "5.inputs.width", default: 1024, min: 64, max: "MAX_IMAGE_SIZE", step: 16 },
    height: { type: "int", target: "5.inputs.height", default: 1024, min: 64, max: "MAX_IMAGE_SIZE", step: 16 },
    seed: { type: "int", target: "3.inputs.seed", default: 0, min: 0 },
    steps: { type: "int", target: "3.inputs.steps", default: 20, min: 1, max: 150 },
    cfg: { type: "float", target: "3.inputs.cfg", default: 1, min: 0, max: 30 },
    diffusion_model: { type: "string", target: "10.inputs.unet_name", default: "flux1-dev.safetensors" },
    t5_encoder: { type: "string", target: "11.inputs.clip_name1", default: "t5xxl_fp16.safetensors" },
    clip_encoder: { type: "string", target: "11.inputs.clip_name2", default: "clip_l.safetensors" },
    vae: { type: "string", target: "12.inputs.vae_name", default: "ae.safetensors" },
  },
};

describe("the Comfy Router facade and stored workflows", () => {
  it("follows an admin's Flux with its loaders apart: unet, t5xxl, clip and vae land on them", async () => {
    expect((await call("PUT", "/workflows/flux", fluxLoaders)).status).toBeLessThan(300);
    const r = await call("POST", "/router/workflow", {
      type: "Flux",
      params: {
        prompt: "a fox", width: 768, height: 512, seed: 9, unet_type: "schnell",
        unet: { type: "build_in", name: "flux1-schnell.safetensors" }, t5xxl: { type: "build_in", name: "t5xxl_fp8.safetensors" },
        clip: { type: "build_in", name: "clip_l.safetensors" }, vae: { type: "build_in", name: "ae2.safetensors" },
      },
    });
    expect(r.status, r.text).toBe(200);
    expect(r.json).toMatchObject({ workflowId: "flux", ignored: ["unet_type"] });
    const g = await storedGraph(r.json.id);
    expect(byClass(g, "UNETLoader")).toMatchObject({ unet_name: "flux1-schnell.safetensors" });
    expect(byClass(g, "DualCLIPLoader")).toMatchObject({ clip_name1: "t5xxl_fp8.safetensors", clip_name2: "clip_l.safetensors" });
    expect(byClass(g, "VAELoader")).toMatchObject({ vae_name: "ae2.safetensors" });
    expect(byClass(g, "EmptySD3LatentImage")).toMatchObject({ width: 768, height: 512 });
    expect(byClass(g, "KSampler")).toMatchObject({ seed: 9 });
  });

  it("answers 400 naming type when the family's built-in workflow was deleted", async () => {
    expect((await call("DELETE", "/workflows/sdxl")).status).toBe(204);
    const r = await call("POST", "/router/workflow", { type: "SDXL", params: { prompt: "p" } });
    expect(r.status, r.text).toBe(400);
    expect(r.json).toMatchObject({ error: "VALIDATION_FAILED", details: { issues: [{ path: "type" }] } });
  });
});
