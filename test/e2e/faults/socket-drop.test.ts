import { afterEach, describe, expect, it } from "vitest";
import { addHost, spawnFake, type Fake } from "../../helpers/fake";
import { call, slowGraph, submit, waitFor, waitForStatus, waitForTerminal } from "../../helpers/gateway";

let f: Fake | undefined;
afterEach(async () => {
  await f?.close();
  for (const h of (await call("GET", "/hosts")).json.items) await call("DELETE", `/hosts/${h.id}`);
});

describe("the WebSocket drops mid-job", () => {
  it("completes a prompt that finished while disconnected from history, without re-running it", async () => {
    f = await spawnFake();
    await addHost(f, 1);
    await f.faults({ dropSocket: "after:execution_start" });
    const job = await submit({ workflow: slowGraph(10, 50) });
    const done = await waitForTerminal(job.id, 30_000);
    expect(done).toMatchObject({ status: "succeeded", attempts: 1 });
    const stats = await f.stats();
    expect(stats.promptsReceived.filter((p: { prompt_id: string }) => p.prompt_id)).toHaveLength(1);
    // The gateway reconnected with a fresh clientId rather than reusing the dropped one (ComfyUI #16010).
    const ids = stats.wsConnections.map((c: { clientId: string }) => c.clientId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBeGreaterThanOrEqual(2);
  });

  it("re-dispatches a prompt that a restarted, empty host no longer knows", async () => {
    f = await spawnFake();
    await addHost(f, 1);
    const job = await submit({ workflow: slowGraph(40, 50) });
    await waitForStatus(job.id, "running");
    // The shared waitFor throws when its time is up (the local one it replaces gave up silently).
    await waitFor(async () => (await f!.stats()).promptsReceived.length > 0, { timeoutMs: 5_000, everyMs: 25 });
    await f.faults({ restart: true });
    const done = await waitForTerminal(job.id, 60_000);
    expect(done).toMatchObject({ status: "succeeded", attempts: 2 });
  });
});
