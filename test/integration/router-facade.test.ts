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

describe("the Comfy Router facade and stored workflows", () => {
  it("maps Router's Flux loaders onto the built-in Flux, which loads them apart: unet, t5xxl, clip and vae land on them", async () => {
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
