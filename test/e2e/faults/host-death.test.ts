import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { addHost, spawnFake, type Fake } from "../../helpers/fake";
import { call, slowGraph, submit, waitFor, waitForStatus, waitForTerminal } from "../../helpers/gateway";

const fakes: Fake[] = [];
const fake = async (args: string[] = []) => {
  const f = await spawnFake(args);
  fakes.push(f);
  return f;
};
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
  for (const h of (await call("GET", "/hosts")).json.items) await call("POST", `/hosts/${h.id}/drain`);
});

describe("a host dies", () => {
  it("goes offline while idle, from its own alarm, before any job is placed on it", async () => {
    const a = await fake();
    const ha = await addHost(a, 1);
    const stub = env.HOSTS.get(env.HOSTS.idFromName(ha.id));
    await waitFor(async () => (await call("GET", `/hosts/${ha.id}`)).json.lastSeenAt !== null, { timeoutMs: 10_000, everyMs: 50 });
    await a.kill();
    // The idle check is 30 s apart; fire the alarm instead of waiting (three failed checks mark it offline).
    for (let i = 0; i < 3; i++) expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await call("GET", `/hosts/${ha.id}`)).json).toMatchObject({ state: "offline", lastError: expect.any(String) });
    await a.start();
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await call("GET", `/hosts/${ha.id}`)).json.state).toBe("online");
  });


  it("re-runs its job on another host, attempts + 1", async () => {
    const a = await fake();
    const b = await fake();
    const ha = await addHost(a, 1);
    const job = await submit({ workflow: slowGraph(40, 50) });
    await waitForStatus(job.id, "running");
    expect((await call("GET", `/jobs/${job.id}`)).json.host).toBe(ha.name);
    const hb = await addHost(b, 1);
    await a.kill();

    const done = await waitForTerminal(job.id, 60_000);
    expect(done).toMatchObject({ status: "succeeded", attempts: 2, host: hb.name });
    expect((await b.stats()).promptsReceived).toHaveLength(1);
    const hostA = (await call("GET", `/hosts/${ha.id}`)).json;
    expect(hostA).toMatchObject({ state: "offline", lastError: expect.any(String) });
  });

  it("gives up after MAX_ATTEMPTS deaths with COMFYUI_UNREACHABLE recorded as retryable", async () => {
    const a = await fake();
    await addHost(a, 1);
    const job = await submit({ workflow: slowGraph(400, 25) });
    for (let attempt = 1; attempt <= 3; attempt++) {
      await waitFor(async () => {
        const j = (await call("GET", `/jobs/${job.id}`)).json;
        return j.status === "running" && j.attempts === attempt;
      }, { timeoutMs: 30_000, everyMs: 50 });
      await a.kill();
      if (attempt < 3) {
        await waitForStatus(job.id, "queued");
        await a.start();
      }
    }
    const done = await waitForTerminal(job.id, 60_000);
    expect(done).toMatchObject({ status: "failed", attempts: 3, error: { error: "COMFYUI_UNREACHABLE", retryable: true } });
    expect(done.error.message).toContain("gave up after 3 attempts");
  }, 120_000);
});
