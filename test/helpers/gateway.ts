import { exports } from "cloudflare:workers";

/** Calls the Worker under test through its real fetch handler (router, middleware, bindings). */
export async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === "string" ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)["content-type"] ??= "application/json";
  }
  const res = await exports.default.fetch(new Request(`http://gw.test${path}`, { ...init, redirect: "manual" }));
  const text = await res.text();
  let json: any = undefined;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, headers: res.headers, json, text };
}

export const tinyGraph = (seed = 0) => ({
  "1": { class_type: "EmptyImage", inputs: { width: 64, height: 64, batch_size: 1, color: seed } },
  "2": { class_type: "SaveImage", inputs: { images: ["1", 0], filename_prefix: "gw" } },
});

export async function waitFor<T>(fn: () => Promise<T | undefined | null | false>, { timeoutMs = 30_000, everyMs = 100 } = {}): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

const TERMINAL = ["succeeded", "failed", "canceled", "expired"];
/** Long-polls the job (GET /jobs/:id?wait=) until it is terminal. */
export async function waitForTerminal(jobId: string, timeoutMs = 30_000) {
  return waitFor(async () => {
    const r = await call("GET", `/jobs/${jobId}?wait=${Math.min(10, Math.ceil(timeoutMs / 1000))}`);
    return TERMINAL.includes(r.json?.status) ? r.json : undefined;
  }, { timeoutMs, everyMs: 0 });
}

/** A small SD-style graph loading checkpoint `ckpt` (2 steps, 64×64), for tests about models. */
export const checkpointGraph = (ckpt: string) => ({
  "4": { class_type: "CheckpointLoaderSimple", inputs: { ckpt_name: ckpt } },
  "5": { class_type: "EmptyLatentImage", inputs: { width: 64, height: 64, batch_size: 1 } },
  "6": { class_type: "CLIPTextEncode", inputs: { text: "a", clip: ["4", 1] } },
  "3": { class_type: "KSampler", inputs: { seed: 1, steps: 2, cfg: 7, sampler_name: "euler", scheduler: "normal", denoise: 1, model: ["4", 0], positive: ["6", 0], negative: ["6", 0], latent_image: ["5", 0] } },
  "8": { class_type: "VAEDecode", inputs: { samples: ["3", 0], vae: ["4", 2] } },
  "9": { class_type: "SaveImage", inputs: { images: ["8", 0], filename_prefix: "gw" } },
});

/** EmptyImage → HarnessSteps (sleeps `steps` × `stepMs`, reporting progress) → SaveImage; `seed` keeps ComfyUI from caching it. */
export const slowGraph = (steps: number, stepMs: number, seed = Math.floor(Math.random() * 0xffffff)) => ({
  "1": { class_type: "EmptyImage", inputs: { width: 64, height: 64, batch_size: 1, color: seed } },
  "2": { class_type: "HarnessSteps", inputs: { images: ["1", 0], steps, step_ms: stepMs } },
  "3": { class_type: "SaveImage", inputs: { images: ["2", 0], filename_prefix: `gw${seed}` } },
});

export async function submit(body: unknown) {
  const r = await call("POST", "/jobs", body);
  if (r.status !== 202) throw new Error(`POST /jobs: ${r.status} ${r.text}`);
  return r.json as { id: string };
}

export async function waitForStatus(jobId: string, status: string, timeoutMs = 30_000) {
  return waitFor(async () => {
    const r = await call("GET", `/jobs/${jobId}`);
    return r.json?.status === status ? r.json : undefined;
  }, { timeoutMs, everyMs: 50 });
}
