import { createExecutionContext, createMessageBatch, getQueueResult, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import worker from "../../src/index";
import { createApp } from "../../src/app";
import { sweep } from "../../src/scheduler/sweep";
import { cancelMove } from "../../src/jobs/moves";
import { db } from "../../src/db/client";
import { call, tinyGraph, waitFor } from "../helpers/gateway";
import { spawnReceiver, type Receiver } from "../helpers/receiver";
import { WEBHOOK_MAX_ATTEMPTS } from "../helpers/webhook-config";
import { runMessage } from "../../src/webhooks/consumer";

/** No host is registered in this file: jobs stay queued, so they end by cancel and by expiry. */
let receiver: Receiver;
beforeAll(async () => {
  receiver = await spawnReceiver();
});
afterAll(() => receiver?.close());

const jobCount = async () => (await env.DB.prepare("SELECT count(*) AS n FROM jobs").first<{ n: number }>())!.n;
const deliveriesOf = (jobId: string) =>
  env.DB.prepare("SELECT * FROM webhook_deliveries WHERE job_id = ? ORDER BY created_at_ms").bind(jobId).all<Record<string, unknown>>().then((r) => r.results);

async function queuedJob(callbackUrl: string, extra: Record<string, unknown> = {}) {
  const r = await call("POST", "/jobs", { workflow: tinyGraph(), callbackUrl, ...extra });
  expect(r.status, r.text).toBe(202);
  return r.json as { id: string; webhook: unknown };
}

describe("POST /jobs with a callbackUrl", () => {
  it("shows the webhook as waiting until the job ends", async () => {
    const hook = await receiver.hook();
    const job = await queuedJob(hook.url);
    expect(job.webhook).toEqual({ deliveryId: null, status: "waiting", attempts: 0, lastStatusCode: null, error: null });
    expect((await call("POST", "/jobs", { workflow: tinyGraph() })).json.webhook).toBeNull();
  });

  it.each([
    { name: "not a URL", body: { callbackUrl: "not a url" }, message: /callbackUrl|Callback URL/ },
    { name: "an ftp URL", body: { callbackUrl: "ftp://example.com/hook" }, message: /Callback URL must use http or https/ },
    { name: "credentials in the URL", body: { callbackUrl: "https://user:pw@example.com/hook" }, message: /username or password/ },
    { name: "a number", body: { callbackUrl: 42 }, message: /callbackUrl/ },
    { name: "an empty string", body: { callbackUrl: "" }, message: /callbackUrl/ },
    { name: "a URL over 2048 characters", body: { callbackUrl: `https://example.com/${"a".repeat(2100)}` }, message: /callbackUrl/ },
    { name: "events without a callbackUrl", body: { events: ["started"] }, message: /events/ },
    { name: "an unknown event", body: { callbackUrl: "https://example.com/h", events: ["finished"] }, message: /events/ },
    { name: "events as a string", body: { callbackUrl: "https://example.com/h", events: "started" }, message: /events/ },
  ])("refuses $name with 400 VALIDATION_FAILED and writes nothing", async ({ body, message }) => {
    const before = await jobCount();
    const r = await call("POST", "/jobs", { workflow: tinyGraph(), ...body });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ error: "VALIDATION_FAILED", message: expect.stringMatching(message), details: { issues: expect.arrayContaining([expect.objectContaining({ path: expect.stringMatching(/callbackUrl|events/) })]) } });
    expect(await jobCount()).toBe(before);
  });

  describe("with private URLs off and an allowlist (a deployment's configuration)", () => {
    // The suite binds ALLOW_PRIVATE_URLS=true for its 127.0.0.1 receiver; this env is production-like.
    const prod = { ...env, ALLOW_PRIVATE_URLS: "false", WEBHOOK_ALLOWED_DOMAINS: "*.example.com,hooks.partner.io" } as unknown as typeof env;
    const submit = async (callbackUrl: string) => {
      const ctx = createExecutionContext();
      const res = await createApp().request("http://gw.test/jobs", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ workflow: tinyGraph(), callbackUrl }) }, prod, ctx);
      await waitOnExecutionContext(ctx);
      return { status: res.status, json: (await res.json()) as any };
    };

    it.each([
      { url: "http://hooks.example.com/x", message: "Callback URL must use https" },
      { url: "https://127.0.0.1/x", message: 'Callback URL host "127.0.0.1" is a private, loopback, link-local or reserved address' },
      { url: "https://2130706433/x", message: 'Callback URL host "127.0.0.1" is a private, loopback, link-local or reserved address' },
      { url: "https://[::ffff:127.0.0.1]/x", message: 'Callback URL host "[::ffff:7f00:1]" is a private, loopback, link-local or reserved address' },
      { url: "https://169.254.169.254/latest/meta-data", message: 'Callback URL host "169.254.169.254" is a private, loopback, link-local or reserved address' },
      { url: "https://localhost./x", message: expect.stringContaining("local") },
      { url: "https://evil.com/x", message: 'Callback domain "evil.com" is not in the allowed domains list' },
      { url: "https://example.com/x", message: 'Callback domain "example.com" is not in the allowed domains list' },
    ])("refuses $url", async ({ url, message }) => {
      const before = await jobCount();
      const r = await submit(url);
      expect(r.status).toBe(400);
      expect(r.json).toMatchObject({ error: "VALIDATION_FAILED", message, details: { issues: [{ path: "callbackUrl", code: "invalid_callback_url" }] } });
      expect(await jobCount()).toBe(before);
    });

    it.each(["https://hooks.example.com/x", "https://a.b.example.com/x", "https://hooks.partner.io/x"])("accepts %s", async (url) => {
      expect((await submit(url)).status).toBe(202);
    });
  });
});

describe("terminal events outside a host", () => {
  it("delivers `canceled` when a queued job is canceled through the API", async () => {
    const hook = await receiver.hook();
    const job = await queuedJob(hook.url);
    expect((await call("POST", `/jobs/${job.id}/cancel`)).status).toBe(200);
    const [got] = await waitFor(async () => ((await hook.requests()).length ? hook.requests() : undefined));
    expect(JSON.parse(got!.body)).toMatchObject({ event: "canceled", id: job.id, status: "canceled" });
    const after = await waitFor(async () => {
      const j = (await call("GET", `/jobs/${job.id}`)).json;
      return j.webhook.status === "succeeded" ? j : undefined;
    });
    expect(after.webhook).toEqual({ deliveryId: `${job.id}:canceled`, status: "succeeded", attempts: 1, lastStatusCode: 200, error: null });
  });

  it("delivers `expired` when the sweep expires a job that waited too long", async () => {
    const hook = await receiver.hook();
    const job = await queuedJob(hook.url);
    // Make the job old rather than the clock new: the delivery is then due now, not in two hours.
    await env.DB.prepare("UPDATE jobs SET created_at_ms = created_at_ms - 7200000 WHERE id = ?").bind(job.id).run();
    expect((await sweep(env)).expired).toBeGreaterThanOrEqual(1);
    const [got] = await waitFor(async () => ((await hook.requests()).length ? hook.requests() : undefined));
    expect(JSON.parse(got!.body)).toMatchObject({ event: "expired", id: job.id, status: "expired", error: { error: "QUEUE_FULL" } });
  });

  it("writes one terminal delivery however many writers end the job, and sends it once however often the queue delivers it", async () => {
    const hook = await receiver.hook();
    const job = await queuedJob(hook.url);
    // Two writers race the job to its end: one wins the move, both run the outbox insert.
    const moved = await Promise.all([1, 2].map(() => cancelMove(env.DB, job.id, Date.now())));
    expect(moved.filter((m) => m.webhook !== null)).toHaveLength(1);
    expect(moved.map((m) => m.row?.status)).toEqual(["canceled", "canceled"]);
    expect(await deliveriesOf(job.id)).toHaveLength(1);
    // The same message, three batches at once, and twice within one batch.
    const msg = () => ({ id: crypto.randomUUID(), timestamp: new Date(), attempts: 1, body: { deliveryId: `${job.id}:canceled`, attempt: 1 } });
    const batches = [1, 2, 3].map(() => createMessageBatch("comfy-edge-webhooks", [msg(), msg()]));
    const ctxs = batches.map(() => createExecutionContext());
    await Promise.all(batches.map((b) => worker.queue(b, env)));
    for (const [i, b] of batches.entries()) expect((await getQueueResult(b, ctxs[i]!)).explicitAcks).toHaveLength(2);
    await waitFor(async () => (await deliveriesOf(job.id))[0]!.status === "succeeded");
    expect(await hook.requests()).toHaveLength(1);
    const [row] = await deliveriesOf(job.id);
    expect(row).toMatchObject({ id: `${job.id}:canceled`, attempts: 1, status: "succeeded" });
  });

  it("lets the sweep re-send a delivery whose queue message was lost", async () => {
    const hook = await receiver.hook();
    const job = await queuedJob(hook.url);
    // A job that ended while the queue was unavailable: the row is written, no message was sent.
    const now = Date.now();
    await env.DB.prepare("UPDATE jobs SET status = 'canceled', completed_at_ms = ? WHERE id = ?").bind(now, job.id).run();
    await env.DB.prepare(
      `INSERT INTO webhook_deliveries (id, job_id, owner, event, url, status, attempts, next_attempt_at_ms, created_at_ms, updated_at_ms)
       VALUES (?, ?, 'open:anonymous', 'canceled', ?, 'pending', 0, ?, ?, ?)`,
    ).bind(`${job.id}:canceled`, job.id, hook.url, now - 300_000, now - 300_000, now - 300_000).run();
    expect((await sweep(env)).webhooks).toBeGreaterThanOrEqual(1);
    const [got] = await waitFor(async () => ((await hook.requests()).length ? hook.requests() : undefined));
    expect(JSON.parse(got!.body)).toMatchObject({ event: "canceled", id: job.id });
  });
});

describe("the consumer", () => {
  const insertPending = async (jobId: string, url: string, over: { attempts: number; nextAttemptAtMs: number }) => {
    const now = Date.now();
    await env.DB.prepare("UPDATE jobs SET status = 'canceled', completed_at_ms = ? WHERE id = ?").bind(now, jobId).run();
    await env.DB.prepare(
      `INSERT INTO webhook_deliveries (id, job_id, owner, event, url, status, attempts, next_attempt_at_ms, created_at_ms, updated_at_ms)
       VALUES (?, ?, 'open:anonymous', 'canceled', ?, 'pending', ?, ?, ?, ?)`,
    ).bind(`${jobId}:canceled`, jobId, url, over.attempts, over.nextAttemptAtMs, now, now).run();
  };

  it("ends a delivery whose last attempt was lost mid-flight as failed, without sending again", async () => {
    const hook = await receiver.hook();
    const job = await queuedJob(hook.url);
    // The consumer of the last attempt died before recording it: the lease ran out long ago.
    await insertPending(job.id, hook.url, { attempts: WEBHOOK_MAX_ATTEMPTS, nextAttemptAtMs: Date.now() - 300_000 });
    await sweep(env);
    const row = await waitFor(async () => {
      const [r] = await deliveriesOf(job.id);
      return r?.status === "failed" ? r : undefined;
    });
    expect(row.last_error).toMatch(/lost before it could be recorded/);
    expect((await call("GET", `/jobs/${job.id}`)).json.webhook).toMatchObject({ status: "failed", error: { error: "WEBHOOK_DELIVERY_FAILED" } });
    expect(await hook.requests()).toHaveLength(0);
  });

  it("holds a message that arrives before its attempt is due, then sends it", async () => {
    const hook = await receiver.hook();
    const job = await queuedJob(hook.url);
    const due = Date.now() + 2_500;
    await insertPending(job.id, hook.url, { attempts: 0, nextAttemptAtMs: due });
    expect(await runMessage(env, { deliveryId: `${job.id}:canceled`, attempt: 1 })).toBe("later");
    expect(await hook.requests()).toHaveLength(0);
    const [req] = await waitFor(async () => ((await hook.requests()).length ? hook.requests() : undefined));
    expect(req!.at).toBeGreaterThanOrEqual(due - 50);
  });
});

describe("GET /health", () => {
  it("warns that ALLOW_PRIVATE_URLS is on", async () => {
    const r = await call("GET", "/health");
    expect(r.json.warnings).toEqual(expect.arrayContaining([expect.stringContaining("ALLOW_PRIVATE_URLS=true")]));
  });
});
