import { afterAll, describe, expect, it } from "vitest";
import { addHost, spawnFake, type Fake } from "../../helpers/fake";
import { call, slowGraph, submit, waitForTerminal } from "../../helpers/gateway";

let f: Fake | undefined;
afterAll(() => f?.close());

describe("a job that runs longer than any client timeout (issue 13, part 1)", () => {
  it("keeps its progress moving over the one socket it was submitted on", async () => {
    f = await spawnFake();
    await addHost(f, 1);
    // 20 steps of 1 s: past the 15 s that used to abort the socket along with its handshake.
    const job = await submit({ workflow: slowGraph(20, 1_000) });
    const seen: number[] = [];
    for (let i = 0; i < 30; i++) {
      const j = (await call("GET", `/jobs/${job.id}`)).json;
      if (j.status !== "running") break;
      if (j.progress) seen.push(j.progress.value);
      await new Promise((r) => setTimeout(r, 1_000));
    }
    const done = await waitForTerminal(job.id, 30_000);
    expect(done.status).toBe("succeeded");
    // Progress came from socket events (the fake sends them to the submitting clientId only) and
    // kept rising past the 15 s mark; a frozen socket would leave it flat.
    expect(seen.length).toBeGreaterThanOrEqual(15);
    expect(seen.at(-1)!).toBeGreaterThanOrEqual(17);
    expect(seen.every((v, i) => i === 0 || v >= seen[i - 1]!)).toBe(true);
    const stats = await f.stats();
    expect(stats.wsConnections).toHaveLength(1);
    expect(stats.wsConnections[0].closedAt).toBeNull();
  }, 60_000);
});
