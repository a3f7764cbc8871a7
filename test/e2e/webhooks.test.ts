import { exports } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { hmacHex } from "../helpers/hash";
import { hostAndReceiver } from "../helpers/host-and-receiver";
import { call, slowGraph, tinyGraph, waitFor, waitForTerminal } from "../helpers/gateway";
import { delivery, received, settledJob, type Hook } from "../helpers/receiver";
import { WEBHOOK_MAX_ATTEMPTS, WEBHOOK_SECRET, WEBHOOK_SECRET_PREVIOUS, WEBHOOK_TIMEOUT_MS } from "../helpers/webhook-config";

const world = hostAndReceiver();

/** Submits a job that calls `hook` and waits for it to end. */
async function runJob(hook: Hook, extra: Record<string, unknown> = {}) {
  const r = await call("POST", "/jobs", { workflow: tinyGraph(Math.floor(Math.random() * 0xffffff)), callbackUrl: hook.url, ...extra });
  expect(r.status, r.text).toBe(202);
  return waitForTerminal(r.json.id);
}

const gapsOf = (reqs: { at: number }[]) => reqs.slice(1).map((r, i) => r.at - reqs[i]!.at);

describe("a job's webhook", () => {
  it("POSTs the job exactly as GET /jobs/:id shows it, with its event and working signed links", async () => {
    const hook = await world.receiver.hook();
    const job = await runJob(hook);
    expect(job.status).toBe("succeeded");
    const [req] = await received(hook, 1);
    const body = JSON.parse(req!.body);
    const now = await settledJob(job.id);

    expect(req!.method).toBe("POST");
    expect(req!.headers["content-type"]).toBe("application/json");
    expect(body.event).toBe("succeeded");
    const strip = ({ url: _u, urlExpiresAt: _e, ...o }: Record<string, unknown>) => o;
    // Signed links (outputs, the watch link) are signed afresh each time: compared apart from their signatures.
    const { event: _event, jobId: sentJobId, webhook: sentWebhook, outputs: sentOutputs, watchUrl: sentWatch, watchUrlExpiresAt: _se, ...sent } = body;
    const { webhook: _now, outputs: nowOutputs, watchUrl: nowWatch, watchUrlExpiresAt: _ne, ...shown } = now;
    expect(sentWatch.split("?")[0]).toBe(nowWatch.split("?")[0]);
    expect(sent).toEqual(shown);
    expect(sentJobId).toBe(job.id);
    expect(sentOutputs.map(strip)).toEqual(nowOutputs.map(strip));
    expect(sentWebhook).toMatchObject({ deliveryId: `${job.id}:succeeded`, status: "pending" });
    // Links in the body point at the origin the job was submitted to, and they download.
    expect(sentOutputs[0].url).toMatch(/^http:\/\/gw\.test\/files\/outputs\//);
    const file = await exports.default.fetch(new Request(sentOutputs[0].url));
    expect(file.status).toBe(200);
    expect(file.headers.get("content-type")).toBe("image/png");
    await file.arrayBuffer();

    expect(now.webhook).toEqual({ deliveryId: `${job.id}:succeeded`, status: "succeeded", attempts: 1, lastStatusCode: 200, error: null });
  });

  it("is signed with X-Signature and with Standard Webhooks, verifiable by the standardwebhooks package with either secret", async () => {
    const hook = await world.receiver.hook();
    const job = await runJob(hook);
    const [req] = await received(hook, 1);
    const { body, headers } = req!;

    // X-Signature: the lowercase hex HMAC-SHA256 of the raw body, keyed with WEBHOOK_SECRET as configured.
    expect(headers["x-signature"]).toBe(`sha256=${await hmacHex(WEBHOOK_SECRET, body)}`);
    expect(headers["x-signature"]).toMatch(/^sha256=[0-9a-f]{64}$/);

    // Standard Webhooks, with the receiver-side library. Two v1 signatures during the rotation.
    expect(headers["webhook-id"]).toBe(`${job.id}:succeeded`);
    expect(Number(headers["webhook-timestamp"])).toBeCloseTo(Date.now() / 1000, -2);
    expect(headers["webhook-signature"]!.split(" ").map((s) => s.split(",")[0])).toEqual(["v1", "v1"]);
    expect(new Webhook(WEBHOOK_SECRET).verify(body, headers)).toMatchObject({ id: job.id, event: "succeeded" });
    expect(new Webhook(WEBHOOK_SECRET_PREVIOUS).verify(body, headers)).toMatchObject({ id: job.id });
    expect(() => new Webhook(WEBHOOK_SECRET).verify(body.replace("succeeded", "failed"), headers)).toThrow();
  });

  it("delivers a failed job as `failed`, from the host that ran it", async () => {
    const hook = await world.receiver.hook();
    await world.fake.faults({ oom: 1 });
    const job = await runJob(hook);
    expect(job.status).toBe("failed");
    const [req] = await received(hook, 1);
    expect(JSON.parse(req!.body)).toMatchObject({ event: "failed", id: job.id, status: "failed", error: { error: "COMFYUI_OOM" } });
  });

  it("delivers `canceled` for a running job canceled on its host", async () => {
    const hook = await world.receiver.hook();
    const r = await call("POST", "/jobs", { workflow: slowGraph(40, 50), callbackUrl: hook.url });
    // Executing on the host (progress reported), so the cancel goes through the HostDO's interrupt.
    await waitFor(async () => ((await call("GET", `/jobs/${r.json.id}`)).json.progress ? true : undefined), { everyMs: 20 });
    expect((await call("POST", `/jobs/${r.json.id}/cancel`)).status).toBe(202);
    const job = await waitForTerminal(r.json.id);
    expect(job.status, JSON.stringify(job.error)).toBe("canceled");
    const [req] = await received(hook, 1);
    expect(JSON.parse(req!.body)).toMatchObject({ event: "canceled", id: job.id, status: "canceled" });
  });

  it("sends `started` and throttled `progress` only when asked for them, and the final event once", async () => {
    const quiet = await world.receiver.hook();
    await runJob(quiet, { workflow: slowGraph(6, 100) });
    const chatty = await world.receiver.hook();
    const job = await runJob(chatty, { workflow: slowGraph(6, 100), events: ["started", "progress"] });
    await settledJob(job.id);
    const events = (await chatty.requests()).map((r) => JSON.parse(r.body) as { event: string; status: string; progress: unknown });
    expect(events.filter((e) => e.event === "started")).toHaveLength(1);
    expect(events.find((e) => e.event === "started")).toMatchObject({ status: "running" });
    expect(events.filter((e) => e.event === "progress").length).toBeGreaterThanOrEqual(1);
    expect(events.filter((e) => e.event === "succeeded")).toHaveLength(1);
    expect(events.findIndex((e) => e.event === "started")).toBeLessThan(events.findIndex((e) => e.event === "succeeded"));
    expect((await quiet.requests()).map((r) => JSON.parse(r.body).event)).toEqual(["succeeded"]);
  });
});
