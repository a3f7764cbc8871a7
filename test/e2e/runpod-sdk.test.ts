import { env } from "cloudflare:workers";
import runpodSdk from "runpod-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addHost, spawnFake, type Fake } from "../helpers/fake";
import { call, slowGraph, tinyGraph, waitFor, waitForStatus, waitForTerminal } from "../helpers/gateway";
import { GATEWAY_ORIGIN, routeGatewayFetch } from "../helpers/gateway-fetch";

/**
 * RunPod's own JavaScript client (runpod-sdk), pointed at the gateway's /runpod/v2 as a RunPod user
 * would, against a fake ComfyUI host. Open mode: any key is let in (the auth tests use real keys).
 */
let fake: Fake;
let host: { id: string };
let unroute: () => void;
beforeAll(async () => {
  unroute = routeGatewayFetch();
  fake = await spawnFake(["--step-ms", "5"]);
  host = await addHost(fake, 2);
});
afterAll(async () => {
  unroute?.();
  await fake?.close();
});

const endpoint = (id = `ep-${crypto.randomUUID().slice(0, 8)}`) => runpodSdk("rpa_any_key", { baseUrl: `${GATEWAY_ORIGIN}/runpod/v2` }).endpoint(id)!;
const seed = () => Math.floor(Math.random() * 0xffffff);
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const bytesOf = (b64: string) => Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));

/** What R2 holds for the job's one output: the source of truth the base64 must match. */
async function storedBytes(jobId: string) {
  const job = (await call("GET", `/jobs/${jobId}`)).json;
  const obj = await env.OUTPUTS.get(`outputs/${jobId}/${job.outputs[0].name}`);
  return new Uint8Array(await obj!.arrayBuffer());
}

describe("runpod-sdk against /runpod/v2", () => {
  it("run, then status until COMPLETED: the PNG comes back as base64, as worker-comfyui returns it", async () => {
    const ep = endpoint("my-endpoint-1");
    const started = await ep.run({ input: { workflow: tinyGraph(seed()) } });
    expect(started).toEqual({ id: expect.any(String), status: expect.stringMatching(/^(IN_QUEUE|IN_PROGRESS)$/) });

    const done: any = await waitFor(async () => {
      const s: any = await ep.status(started.id);
      return s.completed ? s : undefined;
    }, { everyMs: 50 });
    expect(done).toMatchObject({ id: started.id, status: "COMPLETED", succeeded: true, delayTime: expect.any(Number), executionTime: expect.any(Number) });
    expect(done.output.images).toEqual([{ filename: expect.stringMatching(/\.png$/), type: "base64", data: expect.any(String) }]);
    const png = bytesOf(done.output.images[0].data);
    expect([...png.slice(0, 8)]).toEqual(PNG_SIGNATURE);
    expect(png).toEqual(await storedBytes(started.id));
    const row = await env.DB.prepare("SELECT endpoint_id, facade FROM jobs WHERE id = ?").bind(started.id).first();
    expect(row).toEqual({ endpoint_id: "my-endpoint-1", facade: "runpod" });
  });

  it("runSync answers with the finished job", async () => {
    const done: any = await endpoint().runSync({ input: { workflow: tinyGraph(seed()) } }, 30_000);
    expect(done).toMatchObject({ status: "COMPLETED", completed: true, succeeded: true });
    expect(done.output.images[0]).toMatchObject({ type: "base64" });
  });

  it("gives signed links (type s3_url) when the request carries RunPod's s3Config", async () => {
    const done: any = await endpoint().runSync({ input: { workflow: tinyGraph(seed()) }, s3Config: { accessId: "a", accessSecret: "b", bucketName: "theirs", endpointUrl: "https://s3.example.com" } }, 30_000);
    expect(done.output.images).toEqual([{ filename: expect.any(String), type: "s3_url", data: expect.stringContaining(`${GATEWAY_ORIGIN}/files/outputs/${done.id}/`) }]);
    const file = await call("GET", new URL(done.output.images[0].data).pathname + new URL(done.output.images[0].data).search);
    expect(file.status).toBe(200);
  });

  it("cancels a running job: CANCELLED at once, and the host stops it", async () => {
    const ep = endpoint();
    const { id } = await ep.run({ input: { workflow: slowGraph(400, 50) } });
    await waitForStatus(id, "running");
    expect(await ep.cancel(id)).toEqual({ id, status: "CANCELLED" });
    expect((await waitForTerminal(id)).status).toBe("canceled");
    expect(await ep.status(id)).toMatchObject({ id, status: "CANCELLED", completed: true, succeeded: false });
  });

  it("streams the job's final output", async () => {
    const ep = endpoint();
    const { id } = await ep.run({ input: { workflow: tinyGraph(seed()) } });
    const items: any[] = [];
    for await (const item of ep.stream(id)) items.push(item);
    expect(items).toEqual([{ output: { images: [expect.objectContaining({ type: "base64" })] } }]);
  });

  it("reports FAILED with our error code in RunPod's error field", async () => {
    await fake.faults({ oom: 1 });
    const done: any = await endpoint().runSync({ input: { workflow: tinyGraph(seed()) } }, 30_000);
    expect(done).toMatchObject({ status: "FAILED", completed: true, succeeded: false, error: expect.stringMatching(/^COMFYUI_OOM: /) });
  });

  it("health counts the endpoint's jobs by state, and purgeQueue cancels its queued ones", async () => {
    const ep = endpoint();
    expect(await ep.runSync({ input: { workflow: tinyGraph(seed()) } }, 30_000)).toMatchObject({ status: "COMPLETED" });
    // Drained, the host takes no new work: the next two wait in the queue.
    expect((await call("POST", `/hosts/${host.id}/drain`)).status).toBe(200);
    try {
      const queued = [await ep.run({ input: { workflow: tinyGraph(seed()) } }), await ep.run({ input: { workflow: tinyGraph(seed()) } })];
      expect(queued.map((q) => q.status)).toEqual(["IN_QUEUE", "IN_QUEUE"]);
      const health = await ep.health();
      expect(health.jobs).toEqual({ completed: 1, failed: 0, inProgress: 0, inQueue: 2, retried: 0 });
      expect(health.workers).toMatchObject({ idle: expect.any(Number), running: expect.any(Number) });

      expect(await ep.purgeQueue()).toEqual({ removed: 2, status: "completed" });
      for (const q of queued) expect(await ep.status(q.id)).toMatchObject({ status: "CANCELLED" });
      expect((await ep.health()).jobs).toMatchObject({ inQueue: 0, completed: 1 });
    } finally {
      await call("POST", `/hosts/${host.id}/resume`);
    }
  });
});
