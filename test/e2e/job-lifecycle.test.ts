import { env, exports } from "cloudflare:workers";
import { signKey } from "../../src/storage/signed-url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addHost, spawnFake, type Fake } from "../helpers/fake";
import { call, checkpointGraph, tinyGraph, waitFor, waitForTerminal } from "../helpers/gateway";

let fake: Fake;
beforeAll(async () => {
  fake = await spawnFake(["--step-ms", "5"]);
  await addHost(fake, 2);
});
afterAll(() => fake?.close());

/** Follows the API's output redirect to the signed link and downloads it through the Worker. */
async function download(jobId: string, name: string, headers: Record<string, string> = {}) {
  const redirect = await call("GET", `/jobs/${jobId}/outputs/${encodeURIComponent(name)}`);
  expect(redirect.status).toBe(302);
  const location = redirect.headers.get("location")!;
  return exports.default.fetch(new Request(location, { headers }));
}

async function sha256Stream(body: ReadableStream<Uint8Array>) {
  const digest = new crypto.DigestStream("SHA-256");
  await body.pipeTo(digest);
  return [...new Uint8Array(await digest.digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

describe("a job from HTTP to R2", () => {
  it("runs on the fake ComfyUI, lands its PNG in R2 and serves the same bytes through a signed link", async () => {
    const submitted = await call("POST", "/jobs", { workflow: tinyGraph(0x336699) });
    expect(submitted.status).toBe(202);
    const job = await waitForTerminal(submitted.json.id);
    expect(job).toMatchObject({ status: "succeeded", attempts: 1, error: null, progress: { percent: 100 } });
    expect(job.host).toMatch(/^gpu-/);
    expect(job.metrics.queueMs).toBeGreaterThanOrEqual(0);
    expect(job.metrics.executionMs).toBeGreaterThanOrEqual(0);
    expect(job.startedAt).not.toBeNull();
    expect(job.completedAt).not.toBeNull();
    expect(job.outputs).toHaveLength(1);
    const out = job.outputs[0];
    expect(out).toMatchObject({ node: "2", kind: "image", contentType: "image/png", bytes: expect.any(Number), url: expect.stringContaining("/files/outputs/"), urlExpiresAt: expect.any(String) });

    const res = await download(job.id, out.name);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(Number(res.headers.get("content-length"))).toBe(out.bytes);
    expect(res.headers.get("etag")).toBeTruthy();
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect([...bytes.slice(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const ours = [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");

    const stats = await fake.stats();
    const written = (await fake.fileSha256("output", out.name)) as { sha256: string } | string;
    expect(typeof written === "string" ? written : written.sha256).toBe(ours);
    // One attempt, one prompt: the attempt id was the prompt id, and nothing was submitted twice.
    expect(stats.promptsReceived.filter((p: { prompt_id: string }) => p.prompt_id)).toHaveLength(1);
  });

  it("long-polls a job to its end with ?wait=", async () => {
    const id = (await call("POST", "/jobs", { workflow: tinyGraph(0x10101) })).json.id;
    const r = await call("GET", `/jobs/${id}?wait=30`);
    expect(r).toMatchObject({ status: 200, json: { id, status: "succeeded" } });
    expect((await call("GET", `/jobs/${id}?wait=61`)).status).toBe(400);
    expect((await call("GET", `/jobs/${id}?wait=soon`)).status).toBe(400);
  });

  it("skips preview (temp) images unless the job asks for them with includePreviews", async () => {
    const workflow = (seed: number) => ({
      "1": { class_type: "EmptyImage", inputs: { width: 64, height: 64, batch_size: 1, color: seed } },
      "2": { class_type: "SaveImage", inputs: { images: ["1", 0], filename_prefix: "gw" } },
      "3": { class_type: "PreviewImage", inputs: { images: ["1", 0] } },
    });
    const plain = await waitForTerminal((await call("POST", "/jobs", { workflow: workflow(0x2468) })).json.id);
    expect(plain.outputs.map((o: { node: string }) => o.node)).toEqual(["2"]);
    const withPreviews = await waitForTerminal((await call("POST", "/jobs", { workflow: workflow(0x1357), includePreviews: true })).json.id);
    expect(withPreviews.outputs.map((o: { node: string }) => o.node).sort()).toEqual(["2", "3"]);
    expect((await download(withPreviews.id, withPreviews.outputs.find((o: { node: string }) => o.node === "3").name)).status).toBe(200);
  });

  it("serves a byte range of an output with 206", async () => {
    const job = await waitForTerminal((await call("POST", "/jobs", { workflow: tinyGraph(7) })).json.id);
    const out = job.outputs[0];
    const whole = new Uint8Array(await (await download(job.id, out.name)).arrayBuffer());
    const part = await download(job.id, out.name, { range: "bytes=8-23" });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe(`bytes 8-23/${out.bytes}`);
    expect(new Uint8Array(await part.arrayBuffer())).toEqual(whole.slice(8, 24));
    const beyond = await download(job.id, out.name, { range: `bytes=${out.bytes}-` });
    expect(beyond.status).toBe(416);
    expect(await beyond.json()).toMatchObject({ error: "RANGE_NOT_SATISFIABLE" });
  });

  it("copies a 50 MB output into R2 intact", async () => {
    const size = 50 * 1024 * 1024;
    const workflow = { "1": { class_type: "FakeOutput", inputs: { kind: "video", bytes: size, filename_prefix: "big" } } };
    const job = await waitForTerminal((await call("POST", "/jobs", { workflow })).json.id, 120_000);
    expect(job.status).toBe("succeeded");
    const out = job.outputs[0];
    expect(out).toMatchObject({ kind: "video", bytes: size });
    const res = await download(job.id, out.name);
    expect(Number(res.headers.get("content-length"))).toBe(size);
    const ours = await sha256Stream(res.body!);
    const theirs = (await fake.fileSha256("output", out.name)) as { sha256: string } | string;
    expect(typeof theirs === "string" ? theirs : theirs.sha256).toBe(ours);
  }, 180_000);
});

describe("a partly valid graph (issue 12, item 5)", () => {
  it("runs the outputs ComfyUI accepted, reports them, and names the dropped ones as a warning", async () => {
    // Output 2 is valid; output 4 hangs off node 3, which lacks its width: ComfyUI answers 200 with
    // node_errors and runs output 2 only. The job reports exactly what ran.
    const workflow = {
      "1": { class_type: "EmptyImage", inputs: { width: 64, height: 64, batch_size: 1, color: 7 } },
      "2": { class_type: "SaveImage", inputs: { images: ["1", 0], filename_prefix: "kept" } },
      "3": { class_type: "EmptyImage", inputs: { height: 64, batch_size: 1, color: 8 } },
      "4": { class_type: "SaveImage", inputs: { images: ["3", 0], filename_prefix: "dropped" } },
    };
    const job = await waitForTerminal((await call("POST", "/jobs", { workflow })).json.id);
    expect(job).toMatchObject({ status: "succeeded", error: null });
    expect(job.outputs.map((o: { node: string }) => o.node)).toEqual(["2"]);
    expect(job.warnings).toHaveLength(1);
    expect(job.warnings[0]).toMatchObject({ error: "WORKFLOW_INVALID", message: expect.stringContaining("node 3") });
    expect(Object.keys(job.warnings[0].details.comfyui.node_errors)).toEqual(["3"]);
  });
});

describe("jobs that fail", () => {
  it("ends an invalid graph as failed WORKFLOW_INVALID with ComfyUI's node errors", async () => {
    const workflow = { "1": { class_type: "EmptyImage", inputs: { width: 64, height: 64, batch_size: 1 } }, "2": { class_type: "SaveImage", inputs: { images: ["1", 0], filename_prefix: "gw" } } };
    const job = await waitForTerminal((await call("POST", "/jobs", { workflow })).json.id);
    expect(job.status).toBe("failed");
    expect(job.error).toMatchObject({ error: "WORKFLOW_INVALID", retryable: false });
    expect(job.error.details.comfyui.node_errors["1"].errors[0].type).toBe("required_input_missing");
  });

  it("names a custom node the host does not have", async () => {
    const workflow = { "1": { class_type: "NotInstalledNode", inputs: {} }, "2": { class_type: "SaveImage", inputs: { images: ["1", 0], filename_prefix: "gw" } } };
    const job = await waitForTerminal((await call("POST", "/jobs", { workflow })).json.id);
    expect(job.error).toMatchObject({ error: "WORKFLOW_INVALID", message: expect.stringContaining('"NotInstalledNode"') });
  });

  it("names a model the host no longer has (deleted after the gateway read its lists)", async () => {
    // The gateway places by the lists it read; a file deleted since is found by ComfyUI's own
    // validation, which names it. (A model no host lists at all is refused at submit: model-placement.test.ts.)
    const models = { checkpoints: ["sd15.safetensors", "sdxl_base.safetensors", "flux1-dev.safetensors", "soon-gone.safetensors"] };
    await fake.configure({ models });
    await env.DB.prepare("UPDATE hosts SET models_at_ms = 0").run();
    await waitFor(async () => ((await call("GET", "/capabilities")).json.models?.checkpoints?.includes("soon-gone.safetensors") ? true : undefined));
    await fake.configure({ models: { checkpoints: models.checkpoints.slice(0, 3) } });
    const workflow = checkpointGraph("soon-gone.safetensors");
    const submitted = await call("POST", "/jobs", { workflow });
    expect(submitted.status, submitted.text).toBe(202);
    const job = await waitForTerminal(submitted.json.id);
    expect(job.error).toMatchObject({ error: "COMFYUI_MODEL_MISSING", retryable: false, message: expect.stringContaining("soon-gone.safetensors") });
  });

  it("ends an out-of-memory run as failed COMFYUI_OOM, not retried", async () => {
    await fake.faults({ oom: 1 });
    const job = await waitForTerminal((await call("POST", "/jobs", { workflow: tinyGraph(11) })).json.id);
    expect(job).toMatchObject({ status: "failed", attempts: 1, error: { error: "COMFYUI_OOM", retryable: false } });
  });

  it("ends any other execution error as COMFYUI_EXECUTION_ERROR naming the node", async () => {
    await fake.faults({ execError: 1 });
    const job = await waitForTerminal((await call("POST", "/jobs", { workflow: tinyGraph(12) })).json.id);
    expect(job).toMatchObject({ status: "failed", error: { error: "COMFYUI_EXECUTION_ERROR", retryable: false } });
    expect(job.error.message).toMatch(/^node \S+ \(\w+\) failed: /);
  });
});

describe("signed links", () => {
  it("refuses tampered, expired and other-job links with 403 and a code", async () => {
    const a = await waitForTerminal((await call("POST", "/jobs", { workflow: tinyGraph(21) })).json.id);
    const b = await waitForTerminal((await call("POST", "/jobs", { workflow: tinyGraph(22) })).json.id);
    const url = new URL(a.outputs[0].url);
    const get = (u: URL | string) => exports.default.fetch(new Request(u)).then(async (r) => ({ status: r.status, body: (await r.json()) as { error: string } }));

    const tampered = new URL(url);
    tampered.searchParams.set("sig", `${url.searchParams.get("sig")!.slice(0, -2)}AA`);
    expect(await get(tampered)).toMatchObject({ status: 403, body: { error: "SIGNATURE_INVALID" } });

    const later = new URL(url);
    later.searchParams.set("exp", String(Number(url.searchParams.get("exp")) + 10));
    expect(await get(later)).toMatchObject({ status: 403, body: { error: "SIGNATURE_INVALID" } });

    const otherJob = new URL(url);
    otherJob.pathname = otherJob.pathname.replace(a.id, b.id);
    expect(await get(otherJob)).toMatchObject({ status: 403, body: { error: "SIGNATURE_INVALID" } });

    // A genuine signature whose time has passed.
    const secret = (await env.DB.prepare("SELECT value FROM settings WHERE key = 'signing_secret'").first<{ value: string }>())!.value;
    const key = decodeURIComponent(url.pathname.replace(/^\/files\//, ""));
    const past = Math.floor(Date.now() / 1000) - 5;
    const expired = new URL(url);
    expired.searchParams.set("exp", String(past));
    expired.searchParams.set("sig", await signKey(secret, key, past));
    expect(await get(expired)).toMatchObject({ status: 403, body: { error: "SIGNATURE_EXPIRED" } });

    const unsigned = new URL(url);
    unsigned.search = "";
    expect(await get(unsigned)).toMatchObject({ status: 403, body: { error: "SIGNATURE_INVALID" } });
  });
});
