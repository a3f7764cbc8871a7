import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addHost, spawnFake, type Fake } from "../helpers/fake";
import { call, checkpointGraph, waitFor, waitForTerminal } from "../helpers/gateway";

/**
 * A mixed fleet, as real ones are: one box with SD 1.5 only, one with SDXL and Flux (as Flux is
 * distributed: diffusion model, two text encoders, VAE). Jobs go only where their models are.
 */
const NONE = { checkpoints: [], diffusion_models: [], text_encoders: [], vae: [] };
const fakes: Fake[] = [];
let sd15Box: { id: string; name: string };
let bigBox: { id: string; name: string };

/** Until the gateway has read the host's model lists into its row (the HostDO does this on its first healthy tick). */
const modelsRead = (hostId: string, has: string) =>
  waitFor(async () => {
    const row = await env.DB.prepare("SELECT models_json FROM hosts WHERE id = ?").bind(hostId).first<{ models_json: string | null }>();
    return row?.models_json?.includes(has) ? row : undefined;
  });

beforeAll(async () => {
  const a = await spawnFake(["--step-ms", "2"]);
  const b = await spawnFake(["--step-ms", "2"]);
  fakes.push(a, b);
  await a.configure({ models: { ...NONE, checkpoints: ["sd15.safetensors"] } });
  await b.configure({ models: { ...NONE, checkpoints: ["sdxl_base.safetensors"], diffusion_models: ["flux1-dev.safetensors"], text_encoders: ["clip_l.safetensors", "t5xxl_fp16.safetensors"], vae: ["ae.safetensors"] } });
  sd15Box = await addHost(a, 2, `sd15-box-${crypto.randomUUID().slice(0, 6)}`);
  bigBox = await addHost(b, 2, `big-box-${crypto.randomUUID().slice(0, 6)}`);
  // No GET /capabilities before this: the hosts' own objects read the lists when they first see ComfyUI.
  await modelsRead(sd15Box.id, "sd15.safetensors");
  await modelsRead(bigBox.id, "ae.safetensors");
});
afterAll(() => Promise.all(fakes.splice(0).map((f) => f.close())));

const job = (workflowId: string, inputs: Record<string, unknown> = {}) => call("POST", "/jobs", { workflowId, inputs: { prompt: "a lighthouse", steps: 2, width: 64, height: 64, ...inputs } });

describe("model-aware placement", () => {
  it("runs each job on a host that has its models", async () => {
    const submitted = await Promise.all([job("sd15"), job("sdxl"), job("sd15"), job("sdxl"), job("flux"), job("sd15")]);
    for (const s of submitted) expect(s.status, s.text).toBe(202);
    const done = await Promise.all(submitted.map((s) => waitForTerminal(s.json.id)));
    for (const j of done) expect(j, JSON.stringify(j.error)).toMatchObject({ status: "succeeded" });
    expect(done.filter((j) => j.workflowId === "sd15").map((j) => j.host)).toEqual([sd15Box.name, sd15Box.name, sd15Box.name]);
    expect(done.filter((j) => j.workflowId !== "sd15").map((j) => j.host)).toEqual([bigBox.name, bigBox.name, bigBox.name]);
    expect(done.find((j) => j.workflowId === "flux").models.sort()).toEqual(["diffusion_models/flux1-dev.safetensors", "text_encoders/clip_l.safetensors", "text_encoders/t5xxl_fp16.safetensors", "vae/ae.safetensors"]);
  });

  it("refuses at submit a model no host has, naming it and each host's list, and writes nothing", async () => {
    const count = async () => (await env.DB.prepare("SELECT count(*) AS n FROM jobs").first<{ n: number }>())!.n;
    const before = await count();
    const r = await job("sdxl", { checkpoint: "dreamshaper_8.safetensors" });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ error: "COMFYUI_MODEL_MISSING", message: expect.stringContaining("checkpoints/dreamshaper_8.safetensors"), retryable: false });
    expect(r.json.details.missing).toEqual([{ folder: "checkpoints", name: "dreamshaper_8.safetensors" }]);
    expect(r.json.details.hosts).toEqual(expect.arrayContaining([
      { host: sd15Box.name, state: "online", models: { checkpoints: ["sd15.safetensors"] } },
      { host: bigBox.name, state: "online", models: { checkpoints: ["sdxl_base.safetensors"] } },
    ]));
    expect(await count()).toBe(before);
  });

  it("queues a job whose models only a draining host has, says so, keeps it off the other host, and lets the jobs behind it run", async () => {
    expect((await call("POST", `/hosts/${bigBox.id}/drain`)).status).toBe(200);
    try {
      const waiting = await job("sdxl");
      expect(waiting.status, waiting.text).toBe(202);
      expect(waiting.json).toMatchObject({ status: "queued", waiting: { reason: "model_hosts_unavailable", hosts: [bigBox.name] } });
      expect(waiting.json.waiting.message).toContain("sdxl_base.safetensors");
      // The SD 1.5 box is free, but lacks the model: the job stays queued, and an SD 1.5 job
      // submitted after it runs at once.
      const behind = await job("sd15");
      expect(await waitForTerminal(behind.json.id)).toMatchObject({ status: "succeeded", host: sd15Box.name });
      const still = (await call("GET", `/jobs/${waiting.json.id}`)).json;
      expect(still).toMatchObject({ status: "queued", host: null, waiting: { reason: "model_hosts_unavailable" } });
      // Back in service, the big box takes it.
      expect((await call("POST", `/hosts/${bigBox.id}/resume`)).status).toBe(200);
      expect(await waitForTerminal(waiting.json.id)).toMatchObject({ status: "succeeded", host: bigBox.name });
    } finally {
      await call("POST", `/hosts/${bigBox.id}/resume`);
    }
  });

  it("offers the fleet's files as the choices of a workflow's model inputs (capabilities and OpenAPI)", async () => {
    const caps = (await call("GET", "/capabilities")).json;
    const sdxl = caps.workflows.find((w: { id: string }) => w.id === "sdxl");
    expect(sdxl.inputs.checkpoint).toMatchObject({ model: "checkpoints", default: "sdxl_base.safetensors", enum: ["sd15.safetensors", "sdxl_base.safetensors"] });
    expect(sdxl.inputs.prompt.model).toBeUndefined();
    const doc = (await call("GET", "/openapi.json")).json;
    const flux = doc.components.schemas.Workflow_flux_Inputs.properties;
    expect(flux.diffusion_model).toMatchObject({ enum: ["flux1-dev.safetensors"], "x-model-folder": "diffusion_models" });
    expect(flux.t5_encoder.enum).toEqual(["clip_l.safetensors", "t5xxl_fp16.safetensors"]);
    expect(flux.vae.enum).toEqual(["ae.safetensors"]);
  });

  it("places a job that waited for a model once a host lists it", async () => {
    // Both hosts online, neither has it: refused. Install it on the SD 1.5 box (the fake's list
    // changes), and the next read of that host's lists lets the same request through and run there.
    const lora = { workflow: { ...checkpointGraph("sd15.safetensors"), "10": { class_type: "VAELoader", inputs: { vae_name: "sd15_vae.safetensors" } } } };
    expect((await call("POST", "/jobs", lora)).json).toMatchObject({ error: "COMFYUI_MODEL_MISSING", details: { missing: [{ folder: "vae", name: "sd15_vae.safetensors" }] } });
    await fakes[0]!.configure({ models: { vae: ["sd15_vae.safetensors"] } });
    // GET /capabilities reads lists older than their TTL; a host re-registered is read at once. Here the
    // admin asks the gateway to re-check the host, as after installing a model.
    await env.DB.prepare("UPDATE hosts SET models_at_ms = 0 WHERE id = ?").bind(sd15Box.id).run();
    await call("GET", "/capabilities");
    await modelsRead(sd15Box.id, "sd15_vae.safetensors");
    const r = await call("POST", "/jobs", lora);
    expect(r.status, r.text).toBe(202);
    expect(await waitForTerminal(r.json.id)).toMatchObject({ status: "succeeded", host: sd15Box.name });
  });
});
