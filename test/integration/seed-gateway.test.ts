import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { sweep } from "../../src/scheduler/sweep";
import { createApp } from "../../src/app";
import { hmacHex } from "../helpers/hash";
import { hostAndReceiver } from "../helpers/host-and-receiver";
import { call, checkpointGraph, slowGraph, tinyGraph, waitFor, waitForStatus, waitForTerminal } from "../helpers/gateway";
import { received } from "../helpers/receiver";
import { WEBHOOK_SECRET } from "../helpers/webhook-config";

/**
 * Every request ComfyUI Gateway's troubleshooting guide (../shared/seeds/comfyui-gateway-troubleshooting.txt)
 * sends to the gateway, sent here as it shows it, each test named after the guide's section. Open
 * mode: the caller is admin and the guide's `X-API-Key: your-key` changes nothing. The requests whose
 * answer depends on configured keys (§9 rate limits, §10 authentication) are in
 * test/auth/seed-gateway.test.ts, in the closed project.
 */
const KEY = { "x-api-key": "your-key" };
/** The workflow id all the guide's job examples run; an admin creates it as their users did (POST /workflows). */
const WORKFLOW = "sdxl_realism_v1";

const world = hostAndReceiver();
beforeAll(async () => {
  const created = await call("POST", "/workflows", {
    id: WORKFLOW,
    name: "SDXL realism v1",
    graph: checkpointGraph("sdxl_base.safetensors"),
    inputs: {
      prompt: { type: "string", target: "6.inputs.text", required: true },
      width: { type: "int", target: "5.inputs.width", default: 1024, min: 64, max: "MAX_IMAGE_SIZE" },
      height: { type: "int", target: "5.inputs.height", default: 1024, min: 64, max: "MAX_IMAGE_SIZE" },
      steps: { type: "int", target: "3.inputs.steps", default: 30, min: 1, max: 150 },
      batch_size: { type: "int", target: "5.inputs.batch_size", default: 1, min: 1, max: "MAX_BATCH_SIZE" },
    },
  }, KEY);
  expect(created.status, created.text).toBe(201);
});

/** POST /jobs exactly as the guide's curl examples send it, then the job once it has ended. */
async function runJob(body: Record<string, unknown>) {
  const r = await call("POST", "/jobs", body, KEY);
  expect(r.status, r.text).toBe(202);
  expect(r.json).toMatchObject({ id: expect.any(String), workflowId: WORKFLOW });
  expect(["queued", "running"]).toContain(r.json.status);
  return waitForTerminal(r.json.id);
}

describe("ComfyUI Gateway's requests", () => {
  it("10e / workflow CRUD: POST /workflows creates a workflow from a body carrying its id (201), and refuses the same id again (409)", async () => {
    const id = `seed-${crypto.randomUUID().slice(0, 8)}`;
    const created = await call("POST", "/workflows", { id, name: "Seed", graph: tinyGraph(), inputs: { color: { type: "int", target: "1.inputs.color", default: 3 } } });
    expect(created.status).toBe(201);
    expect(created.headers.get("location")).toBe(`/workflows/${id}`);
    expect(created.json).toMatchObject({ id, name: "Seed", version: 1 });
    const again = await call("POST", "/workflows", { id, name: "Seed again", graph: tinyGraph() });
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({ error: "CONFLICT", message: expect.stringContaining(`PUT /workflows/${id}`) });
    // Nothing of the refused create was written: still version 1 with its first name.
    expect((await call("GET", `/workflows/${id}`)).json).toMatchObject({ name: "Seed", version: 1 });
    // And a job runs it by id, as the document's curl examples do.
    const job = await call("POST", "/jobs", { workflowId: id, inputs: { color: 5 } });
    expect(job.status).toBe(202);
  });

  it("POST /workflows validates like PUT: 400 naming the field", async () => {
    const r = await call("POST", "/workflows", { name: "no id", graph: tinyGraph() });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ error: "VALIDATION_FAILED", message: expect.stringContaining("id") });
  });

  it("2a. Resolution or Batch Size Too Large: POST /jobs { workflowId, inputs: { prompt, width: 1024, height: 1024 } } runs, and batch_size: 1 is an input", async () => {
    const job = await runJob({ workflowId: WORKFLOW, inputs: { prompt: "a mountain landscape", width: 1024, height: 1024 } });
    expect(job).toMatchObject({ status: "succeeded", workflowId: WORKFLOW, inputs: { prompt: "a mountain landscape", width: 1024, height: 1024 }, error: null });
    expect(job.outputs.length).toBeGreaterThan(0);
    const batch = await call("POST", "/jobs", { workflowId: WORKFLOW, inputs: { prompt: "a mountain landscape", width: 1024, height: 1024, batch_size: 1 } }, KEY);
    expect(batch.status, batch.text).toBe(202);
    expect(batch.json.inputs).toMatchObject({ batch_size: 1 });
    // Their MAX_IMAGE_SIZE / MAX_BATCH_SIZE are ours too: 2048 and 8 unless configured.
    const tooBig = await call("POST", "/jobs", { workflowId: WORKFLOW, inputs: { prompt: "x", width: 4096, height: 4096 } }, KEY);
    expect(tooBig.status).toBe(400);
    expect(tooBig.json).toMatchObject({ error: "VALIDATION_FAILED" });
  });

  it("2b. Too Many Steps: POST /jobs { workflowId, inputs: { prompt, steps: 20, width, height } } runs", async () => {
    const job = await runJob({ workflowId: WORKFLOW, inputs: { prompt: "a portrait photo", steps: 20, width: 1024, height: 1024 } });
    expect(job).toMatchObject({ status: "succeeded", inputs: { prompt: "a portrait photo", steps: 20, width: 1024, height: 1024 } });
  });

  it("2. OOM (Out of Memory) Errors: a CUDA out-of-memory failure is COMFYUI_OOM with retryable: false, and is not retried", async () => {
    await world.fake.faults({ oom: 1, oomMessage: "CUDA out of memory. Tried to allocate 2.00 GiB" });
    const job = await runJob({ workflowId: WORKFLOW, inputs: { prompt: "a mountain landscape", width: 2048, height: 2048 } });
    expect(job).toMatchObject({ status: "failed", attempts: 1, error: { error: "COMFYUI_OOM", retryable: false, message: expect.stringContaining("out of memory") } });
  });

  it("3c. Queue Depth / Concurrency: GET /jobs?status=queued and ?status=running answer { items, count }", async () => {
    for (const status of ["queued", "running"]) {
      const r = await call("GET", `/jobs?status=${status}`);
      expect(r.status).toBe(200);
      expect(typeof r.json.count).toBe("number");
      expect(r.json.items.every((j: { status: string }) => j.status === status)).toBe(true);
    }
  });

  it("3d. ComfyUI Startup Time: the 64×64, 1-step warm-up job runs", async () => {
    const job = await runJob({ workflowId: WORKFLOW, inputs: { prompt: "test", width: 64, height: 64, steps: 1 } });
    expect(job).toMatchObject({ status: "succeeded", inputs: { prompt: "test", width: 64, height: 64, steps: 1 } });
  });

  it("4a / 4e. Webhooks: a job with callbackUrl is POSTed to it with X-Signature: sha256=<lowercase hex HMAC of the raw body>, and jobId and status in the body", async () => {
    const hook = await world.receiver.hook();
    const job = await runJob({ workflowId: WORKFLOW, inputs: { prompt: "test" }, callbackUrl: hook.url });
    expect(job.status).toBe("succeeded");
    const [req] = await received(hook, 1);
    expect(req!.method).toBe("POST");
    expect(req!.headers["content-type"]).toBe("application/json");
    expect(req!.headers["x-signature"]).toBe(`sha256=${await hmacHex(WEBHOOK_SECRET, req!.body)}`);
    expect(req!.headers["x-signature"]).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(JSON.parse(req!.body)).toMatchObject({ jobId: job.id, status: "succeeded" });
  });

  describe("4d. Domain Not in Allowlist (WEBHOOK_ALLOWED_DOMAINS set, as a deployment would)", () => {
    // The suite binds ALLOW_PRIVATE_URLS=true for its 127.0.0.1 receiver and no allowlist; this env
    // is the guide's configuration, run through the real app.
    const submitWith = async (allowed: string, callbackUrl: string) => {
      const prod = { ...env, ALLOW_PRIVATE_URLS: "false", WEBHOOK_ALLOWED_DOMAINS: allowed } as unknown as typeof env;
      const ctx = createExecutionContext();
      const body = JSON.stringify({ workflowId: WORKFLOW, inputs: { prompt: "test" }, callbackUrl });
      const res = await createApp().request("http://gw.test/jobs", { method: "POST", headers: { "content-type": "application/json", ...KEY }, body }, prod, ctx);
      await waitOnExecutionContext(ctx);
      return { status: res.status, json: (await res.json()) as any };
    };

    it('refuses a callback domain outside the list with `Callback domain "example.com" is not in the allowed domains list`', async () => {
      const r = await submitWith("your-app.com,n8n.your-domain.com,*.internal.company.com", "https://example.com/webhook");
      expect(r.status).toBe(400);
      expect(r.json).toMatchObject({ error: "VALIDATION_FAILED", message: 'Callback domain "example.com" is not in the allowed domains list' });
    });

    it("accepts listed domains and *.wildcards, and every domain with WEBHOOK_ALLOWED_DOMAINS=*", async () => {
      const list = "your-app.com,n8n.your-domain.com,*.internal.company.com";
      for (const url of ["https://your-app.com/hook", "https://n8n.your-domain.com/hook", "https://hooks.internal.company.com/hook"]) {
        expect((await submitWith(list, url)).status, url).toBe(202);
      }
      expect((await submitWith("*", "https://example.com/webhook")).status).toBe(202);
    });
  });

  it("8a. ComfyUI Crashed During Execution: GET /jobs/<id> .status, GET /health .comfyui.reachable, POST /jobs/<id>/cancel with X-API-Key", async () => {
    const r = await call("POST", "/jobs", { workflow: slowGraph(400, 50) }, KEY);
    expect(r.status, r.text).toBe(202);
    const id = r.json.id as string;
    await waitForStatus(id, "running");
    const status = await call("GET", `/jobs/${id}`);
    expect(status.status).toBe(200);
    expect(status.json.status).toBe("running");

    const health = await call("GET", "/health");
    expect(health.json.comfyui.reachable).toBe(true);

    const canceled = await call("POST", `/jobs/${id}/cancel`, undefined, KEY);
    // 202 while the host is told to interrupt ("canceling"), 200 once it is "canceled".
    expect([200, 202]).toContain(canceled.status);
    expect(["canceling", "canceled"]).toContain(canceled.json.status);
    expect((await waitForTerminal(id)).status).toBe("canceled");
  });

  it("Quick Diagnostic Commands: GET /health answers ok and comfyui.reachable", async () => {
    const r = await call("GET", "/health");
    expect(r.status).toBe(200);
    expect(typeof r.json.ok).toBe("boolean");
    expect(typeof r.json.comfyui.reachable).toBe("boolean");
  });

  // Last: it takes this file's only ComfyUI down.
  it("1a / 1e / 8a. ComfyUI Not Reachable: GET /health answers comfyui.reachable: false, and ok: false once a job waits for it", async () => {
    await world.fake.kill();
    const down = await waitFor(async () => {
      // The cron sweep wakes every host's object, which health-checks it at once: the host goes
      // offline after three failed checks whether or not its own alarm has fired yet (on a loaded
      // test machine the alarms of many test files compete).
      await sweep(env);
      const r = await call("GET", "/health", undefined, KEY);
      return r.json.comfyui.reachable === false ? r : undefined;
    });
    expect(down.status).toBe(200);
    // Our `ok` says whether queued work has a host: a job submitted now waits (it is not failed, as
    // theirs would be with COMFYUI_UNREACHABLE) and `ok` turns false, as their guide shows.
    const r = await call("POST", "/jobs", { workflowId: WORKFLOW, inputs: { prompt: "test" } }, KEY);
    expect(r.status, r.text).toBe(202);
    const health = await call("GET", "/health", undefined, KEY);
    expect(health.json).toMatchObject({ ok: false, comfyui: { reachable: false }, alert: { reason: "no_host_online" } });
  });
});
