import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TINY_PNG_BASE64 } from "../auth/route-table";
import { addHost, spawnFake, type Fake } from "../helpers/fake";
import { call, waitFor } from "../helpers/gateway";

/**
 * Comfy Router's clients against the gateway (seeds/comfy-router-readme.txt): a task submitted
 * with plain parameters runs on a fake ComfyUI, and the Router-shaped status follows it. Open
 * mode: no credential needed here; Basic auth and ownership are in test/auth/router-facade.test.ts.
 */
let fake: Fake;
beforeAll(async () => {
  fake = await spawnFake(["--step-ms", "5"]);
  await addHost(fake, 2);
});
afterAll(() => fake?.close());

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

async function task(id: string, base = "/router") {
  const r = await call("GET", `${base}/workflow/${id}`);
  expect(r.status, r.text).toBe(200);
  return r.json;
}
const untilFinished = (id: string, base = "/router") => waitFor(async () => {
  const t = await task(id, base);
  return t.status === "done" || t.status === "error" ? t : undefined;
});

/** The graph ComfyUI ran for the task, from the host's own history, by node class (not id). */
async function ranNodes(jobId: string) {
  const row = await env.DB.prepare("SELECT attempt_id FROM jobs WHERE id = ?").bind(jobId).first<{ attempt_id: string }>();
  const h = (await (await fetch(`${fake.url}/history/${row!.attempt_id}`)).json()) as Record<string, { prompt: unknown[] }>;
  const graph = h[row!.attempt_id]!.prompt[2] as Record<string, { class_type: string; inputs: Record<string, unknown> }>;
  return (cls: string) => Object.values(graph).filter((n) => n.class_type === cls).map((n) => n.inputs);
}

describe("POST /workflow → GET /workflow/:id", () => {
  it.each([
    { type: "SD15", workflowId: "sd15", extra: {} },
    { type: "SDXL", workflowId: "sdxl", extra: { checkpoint: { type: "build_in", name: "sdxl_base.safetensors" } } },
    { type: "Flux", workflowId: "flux", extra: { unet: { type: "build_in", name: "flux1-dev.safetensors" }, unet_dtype: "default", unet_type: "dev", t5xxl: { type: "build_in", name: "t5xxl_fp16.safetensors" }, clip: { type: "build_in", name: "clip_l.safetensors" }, vae: { type: "build_in", name: "ae.safetensors" } } },
  ])("runs $type from plain parameters to done, with the image's bytes in data", async ({ type, workflowId, extra }) => {
    const seed = Math.floor(Math.random() * 1e9);
    const params = { prompt: `a lighthouse (${type})`, negative_prompt: "fog", width: 256, height: 320, batch_size: 1, steps: 4, cfg_scale: 3.5, seed, sampler: "euler", scheduler: "normal", loras: [], controlnets: [], ...extra };
    const created = await call("POST", "/router/workflow", { type, params });
    expect(created.status, created.text).toBe(200);
    expect(created.json).toMatchObject({ id: expect.any(String), workflowId });

    const done = await untilFinished(created.json.id);
    expect(done).toMatchObject({ id: created.json.id, status: "done", job: { status: "succeeded", workflowId, metadata: { facade: "comfy-router" } } });
    expect(done.data).toHaveLength(1);
    expect(done.data[0].slice(0, 8)).toEqual(PNG_MAGIC);
    expect(done.data[0]).toHaveLength(done.job.outputs[0].bytes);

    // What ComfyUI ran is what was asked, whichever nodes the template uses.
    const nodes = await ranNodes(created.json.id);
    expect(nodes("KSampler")[0]).toMatchObject({ seed, steps: 4, cfg: 3.5, sampler_name: "euler", scheduler: "normal" });
    expect(nodes("CLIPTextEncode").map((n) => n.text)).toEqual(expect.arrayContaining([`a lighthouse (${type})`, "fog"]));
    expect([...nodes("EmptyLatentImage"), ...nodes("EmptySD3LatentImage")][0]).toMatchObject({ width: 256, height: 320 });
  });

  it("serves the same at Comfy Router's own paths, without /router", async () => {
    const created = await call("POST", "/workflow", { type: "SD15", params: { prompt: "bare path", seed: Math.floor(Math.random() * 1e9), steps: 2, width: 128, height: 128 } });
    expect(created.status, created.text).toBe(200);
    expect(await untilFinished(created.json.id, "")).toMatchObject({ status: "done" });
  });

  it("reports pending or running with progress between 0 and 1 while the task runs", async () => {
    await fake.faults({ slowMs: 1500 });
    try {
      const created = await call("POST", "/router/workflow", { type: "SD15", params: { prompt: "slowly", steps: 3, width: 128, height: 128, seed: Math.floor(Math.random() * 1e9) } });
      expect(created.status, created.text).toBe(200);
      const first = await task(created.json.id);
      expect(["pending", "running"]).toContain(first.status);
      const midway = await waitFor(async () => {
        const t = await task(created.json.id);
        return t.status === "running" && t.data.progress > 0 ? t : undefined;
      });
      expect(midway.data.progress).toBeLessThan(1);
      expect(midway.data.previews).toEqual([]);
      await fake.clearFaults();
      expect(await untilFinished(created.json.id)).toMatchObject({ status: "done" });
    } finally {
      await fake.clearFaults();
    }
  });

  it("reports a failed task as error with our code and ComfyUI's message", async () => {
    await fake.faults({ execError: 1, execErrorMessage: "sampler exploded" });
    const created = await call("POST", "/router/workflow", { type: "SD15", params: { prompt: "will fail", steps: 2, width: 128, height: 128, seed: Math.floor(Math.random() * 1e9) } });
    const failed = await untilFinished(created.json.id);
    expect(failed).toMatchObject({ status: "error", job: { status: "failed" } });
    expect(failed.data).toMatch(/^COMFYUI_EXECUTION_ERROR: .*sampler exploded/s);
  });

  it("runs SD15 with a base64 input_image as image-to-image", async () => {
    const created = await call("POST", "/router/workflow", { type: "SD15", params: { prompt: "as a painting", input_image: { type: "base64", content: TINY_PNG_BASE64 }, denoise: 0.6, steps: 2, seed: Math.floor(Math.random() * 1e9) } });
    expect(created.status, created.text).toBe(200);
    expect(created.json.workflowId).toBe("sd15_img2img");
    const done = await untilFinished(created.json.id);
    expect(done).toMatchObject({ status: "done", job: { workflowId: "sd15_img2img" } });
    expect((await ranNodes(created.json.id))("KSampler")[0]).toMatchObject({ denoise: 0.6 });
  });
});

describe("GET /preview/:id", () => {
  it("is 404 in our error body until the task has an image, then serves it without credentials", async () => {
    await fake.faults({ hang: 1 });
    const created = await call("POST", "/router/workflow", { type: "SD15", params: { prompt: "preview me", steps: 2, width: 128, height: 128, seed: Math.floor(Math.random() * 1e9) } });
    const id = created.json.id;
    const none = await call("GET", `/router/preview/${id}`);
    expect(none.status).toBe(404);
    expect(none.json).toMatchObject({ error: "NOT_FOUND", message: expect.stringContaining("no preview"), requestId: expect.any(String) });
    // Unstick it by canceling the task, then run another to completion.
    const canceled = await call("POST", `/router/workflow/${id}/cancel`);
    expect(canceled.status, canceled.text).toBe(200);
    expect(["running", "error"]).toContain(canceled.json.status);
    expect(await untilFinished(id)).toMatchObject({ status: "error", data: "Job canceled", job: { status: "canceled" } });
    const next = await call("POST", "/workflow", { type: "SD15", params: { prompt: "preview me", steps: 2, width: 128, height: 128, seed: Math.floor(Math.random() * 1e9) } });
    const done = await untilFinished(next.json.id);
    const image = await call("GET", `/preview/${next.json.id}`);
    expect(image.status).toBe(200);
    expect(image.headers.get("content-type")).toBe("image/png");
    expect(image.headers.get("cache-control")).toBe("no-store");
    expect(Number(image.headers.get("content-length"))).toBe(done.data[0].length);
  });

  it("serves a running task's live sampler preview (the image GET /jobs/:id/preview serves), without credentials", async () => {
    await fake.configure({ previewMethod: "latent2rgb", stepMs: 150 });
    try {
      const created = await call("POST", "/router/workflow", { type: "SD15", params: { prompt: "live preview", steps: 40, width: 128, height: 128, seed: Math.floor(Math.random() * 1e9) } });
      const id = created.json.id;
      const live = await waitFor(async () => {
        const r = await call("GET", `/preview/${id}`);
        return r.status === 200 ? r : undefined;
      }, { timeoutMs: 20_000, everyMs: 100 });
      expect(live.headers.get("content-type")).toBe("image/jpeg");
      expect((await call("GET", `/router/workflow/${id}`)).json.status).toBe("running");
      expect((await call("GET", `/jobs/${id}/preview`)).headers.get("content-type")).toBe("image/jpeg");
      await call("POST", `/router/workflow/${id}/cancel`);
    } finally {
      await fake.configure({ previewMethod: "none", stepMs: 5 });
    }
  });

  it("does not serve a job made through our own API, nor an id that is not a task", async () => {
    const own = await call("POST", "/jobs", { workflowId: "sd15", inputs: { prompt: "native", steps: 2, width: 128, height: 128, seed: Math.floor(Math.random() * 1e9) } });
    expect(own.status, own.text).toBe(202);
    for (const id of [own.json.id, crypto.randomUUID(), "not-a-uuid"]) {
      const r = await call("GET", `/router/preview/${id}`);
      expect(r.status).toBe(404);
      expect(r.json).toMatchObject({ error: "NOT_FOUND", message: "Task not found" });
    }
  });
});

describe("bad parameters", () => {
  it.each([
    { what: "no prompt", body: { type: "SD15", params: {} }, path: "params.prompt" },
    { what: "an unknown type", body: { type: "SD3", params: { prompt: "p" } }, path: "type" },
    { what: "a misspelt parameter", body: { type: "SDXL", params: { prompt: "p", cfg: 7 } }, path: "params" },
    { what: "a sampler ComfyUI does not have", body: { type: "SDXL", params: { prompt: "p", sampler: "warp_drive" } }, path: "params.sampler" },
    { what: "a width past MAX_IMAGE_SIZE", body: { type: "SDXL", params: { prompt: "p", width: 100_000 } }, path: "params.width" },
    { what: "LoRAs", body: { type: "SD15", params: { prompt: "p", loras: [{ model: { type: "build_in", name: "x" }, weight: 1 }] } }, path: "params.loras" },
    { what: "a model URL", body: { type: "SD15", params: { prompt: "p", checkpoint: { type: "custom", name: "https://example.com/m.safetensors" } } }, path: "params.checkpoint" },
    { what: "an input_image for Flux", body: { type: "Flux", params: { prompt: "p", input_image: { type: "url", content: "https://example.com/a.png" } } }, path: "params.input_image" },
    { what: "an input_image that is not an image", body: { type: "SD15", params: { prompt: "p", input_image: { type: "base64", content: btoa("plain text, not an image") } } }, path: "images.0.image" },
  ])("answers 400 VALIDATION_FAILED for $what, naming $path", async ({ body, path }) => {
    const r = await call("POST", "/router/workflow", body);
    expect(r.status, r.text).toBe(400);
    expect(r.json).toMatchObject({ error: "VALIDATION_FAILED", message: expect.any(String), details: { issues: expect.any(Array) } });
    expect(r.json.details.issues.map((i: { path: string }) => i.path)).toContain(path);
  });

  it("answers 400 for a body that is not JSON", async () => {
    const r = await call("POST", "/router/workflow", "{ not json", { "content-type": "application/json" });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ error: "VALIDATION_FAILED", message: "Request body is not valid JSON" });
  });

  it("answers 404 for an unknown task", async () => {
    for (const id of [crypto.randomUUID(), "nope"]) {
      for (const [method, path] of [["GET", `/router/workflow/${id}`], ["POST", `/router/workflow/${id}/cancel`]]) {
        const r = await call(method!, path!);
        expect(r.status).toBe(404);
        expect(r.json).toMatchObject({ error: "NOT_FOUND" });
      }
    }
  });

  it("answers 409 to canceling a finished task", async () => {
    const created = await call("POST", "/workflow", { type: "SD15", params: { prompt: "done soon", steps: 2, width: 128, height: 128, seed: Math.floor(Math.random() * 1e9) } });
    await untilFinished(created.json.id);
    const r = await call("POST", `/workflow/${created.json.id}/cancel`);
    expect(r.status).toBe(409);
    expect(r.json).toMatchObject({ error: "CONFLICT", message: "Task already succeeded; only pending or running tasks can be canceled" });
  });
});

describe("GET /doc and /health_check", () => {
  it("serves a docs page for Comfy Router users and the plain ok health check", async () => {
    for (const base of ["", "/router"]) {
      const doc = await call("GET", `${base}/doc`);
      expect(doc.status).toBe(200);
      expect(doc.headers.get("content-type")).toMatch(/^text\/html/);
      expect(doc.text).toContain("POST /workflow");
      const health = await call("GET", `${base}/health_check`);
      expect(health.status).toBe(200);
      expect(health.text).toBe("ok");
    }
  });
});

describe("hostile values", () => {
  const jobCount = async () => (await env.DB.prepare("SELECT count(*) AS n FROM jobs").first<{ n: number }>())!.n;
  const sd15 = (params: Record<string, unknown>) => ({ type: "SD15", params: { prompt: "p", ...params } });
  it.each([
    { what: "a NUL in the prompt", body: sd15({ prompt: "a\u0000b" }) },
    { what: "a lone surrogate in the negative prompt", body: sd15({ negative_prompt: "a\ud800b" }) },
    { what: "a prompt past 10000 characters", body: sd15({ prompt: "x".repeat(10_001) }) },
    { what: "a width of 1e300", body: sd15({ width: 1e300 }) },
    { what: "a fractional width", body: sd15({ width: 512.5 }) },
    { what: "a seed past 2^53", body: sd15({ seed: 2 ** 64 }) },
    { what: "steps as a string", body: sd15({ steps: "20" }) },
    { what: "a checkpoint name with a control character", body: sd15({ checkpoint: { type: "build_in", name: "a\nb" } }) },
    { what: "a checkpoint name of 256 characters", body: sd15({ checkpoint: { type: "build_in", name: "c".repeat(256) } }) },
    { what: "an input_image URL on loopback", body: sd15({ input_image: { type: "url", content: "http://127.0.0.1:1/a.png" } }) },
    { what: "an input_image URL that is not a URL", body: sd15({ input_image: { type: "url", content: "::::" } }) },
    { what: "params as a list", body: { type: "SD15", params: [] } },
    { what: "type as a number", body: { type: 15, params: { prompt: "p" } } },
    { what: "a list for a body", body: [] },
    { what: "null for a body", body: null },
  ])("answers 400 to $what and writes no job", async ({ body }) => {
    const before = await jobCount();
    const r = await call("POST", "/router/workflow", JSON.stringify(body));
    expect(r.status, r.text).toBe(400);
    expect(r.json).toMatchObject({ error: "VALIDATION_FAILED", message: expect.any(String) });
    expect(await jobCount()).toBe(before);
  });

  it("answers 404, never 500, to task ids that are not ids", async () => {
    for (const id of ["x".repeat(5000), "%00", "..%2F..%2Fhosts", "00000000-0000-4000-8000-00000000000g"]) {
      expect((await call("GET", `/router/workflow/${id}`)).status).toBe(404);
      expect((await call("GET", `/router/preview/${id}`)).status).toBe(404);
    }
  });
});
