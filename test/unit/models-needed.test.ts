import { describe, expect, it } from "vitest";
import { TEMPLATES } from "../../src/workflows/templates";
import { missingOn, modelsNeeded, neededFromKeys, needKey, placementFor, type FleetHost } from "../../src/workflows/models-needed";

const graphOf = (id: string) => TEMPLATES.find((t) => t.id === id)!.graph;

describe("modelsNeeded", () => {
  it("reads the built-in templates' loaders", () => {
    expect(modelsNeeded(graphOf("sdxl"))).toEqual([{ folder: "checkpoints", name: "sdxl_base.safetensors" }]);
    expect(modelsNeeded(graphOf("flux")).map(needKey).sort()).toEqual([
      "diffusion_models/flux1-dev.safetensors",
      "text_encoders/clip_l.safetensors",
      "text_encoders/t5xxl_fp16.safetensors",
      "vae/ae.safetensors",
    ]);
  });

  it("names each file once, skips linked inputs, built-in VAEs and nodes it does not know", () => {
    const needs = modelsNeeded({
      "1": { class_type: "LoraLoader", inputs: { lora_name: "style.safetensors", model: ["2", 0] } },
      "2": { class_type: "LoraLoaderModelOnly", inputs: { lora_name: "style.safetensors" } },
      "3": { class_type: "VAELoader", inputs: { vae_name: "taesd" } },
      "4": { class_type: "CheckpointLoaderSimple", inputs: { ckpt_name: ["9", 0] } },
      "5": { class_type: "MyCustomLoader", inputs: { ckpt_name: "custom.safetensors" } },
      "6": { class_type: "UpscaleModelLoader", inputs: { model_name: "4x.pth" } },
      "7": { class_type: "ControlNetLoader", inputs: { control_net_name: "canny.safetensors" } },
    });
    expect(needs.map(needKey)).toEqual(["loras/style.safetensors", "upscale_models/4x.pth", "controlnet/canny.safetensors"]);
    expect(neededFromKeys(JSON.stringify(needs.map(needKey)))).toEqual(needs);
  });

  it("keeps a sub-folder in the name", () => {
    const [need] = modelsNeeded({ "1": { class_type: "CheckpointLoaderSimple", inputs: { ckpt_name: "sdxl/juggernaut.safetensors" } } });
    expect(neededFromKeys(JSON.stringify([needKey(need!)]))).toEqual([{ folder: "checkpoints", name: "sdxl/juggernaut.safetensors" }]);
  });
});

describe("missingOn", () => {
  const flux = modelsNeeded(graphOf("flux"));
  it("matches the old folder names (unet, clip) to the new ones", () => {
    expect(missingOn({ unet: ["flux1-dev.safetensors"], clip: ["clip_l.safetensors", "t5xxl_fp16.safetensors"], vae: ["ae.safetensors"] }, flux)).toEqual([]);
  });
  it("lists what a host lacks, and cannot say for a host never read", () => {
    expect(missingOn({ checkpoints: ["sd15.safetensors"] }, flux)?.map((n) => n.name).sort()).toEqual(["ae.safetensors", "clip_l.safetensors", "flux1-dev.safetensors", "t5xxl_fp16.safetensors"]);
    expect(missingOn(null, flux)).toBeNull();
  });
});

describe("placementFor", () => {
  const sdxl = modelsNeeded(graphOf("sdxl"));
  const host = (name: string, state: string, models: FleetHost["models"]): FleetHost => ({ name, state, models });
  it.each([
    { why: "no hosts yet", fleet: [], kind: "ok" },
    { why: "an online host has it", fleet: [host("a", "online", { checkpoints: ["sdxl_base.safetensors"] })], kind: "ok" },
    { why: "a busy host has it", fleet: [host("a", "busy", { checkpoints: ["sdxl_base.safetensors"] })], kind: "ok" },
    { why: "a host's lists are unknown", fleet: [host("a", "online", { checkpoints: [] }), host("b", "online", null)], kind: "ok" },
    { why: "only a draining host has it", fleet: [host("a", "online", { checkpoints: [] }), host("b", "draining", { checkpoints: ["sdxl_base.safetensors"] })], kind: "unavailable" },
    { why: "only an offline host has it", fleet: [host("b", "offline", { checkpoints: ["sdxl_base.safetensors"] })], kind: "unavailable" },
    { why: "nobody has it", fleet: [host("a", "online", { checkpoints: ["sd15.safetensors"] }), host("b", "offline", {})], kind: "missing" },
  ])("$why → $kind", ({ fleet, kind }) => {
    expect(placementFor(fleet, sdxl).kind).toBe(kind);
  });

  it("names the files no host has, or all of them when no single host has every one", () => {
    const flux = modelsNeeded(graphOf("flux"));
    const v = placementFor([host("a", "online", { diffusion_models: ["flux1-dev.safetensors"], text_encoders: ["clip_l.safetensors", "t5xxl_fp16.safetensors"] })], flux);
    expect(v).toEqual({ kind: "missing", missing: [{ folder: "vae", name: "ae.safetensors" }] });
    const split = placementFor([host("a", "online", { checkpoints: ["x.safetensors"] }), host("b", "online", { loras: ["y.safetensors"] })], [{ folder: "checkpoints", name: "x.safetensors" }, { folder: "loras", name: "y.safetensors" }]);
    expect(split).toMatchObject({ kind: "missing", missing: [{ name: "x.safetensors" }, { name: "y.safetensors" }] });
  });
});
