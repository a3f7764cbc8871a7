import { env, exports } from "cloudflare:workers";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { db } from "../../src/db/client";
import { fetchUrlInput } from "../../src/storage/inputs";
import { TINY_PNG_BASE64 } from "../auth/route-table";
import { addHost, spawnFake, type Fake } from "../helpers/fake";
import { call, submit, waitFor, waitForStatus, waitForTerminal } from "../helpers/gateway";
import { spawnReceiver, type Receiver } from "../helpers/receiver";

const fakes: Fake[] = [];
const fake = async (args: string[] = []) => {
  const f = await spawnFake(["--step-ms", "5", ...args]);
  fakes.push(f);
  return f;
};
let receiver: Receiver;
beforeAll(async () => {
  receiver = await spawnReceiver();
});
afterAll(() => receiver?.close());
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
  for (const h of (await call("GET", "/hosts")).json.items) await call("POST", `/hosts/${h.id}/drain`);
});

const png = Uint8Array.from(atob(TINY_PNG_BASE64), (c) => c.charCodeAt(0));
/** Another valid-looking PNG: the same bytes with a different width in the header, so its hash differs. */
const png2 = (() => {
  const b = png.slice();
  b[19] = 2;
  return b;
})();
const b64 = (b: Uint8Array) => btoa(String.fromCharCode(...b));
const sha256 = async (b: Uint8Array) => [...new Uint8Array(await crypto.subtle.digest("SHA-256", b))].map((x) => x.toString(16).padStart(2, "0")).join("");

/** LoadImage(name) → SaveImage: runs only if the file reached the host's input folder under the name the graph says. */
const loadGraph = (name: string, prefix = `in${Math.floor(Math.random() * 1e9)}`) => ({
  "1": { class_type: "LoadImage", inputs: { image: name } },
  "2": { class_type: "SaveImage", inputs: { images: ["1", 0], filename_prefix: prefix } },
});
/** The same with a slow middle node, so a host can die while it runs. */
const slowLoadGraph = (name: string) => ({
  "1": { class_type: "LoadImage", inputs: { image: name } },
  "2": { class_type: "HarnessSteps", inputs: { images: ["1", 0], steps: 40, step_ms: 50 } },
  "3": { class_type: "SaveImage", inputs: { images: ["2", 0], filename_prefix: `slow${Math.floor(Math.random() * 1e9)}` } },
});

/** The graph ComfyUI actually ran for a job's current attempt, from the host's own history. */
async function ranGraph(f: Fake, jobId: string) {
  const row = await env.DB.prepare("SELECT attempt_id FROM jobs WHERE id = ?").bind(jobId).first<{ attempt_id: string }>();
  const h = (await (await fetch(`${f.url}/history/${row!.attempt_id}`)).json()) as Record<string, { prompt: unknown[] }>;
  return h[row!.attempt_id]!.prompt[2] as Record<string, { inputs: Record<string, unknown> }>;
}

describe("stored workflows by name", () => {
  it("runs { workflowId: 'sdxl', inputs: { prompt } } with no graph and returns an image", async () => {
    const f = await fake();
    await addHost(f, 2);
    const r = await call("POST", "/jobs", { workflowId: "sdxl", inputs: { prompt: "a red fox in the snow", seed: 42 } });
    expect(r.status, r.text).toBe(202);
    const job = await waitForTerminal(r.json.id);
    expect(job).toMatchObject({ status: "succeeded", workflowId: "sdxl", workflowVersion: expect.any(Number) });
    expect(job.outputs).toEqual([expect.objectContaining({ kind: "image", contentType: "image/png", node: "9" })]);
    const ran = await ranGraph(f, job.id);
    expect(ran["6"]!.inputs.text).toBe("a red fox in the snow");
    expect(ran["4"]!.inputs.ckpt_name).toBe("sdxl_base.safetensors");
  });

  it.each(["sd15", "flux"])("runs the built-in %s on the fake", async (id) => {
    const f = await fake();
    await addHost(f, 2);
    const job = await waitForTerminal((await submit({ workflowId: id, inputs: { prompt: "a lighthouse", width: 256, height: 256 } })).id);
    expect(job).toMatchObject({ status: "succeeded", outputs: [expect.objectContaining({ kind: "image" })] });
  });

  it("runs the built-in sd15_img2img on a base64 image and returns a PNG of the input's size", async () => {
    const f = await fake();
    await addHost(f, 2);
    // The tiny PNG with a 96×64 header: the fake's LoadImage reads the size from the header.
    const input = png.slice();
    input[19] = 96;
    input[23] = 64;
    const r = await call("POST", "/jobs", { workflowId: "sd15_img2img", inputs: { prompt: "as an oil painting", image: "photo.png" }, images: [{ name: "photo.png", image: b64(input) }] });
    expect(r.status, r.text).toBe(202);
    const job = await waitForTerminal(r.json.id);
    expect(job).toMatchObject({ status: "succeeded", workflowId: "sd15_img2img", outputs: [expect.objectContaining({ kind: "image", contentType: "image/png", node: "9" })] });
    const ran = await ranGraph(f, job.id);
    expect(ran["10"]!.inputs.image).toBe("photo.png");
    expect(ran["3"]!.inputs).toMatchObject({ denoise: 0.75, latent_image: ["11", 0] });
    const file = await exports.default.fetch(new Request(job.outputs[0].url));
    expect(file.status).toBe(200);
    const out = new DataView(await file.arrayBuffer());
    // IHDR: width and height are the big-endian words at bytes 16 and 20.
    expect([out.getUint32(16), out.getUint32(20)]).toEqual([96, 64]);
  });

  it("lists the hosts' models in GET /capabilities", async () => {
    const f = await fake(["--models", "only_this.safetensors"]);
    await addHost(f, 1);
    const caps = await waitFor(async () => {
      const r = await call("GET", "/capabilities");
      return r.json.models?.checkpoints?.includes("only_this.safetensors") ? r.json : undefined;
    });
    expect(caps.hosts.some((h: { models: { checkpoints?: string[] } }) => h.models.checkpoints?.includes("only_this.safetensors"))).toBe(true);
  });
});

describe("input files", () => {
  it("uploads a base64 image to the host before the prompt, under the name the graph uses", async () => {
    const f = await fake();
    await addHost(f, 1);
    const job = await waitForTerminal((await submit({ workflow: loadGraph("cat.png"), images: [{ name: "cat.png", image: b64(png) }] })).id);
    expect(job.status, JSON.stringify(job.error)).toBe("succeeded");
    const up = (await f.stats()).uploads;
    expect(up).toEqual([expect.objectContaining({ name: "cat.png", type: "input", sha256: await sha256(png) })]);
  });

  it("uses ComfyUI's new name when the host renames a clashing file, and rewrites the graph to it", async () => {
    const f = await fake();
    await addHost(f, 1);
    await waitForTerminal((await submit({ workflow: loadGraph("dog.png"), images: [{ name: "dog.png", image: `data:image/png;base64,${b64(png)}` }] })).id);
    const second = await waitForTerminal((await submit({ workflow: loadGraph("dog.png"), images: [{ name: "dog.png", image: b64(png2) }] })).id);
    expect(second.status).toBe("succeeded");
    expect((await f.stats()).uploads.map((u: { name: string }) => u.name)).toEqual(["dog.png", "dog (1).png"]);
    expect((await ranGraph(f, second.id))["1"]!.inputs.image).toBe("dog (1).png");
  });

  it("contains a name with ../ to the host's input folder", async () => {
    const f = await fake();
    await addHost(f, 1);
    const evil = "../../../../tmp/escape.png";
    const job = await waitForTerminal((await submit({ workflow: loadGraph(evil), images: [{ name: evil, image: b64(png) }] })).id);
    expect(job.status, JSON.stringify(job.error)).toBe("succeeded");
    expect((await f.stats()).uploads).toEqual([expect.objectContaining({ name: "escape.png", subfolder: "" })]);
    expect((await ranGraph(f, job.id))["1"]!.inputs.image).toBe("escape.png");
  });

  it("fetches a URL input once, serves the second job from the R2 cache", async () => {
    const f = await fake();
    await addHost(f, 2);
    const hook = await receiver.hook([], { status: 200, headers: { "content-type": "image/png" }, bodyBase64: b64(png) });
    const url = hook.url;
    const a = await waitForTerminal((await submit({ workflow: loadGraph("bird.png"), images: [{ name: "bird.png", image: url }] })).id);
    const b = await waitForTerminal((await submit({ workflow: loadGraph("bird.png"), images: [{ name: "bird.png", image: url }] })).id);
    expect([a.status, b.status]).toEqual(["succeeded", "succeeded"]);
    expect(await hook.requests()).toHaveLength(1);
    expect((await f.stats()).uploads).toHaveLength(2);
  });

  it("refuses a URL that is not an image with a 400 naming the field, writing no job", async () => {
    const hook = await receiver.hook([], { status: 200, headers: { "content-type": "text/html" }, body: "<html>" });
    const before = (await env.DB.prepare("SELECT count(*) AS n FROM jobs").first<{ n: number }>())!.n;
    const r = await call("POST", "/jobs", { workflow: loadGraph("x.png"), images: [{ name: "x.png", image: hook.url }] });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ error: "VALIDATION_FAILED", details: { issues: [{ path: "images.0.image", message: "URL is text/html, not an image, video or audio file" }] } });
    expect((await env.DB.prepare("SELECT count(*) AS n FROM jobs").first<{ n: number }>())!.n).toBe(before);
  });

  it("uploads the input again on the host a job is re-dispatched to", async () => {
    const a = await fake();
    const b = await fake();
    const ha = await addHost(a, 1);
    const hook = await receiver.hook([], { status: 200, headers: { "content-type": "image/png" }, bodyBase64: b64(png2) });
    const job = await submit({ workflow: slowLoadGraph("moved.png"), images: [{ name: "moved.png", image: hook.url }] });
    await waitForStatus(job.id, "running");
    await waitFor(async () => ((await a.stats()).uploads.length ? true : undefined));
    expect((await call("GET", `/jobs/${job.id}`)).json.host).toBe(ha.name);
    const hb = await addHost(b, 1);
    await a.kill();
    const done = await waitForTerminal(job.id, 60_000);
    expect(done).toMatchObject({ status: "succeeded", attempts: 2, host: hb.name });
    expect((await b.stats()).uploads).toEqual([expect.objectContaining({ name: "moved.png", sha256: await sha256(png2) })]);
    // Fetched from the URL once; the second host got it from R2.
    expect(await hook.requests()).toHaveLength(1);
  }, 90_000);

  it("puts a file once with POST /uploads and uses it by id in many jobs", async () => {
    const f = await fake();
    await addHost(f, 2);
    const up = await call("POST", "/uploads", { name: "shared.png", image: b64(png) });
    expect(up.status, up.text).toBe(201);
    expect(up.json).toMatchObject({ id: expect.any(String), name: "shared.png", contentType: "image/png", bytes: png.length });
    const raw = await call("POST", "/uploads?name=raw.png", String.fromCharCode(...png2), { "content-type": "image/png" });
    expect(raw.status).toBe(201);
    const jobs = await Promise.all([1, 2].map(() => submit({ workflow: loadGraph("mine.png"), images: [{ name: "mine.png", upload: up.json.id }] })));
    for (const j of jobs) expect((await waitForTerminal(j.id)).status).toBe("succeeded");
    const bad = await call("POST", "/jobs", { workflow: loadGraph("mine.png"), images: [{ name: "mine.png", upload: "00000000-0000-4000-8000-000000000000" }] });
    expect(bad).toMatchObject({ status: 400, json: { details: { issues: [{ path: "images.0.upload" }] } } });
  });

  it("deletes an upload (file and row) only when no queued or running job uses it", async () => {
    const up = await call("POST", "/uploads", { name: "gone.png", image: b64(png) });
    expect(up.status, up.text).toBe(201);
    expect(await env.OUTPUTS.head(`uploads/${up.json.id}`)).not.toBeNull();
    // No host yet, so the job waits in the queue holding the upload's key.
    const job = await submit({ workflow: loadGraph("gone.png"), images: [{ name: "gone.png", upload: up.json.id }] });
    const refused = await call("DELETE", `/uploads/${up.json.id}`);
    expect(refused).toMatchObject({ status: 409, json: { error: "CONFLICT" } });
    const f = await fake();
    await addHost(f, 1);
    expect((await waitForTerminal(job.id)).status).toBe("succeeded");
    expect((await call("DELETE", `/uploads/${up.json.id}`)).status).toBe(204);
    expect(await env.OUTPUTS.head(`uploads/${up.json.id}`)).toBeNull();
    expect((await call("GET", `/uploads/${up.json.id}`)).status).toBe(404);
    expect((await call("DELETE", `/uploads/${up.json.id}`)).status).toBe(404);
    const again = await call("POST", "/jobs", { workflow: loadGraph("gone.png"), images: [{ name: "gone.png", upload: up.json.id }] });
    expect(again).toMatchObject({ status: 400, json: { details: { issues: [{ path: "images.0.upload" }] } } });
  });

  it.each([
    { name: "not an image", body: { name: "x.txt", image: btoa("hello, plain text") }, status: 415 },
    { name: "a URL", body: { name: "x.png", image: "https://example.com/x.png" }, status: 400 },
  ])("refuses an upload that is $name", async ({ body, status }) => {
    expect((await call("POST", "/uploads", body)).status).toBe(status);
  });
});

describe("URL inputs and the SSRF guard", () => {
  const policy = { allowPrivate: false, maxBytes: 1024, timeoutMs: 2000 };
  it.each([
    ["http://example.com/x.png", "URL must use https"],
    ["https://127.0.0.1/x.png", 'URL host "127.0.0.1" is a private, loopback, link-local or reserved address'],
    ["https://169.254.169.254/latest/meta-data", 'URL host "169.254.169.254" is a private, loopback, link-local or reserved address'],
    ["https://[::ffff:10.0.0.1]/x.png", "private, loopback, link-local or reserved"],
    ["https://0x7f000001/x.png", 'URL host "127.0.0.1" is a private'],
    ["https://metadata.google.internal/x.png", "a local or internal name"],
    ["https://localhost/x.png", "a local"],
    ["https://user:pw@example.com/x.png", "must not contain a username or password"],
  ])("never fetches %s", async (url, message) => {
    await expect(fetchUrlInput(db(env.DB), env.OUTPUTS, url, policy, Date.now())).rejects.toThrow(message);
  });

  it.each([
    { answer: { status: 404, body: "nope" }, message: "URL answered HTTP 404" },
    { answer: { status: 200, headers: { "content-type": "image/png" }, bodyBase64: btoa("x".repeat(2000)) }, message: "over INPUT_MAX_BYTES 1024" },
    { answer: { status: 200, headers: { "content-type": "application/octet-stream" }, body: "just some text" }, message: "is not an image, video or audio file" },
  ])("refuses a file the server answers with $message", async ({ answer, message }) => {
    const hook = await receiver.hook([], answer);
    await expect(fetchUrlInput(db(env.DB), env.OUTPUTS, hook.url, { ...policy, allowPrivate: true }, Date.now())).rejects.toThrow(message);
  });
});

describe("Comfy.org API nodes", () => {
  it("sends a job's own key as extra_data.api_key_comfy_org, never returning or storing it in clear", async () => {
    const f = await fake();
    await addHost(f, 1);
    const key = `comfyui-${crypto.randomUUID()}`;
    const r = await call("POST", "/jobs", { workflow: loadGraph("k.png"), images: [{ name: "k.png", image: b64(png) }], comfyOrgApiKey: key });
    expect(r.status, r.text).toBe(202);
    expect(r.text).not.toContain(key);
    const job = await waitForTerminal(r.json.id);
    expect(job.status).toBe("succeeded");
    expect(JSON.stringify(job)).not.toContain(key);
    const row = await env.DB.prepare("SELECT * FROM jobs WHERE id = ?").bind(job.id).first();
    expect(JSON.stringify(row)).not.toContain(key);
    const attempt = (row as { attempt_id: string }).attempt_id;
    expect((await f.stats()).sensitiveReceived).toEqual([{ prompt_id: attempt, key: "api_key_comfy_org", sha256: await sha256(new TextEncoder().encode(key)) }]);
    // ComfyUI strips it from history, and so the fake does.
    expect(JSON.stringify(await ranGraph(f, job.id))).not.toContain(key);
  });

  it("sends no key when neither the job nor COMFY_ORG_API_KEY has one", async () => {
    const f = await fake();
    await addHost(f, 1);
    const job = await waitForTerminal((await submit({ workflow: loadGraph("n.png"), images: [{ name: "n.png", image: b64(png) }] })).id);
    expect(job.status).toBe("succeeded");
    expect((await f.stats()).sensitiveReceived).toEqual([]);
  });
});
