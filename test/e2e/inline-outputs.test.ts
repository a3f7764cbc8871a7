import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { hmacHex } from "../helpers/hash";
import { hostAndReceiver } from "../helpers/host-and-receiver";
import { call, tinyGraph, waitForTerminal } from "../helpers/gateway";
import { received } from "../helpers/receiver";
import { WEBHOOK_SECRET } from "../helpers/webhook-config";

/** Outputs inline end to end: a real run on a fake ComfyUI, the bytes read back from R2 into the job and its webhook. */
const world = hostAndReceiver();

const seed = () => Math.floor(Math.random() * 0xffffff);
const stored = async (jobId: string, name: string) => new Uint8Array(await (await env.OUTPUTS.get(`outputs/${jobId}/${name}`))!.arrayBuffer());
const decoded = (b64: string) => Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));

describe("a job that asks for its outputs inline", () => {
  it("carries the output's R2 bytes as base64 in the long-poll answer and in GET /jobs/:id", async () => {
    const r = await call("POST", "/jobs", { workflow: tinyGraph(seed()), outputs: { inline: true } });
    expect(r.status, r.text).toBe(202);
    const polled = await waitForTerminal(r.json.id);
    expect(polled.status).toBe("succeeded");
    const out = polled.outputs[0];
    expect(out).toMatchObject({ kind: "image", url: expect.any(String), base64: expect.any(String) });
    expect(decoded(out.base64)).toEqual(await stored(polled.id, out.name));
    expect((await call("GET", `/jobs/${polled.id}`)).json.outputs[0].base64).toBe(out.base64);
  });

  it("keeps links only for a job that did not ask", async () => {
    const job = await waitForTerminal((await call("POST", "/jobs", { workflow: tinyGraph(seed()) })).json.id);
    expect(job.outputs[0]).not.toHaveProperty("base64");
  });

  it("carries the bytes in the terminal webhook too", async () => {
    const hook = await world.receiver.hook();
    const r = await call("POST", "/jobs", { workflow: tinyGraph(seed()), outputs: { inline: true }, callbackUrl: hook.url });
    const job = await waitForTerminal(r.json.id);
    const [req] = await received(hook, 1);
    const body = JSON.parse(req!.body);
    expect(body).toMatchObject({ event: "succeeded", id: job.id });
    expect(decoded(body.outputs[0].base64)).toEqual(await stored(job.id, job.outputs[0].name));
  });
});

describe("a RunPod job's webhook", () => {
  it("gets RunPod's payload, signed as all our webhooks are", async () => {
    const hook = await world.receiver.hook();
    const r = await call("POST", "/runpod/v2/hooked-ep/run", { input: { workflow: tinyGraph(seed()) }, webhook: hook.url });
    expect(r.status, r.text).toBe(200);
    const job = await waitForTerminal(r.json.id);
    const [req] = await received(hook, 1);
    const body = JSON.parse(req!.body);
    expect(body).toEqual({
      id: job.id, status: "COMPLETED", delayTime: expect.any(Number), executionTime: expect.any(Number),
      output: { images: [{ filename: job.outputs[0].name, type: "base64", data: expect.any(String) }] },
    });
    expect(decoded(body.output.images[0].data)).toEqual(await stored(job.id, job.outputs[0].name));
    expect(req!.headers["x-signature"]).toBe(`sha256=${await hmacHex(WEBHOOK_SECRET, req!.body)}`);
    expect(() => new Webhook(WEBHOOK_SECRET).verify(req!.body, req!.headers)).not.toThrow();
  });
});
