import runpodSdk from "runpod-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeComfy, type FakeComfyHandle } from "../../fakes/comfyui/index.ts";
import { startGateway } from "./gateway-process.ts";

/**
 * RunPod's JS client over real HTTP: `wrangler dev` on a port, a fake ComfyUI process as its host,
 * and the SDK given nothing but the base URL, as a RunPod user would change it.
 */
let gateway: { url: string; stop: () => Promise<void> };
let fake: FakeComfyHandle;
let hostId: string;
beforeAll(async () => {
  [gateway, fake] = await Promise.all([startGateway(), startFakeComfy({ stepMs: 5, stderr: "ignore" })]);
  const r = await fetch(`${gateway.url}/hosts`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "http-fake", url: fake.url, slots: 2 }) });
  expect(r.status).toBe(201);
  hostId = ((await r.json()) as { id: string }).id;
});
afterAll(async () => {
  await Promise.all([gateway?.stop(), fake?.close()]);
});

const workflow = (seed: number) => ({
  "1": { class_type: "EmptyImage", inputs: { width: 64, height: 64, batch_size: 1, color: seed } },
  "2": { class_type: "SaveImage", inputs: { images: ["1", 0], filename_prefix: `rp${seed}` } },
});
const endpoint = () => runpodSdk("rpa_any_key", { baseUrl: `${gateway.url}/runpod/v2` }).endpoint(`http-${Math.random().toString(36).slice(2, 8)}`)!;
const isPng = (b64: string) => Buffer.from(b64, "base64").subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));

describe("runpod-sdk against a running gateway", () => {
  it("run, then status until COMPLETED", async () => {
    const ep = endpoint();
    const { id } = await ep.run({ input: { workflow: workflow(1) } });
    let s: any;
    for (let i = 0; i < 200 && !s?.completed; i++) s = await ep.statusSync(id, 5_000);
    expect(s).toMatchObject({ id, status: "COMPLETED", delayTime: expect.any(Number), executionTime: expect.any(Number) });
    expect(s.output.images).toHaveLength(1);
    expect(s.output.images[0].type).toBe("base64");
    expect(isPng(s.output.images[0].data)).toBe(true);
  });

  it("runSync, stream and cancel of a finished job", async () => {
    const ep = endpoint();
    const done: any = await ep.runSync({ input: { workflow: workflow(2) } }, 60_000);
    expect(done).toMatchObject({ status: "COMPLETED", succeeded: true });
    const items: any[] = [];
    for await (const item of ep.stream(done.id)) items.push(item);
    expect(items).toEqual([{ output: done.output }]);
    expect(await ep.cancel(done.id)).toEqual({ id: done.id, status: "COMPLETED" });
  });

  it("health and purgeQueue", async () => {
    const ep = endpoint();
    await fetch(`${gateway.url}/hosts/${hostId}/drain`, { method: "POST" });
    try {
      const queued = await ep.run({ input: { workflow: workflow(3) } });
      expect(queued.status).toBe("IN_QUEUE");
      expect((await ep.health()).jobs).toMatchObject({ inQueue: 1 });
      expect(await ep.purgeQueue()).toEqual({ removed: 1, status: "completed" });
      expect(await ep.status(queued.id)).toMatchObject({ status: "CANCELLED" });
    } finally {
      await fetch(`${gateway.url}/hosts/${hostId}/resume`, { method: "POST" });
    }
  });
});
