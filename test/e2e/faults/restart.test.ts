import { abortAllDurableObjects } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, describe, expect, it } from "vitest";
import { sweep } from "../../../src/scheduler/sweep";
import { addHost, spawnFake, type Fake } from "../../helpers/fake";
import { slowGraph, submit, waitFor, waitForTerminal } from "../../helpers/gateway";

let f: Fake | undefined;
afterAll(() => f?.close());

describe("the runtime restarts with jobs queued and running", () => {
  it("brings every job to a terminal state, each prompt run once", async () => {
    f = await spawnFake();
    await addHost(f, 2);
    const jobs = [];
    for (let i = 0; i < 5; i++) jobs.push(await submit({ workflow: slowGraph(12, 40) }));
    await waitFor(async () => (await f!.stats()).promptsReceived.length >= 2);

    // Restart every Durable Object: the HostDO's socket and memory go; its storage and alarm stay.
    await abortAllDurableObjects();
    // And lose the queue's wake-ups: the sweep must find the queued jobs from D1 alone.
    await sweep(env, Date.now() + 5 * 60_000);

    const done = await Promise.all(jobs.map((j) => waitForTerminal(j.id, 60_000)));
    expect(done.map((j) => j.status)).toEqual(Array(5).fill("succeeded"));
    expect(done.every((j) => j.attempts === 1)).toBe(true);
    const received = (await f.stats()).promptsReceived.map((p: { prompt_id: string }) => p.prompt_id);
    expect(received).toHaveLength(5);
    expect(new Set(received).size).toBe(5);
  });
});
