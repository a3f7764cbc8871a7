import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Webhook } from "standardwebhooks";
import { call, tinyGraph, waitFor } from "../helpers/gateway";
import { delivery, received, settledJob, spawnReceiver, type Hook, type Receiver } from "../helpers/receiver";
import { WEBHOOK_MAX_ATTEMPTS, WEBHOOK_SECRET, WEBHOOK_TIMEOUT_MS } from "../helpers/webhook-config";

/**
 * How deliveries behave, whatever ended the job: no host is registered here, so each job ends at
 * once by cancel and its `canceled` delivery is what the receiver scripts answer.
 */
let receiver: Receiver;
beforeAll(async () => {
  receiver = await spawnReceiver();
});
afterAll(() => receiver?.close());

/** A job that calls `hook`, canceled while queued: its terminal delivery starts at once. */
async function runJob(hook: Hook) {
  const r = await call("POST", "/jobs", { workflow: tinyGraph(), callbackUrl: hook.url });
  expect(r.status, r.text).toBe(202);
  expect((await call("POST", `/jobs/${r.json.id}/cancel`)).json.status).toBe("canceled");
  return r.json as { id: string };
}

const gapsOf = (reqs: { at: number }[]) => reqs.slice(1).map((r, i) => r.at - reqs[i]!.at);

describe("retries", () => {
  it("retries a 500 with growing gaps until the receiver answers 2xx", async () => {
    const hook = await receiver.hook([{ status: 500 }, { status: 500 }, { status: 500 }]);
    const job = await runJob(hook);
    const reqs = await received(hook, 4);
    const gaps = gapsOf(reqs);
    // Each wait is at least the backoff's lower bound (half of base × 2^(n-1), base 300 ms in tests), and they grow.
    gaps.forEach((g, i) => expect(g).toBeGreaterThanOrEqual(150 * 2 ** i - 20));
    expect(gaps[2]!).toBeGreaterThan(gaps[0]!);
    expect(new Set(reqs.map((r) => r.headers["webhook-id"]))).toEqual(new Set([`${job.id}:canceled`]));
    const now = await settledJob(job.id);
    expect(now.webhook).toMatchObject({ status: "succeeded", attempts: 4, lastStatusCode: 200 });
    expect((await delivery(`${job.id}:canceled`)).attemptLog.map((a: { statusCode: number }) => a.statusCode)).toEqual([500, 500, 500, 200]);
  });

  it("stops at a 400: the receiver refused the message", async () => {
    const hook = await receiver.hook([{ status: 400, body: "unknown job" }]);
    const job = await runJob(hook);
    const now = await settledJob(job.id);
    expect(now).toMatchObject({ status: "canceled", webhook: { status: "failed", attempts: 1, lastStatusCode: 400, error: { error: "WEBHOOK_DELIVERY_FAILED" } } });
    expect(await hook.requests()).toHaveLength(1);
  });

  it("treats a redirect as a failure and never follows it", async () => {
    const target = await receiver.hook();
    const hook = await receiver.hook([{ status: 302, headers: { location: target.url } }]);
    const job = await runJob(hook);
    const now = await settledJob(job.id);
    expect(now.webhook).toMatchObject({ status: "failed", attempts: 1, lastStatusCode: 302 });
    expect((await delivery(now.webhook.deliveryId)).lastError).toMatch(/redirects are not followed/);
    expect(await target.requests()).toHaveLength(0);
  });

  it("waits as long as a 429's Retry-After asks", async () => {
    const hook = await receiver.hook([{ status: 429, headers: { "retry-after": "2" } }]);
    await runJob(hook);
    const reqs = await received(hook, 2);
    // Far longer than the 150–300 ms backoff of a first retry: the receiver's 2 s won.
    expect(gapsOf(reqs)[0]).toBeGreaterThanOrEqual(1_950);
  });

  it("gives up on an attempt after WEBHOOK_TIMEOUT_MS and tries again", async () => {
    const hook = await receiver.hook([{ status: 200, delayMs: WEBHOOK_TIMEOUT_MS * 3 }]);
    const job = await runJob(hook);
    await received(hook, 2);
    const now = await settledJob(job.id);
    expect(now.webhook).toMatchObject({ status: "succeeded", attempts: 2 });
    const log = (await delivery(`${job.id}:canceled`)).attemptLog;
    expect(log[0]).toMatchObject({ attempt: 1, statusCode: null, error: `no response within ${WEBHOOK_TIMEOUT_MS} ms` });
    expect(log[0].latencyMs).toBeGreaterThanOrEqual(WEBHOOK_TIMEOUT_MS - 50);
    expect(log[1]).toMatchObject({ attempt: 2, statusCode: 200, error: null });
  });

  it("dead-letters after WEBHOOK_MAX_ATTEMPTS; the job keeps its own status and says WEBHOOK_DELIVERY_FAILED", async () => {
    const hook = await receiver.hook([], { status: 503 });
    const job = await runJob(hook);
    const now = await settledJob(job.id);
    expect(now.status).toBe("canceled");
    expect(now.error).toBeNull();
    expect(now.webhook).toMatchObject({
      deliveryId: `${job.id}:canceled`, status: "failed", attempts: WEBHOOK_MAX_ATTEMPTS, lastStatusCode: 503,
      error: { error: "WEBHOOK_DELIVERY_FAILED", message: expect.stringContaining("redeliver"), retryable: true },
    });
    expect(await hook.requests()).toHaveLength(WEBHOOK_MAX_ATTEMPTS);
    const d = await delivery(`${job.id}:canceled`);
    expect(d).toMatchObject({ status: "failed", attempts: WEBHOOK_MAX_ATTEMPTS, nextAttemptAt: null, lastError: expect.stringContaining(`gave up after ${WEBHOOK_MAX_ATTEMPTS} attempts`) });
    expect(d.attemptLog).toHaveLength(WEBHOOK_MAX_ATTEMPTS);
    expect(await call("GET", `/webhooks/deliveries?jobId=${job.id}&status=failed`)).toMatchObject({ status: 200, json: { count: 1, items: [{ id: `${job.id}:canceled` }] } });
  });
});

describe("redelivery", () => {
  it("sends a dead letter again as a new delivery with the same webhook-id, and the job's webhook follows it", async () => {
    const hook = await receiver.hook([{ status: 400 }]);
    const job = await runJob(hook);
    const first = await settledJob(job.id);
    expect(first).toMatchObject({ status: "canceled", webhook: { status: "failed" } });

    const r = await call("POST", `/webhooks/deliveries/${encodeURIComponent(first.webhook.deliveryId)}/redeliver`);
    expect(r.status).toBe(202);
    expect(r.json).toMatchObject({ id: expect.stringMatching(new RegExp(`^${job.id}:canceled~[0-9a-f]{8}$`)), webhookId: `${job.id}:canceled`, status: "pending", attempts: 0 });

    const reqs = await received(hook, 2);
    expect(reqs[1]!.headers["webhook-id"]).toBe(reqs[0]!.headers["webhook-id"]);
    expect(new Webhook(WEBHOOK_SECRET).verify(reqs[1]!.body, reqs[1]!.headers)).toMatchObject({ id: job.id, event: "canceled" });
    const after = await waitFor(async () => {
      const j = (await call("GET", `/jobs/${job.id}`)).json;
      return j.webhook.status === "succeeded" ? j : undefined;
    });
    expect(after.webhook).toMatchObject({ deliveryId: r.json.id, attempts: 1, lastStatusCode: 200, error: null });
    // The original keeps its own history.
    expect(await delivery(first.webhook.deliveryId)).toMatchObject({ status: "failed", attempts: 1, attemptLog: [{ statusCode: 400 }] });
    expect((await call("GET", `/webhooks/deliveries?jobId=${job.id}`)).json.count).toBe(2);
  });

  it("refuses to redeliver a delivery that is still being attempted", async () => {
    const hook = await receiver.hook([{ status: 200, delayMs: WEBHOOK_TIMEOUT_MS - 200 }]);
    const r = await call("POST", "/jobs", { workflow: tinyGraph(), callbackUrl: hook.url });
    await call("POST", `/jobs/${r.json.id}/cancel`);
    await received(hook, 1);
    const res = await call("POST", `/webhooks/deliveries/${encodeURIComponent(`${r.json.id}:canceled`)}/redeliver`);
    expect(res).toMatchObject({ status: 409, json: { error: "CONFLICT" } });
  });
});

describe("the delivery log", () => {
  it("records each attempt's time, status, latency, error and the first KiB of the answer", async () => {
    const hook = await receiver.hook([{ status: 500, body: "x".repeat(5000) }], { status: 204 });
    const job = await runJob(hook);
    await settledJob(job.id);
    const d = await delivery(`${job.id}:canceled`);
    expect(d).toMatchObject({ id: `${job.id}:canceled`, jobId: job.id, event: "canceled", url: hook.url, status: "succeeded", attempts: 2, lastStatusCode: 204, completedAt: expect.any(String) });
    expect(d.attemptLog).toHaveLength(2);
    expect(d.attemptLog[0]).toMatchObject({ attempt: 1, at: expect.any(String), statusCode: 500, error: "HTTP 500", latencyMs: expect.any(Number) });
    expect(d.attemptLog[0].responseSnippet).toBe("x".repeat(1024));
    expect(d.attemptLog[1]).toMatchObject({ attempt: 2, statusCode: 204, error: null, responseSnippet: null });
  });

  it("lists by job and by status, newest first, with a cursor", async () => {
    const hook = await receiver.hook();
    const a = await runJob(hook);
    const b = await runJob(hook);
    await Promise.all([settledJob(a.id), settledJob(b.id)]);
    const first = (await call("GET", "/webhooks/deliveries?status=succeeded&limit=1")).json;
    expect(first).toMatchObject({ count: 1, nextCursor: expect.any(String), items: [{ status: "succeeded" }] });
    const second = (await call("GET", `/webhooks/deliveries?status=succeeded&limit=1&cursor=${first.nextCursor}`)).json;
    expect(second.items[0].id).not.toBe(first.items[0].id);
    expect(Date.parse(second.items[0].createdAt)).toBeLessThanOrEqual(Date.parse(first.items[0].createdAt));
    // The two newest are these two jobs' deliveries, in whichever order their milliseconds give.
    expect(new Set([first.items[0].jobId, second.items[0].jobId])).toEqual(new Set([a.id, b.id]));
    expect((await call("GET", `/webhooks/deliveries?jobId=${a.id}`)).json).toMatchObject({ count: 1, items: [{ jobId: a.id }] });
    expect((await call("GET", `/webhooks/deliveries?jobId=${a.id}&status=failed`)).json).toMatchObject({ count: 0, items: [] });
  });

  it.each([
    { path: "/webhooks/deliveries/nope", status: 404, error: "NOT_FOUND" },
    { path: `/webhooks/deliveries/${crypto.randomUUID()}:canceled`, status: 404, error: "NOT_FOUND" },
    { path: `/webhooks/deliveries?status=lost`, status: 400, error: "VALIDATION_FAILED" },
    { path: `/webhooks/deliveries?jobId=not-a-uuid`, status: 400, error: "VALIDATION_FAILED" },
    { path: `/webhooks/deliveries?cursor=garbage`, status: 400, error: "VALIDATION_FAILED" },
  ])("GET $path → $status $error", async ({ path, status, error }) => {
    expect(await call("GET", path)).toMatchObject({ status, json: { error } });
  });

  it("answers 404 for redelivering an unknown delivery", async () => {
    expect(await call("POST", `/webhooks/deliveries/${crypto.randomUUID()}:failed/redeliver`)).toMatchObject({ status: 404, json: { error: "NOT_FOUND" } });
  });
});
