import { createMessageBatch, getQueueResult, createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import worker from "../../../src/index";
import { afterAll, describe, expect, it } from "vitest";
import { addHost, spawnFake, type Fake } from "../../helpers/fake";
import { call, slowGraph, submit, waitForTerminal } from "../../helpers/gateway";
import { placeQueued } from "../../../src/scheduler/place";
import { claimedWithoutDispatch } from "../../helpers/claim";

const fakes: Fake[] = [];
afterAll(() => Promise.all(fakes.map((f) => f.close())));
async function ownFake() {
  const f = await spawnFake();
  fakes.push(f);
  return f;
}

describe("the queue delivers a message twice", () => {
  it("runs the job once", async () => {
    const job = await submit({ workflow: slowGraph(10, 20) });
    const f = await ownFake();
    const host = await addHost(f, 2);
    const message = { id: crypto.randomUUID(), timestamp: new Date(), attempts: 1, body: { jobId: job.id } };
    const batches = [1, 2, 3].map(() => createMessageBatch("comfy-edge-jobs", [message]));
    // The same message, three times, at once, while placement also runs directly.
    const ctxs = batches.map(() => createExecutionContext());
    await Promise.all([...batches.map((b, i) => worker.queue(b, env)), placeQueued(env), placeQueued(env)]);
    // Every delivery is acknowledged as a whole (none retried): the duplicates were absorbed, not bounced.
    for (const [i, b] of batches.entries()) expect(await getQueueResult(b, ctxs[i]!)).toMatchObject({ outcome: "ok", ackAll: true, retryBatch: { retry: false }, retryMessages: [] });

    const done = await waitForTerminal(job.id);
    expect(done).toMatchObject({ status: "succeeded", attempts: 1, host: host.name });
    const attempt = (await env.DB.prepare("SELECT attempt_id FROM jobs WHERE id = ?").bind(job.id).first<{ attempt_id: string }>())!.attempt_id;
    const stats = await f.stats();
    expect(stats.promptsReceived.filter((p: { prompt_id: string }) => p.prompt_id === attempt)).toHaveLength(1);
    expect(stats.promptsReceived).toHaveLength(1);
  });

  it("ignores a second dispatch of the same attempt to the host", async () => {
    for (const h of (await call("GET", "/hosts")).json.items) await call("POST", `/hosts/${h.id}/drain`);
    const fake = await ownFake();
    await addHost(fake, 2);
    const job = await submit({ workflow: slowGraph(5, 20) });
    const done = await waitForTerminal(job.id);
    expect(done.status).toBe("succeeded");
    const row = (await env.DB.prepare("SELECT attempt_id, host_id, graph_json FROM jobs WHERE id = ?").bind(job.id).first<{ attempt_id: string; host_id: string; graph_json: string }>())!;
    const hostRow = (await call("GET", `/hosts/${row.host_id}`)).json;
    const before = (await fake.stats()).promptsReceived.length;
    const stub = env.HOSTS.get(env.HOSTS.idFromName(row.host_id));
    // A late duplicate after the job finished: the job row is terminal, so nothing may run again.
    await stub.dispatch({
      jobId: job.id, owner: "anonymous", attemptId: row.attempt_id, attempts: 1, graphJson: row.graph_json, timeoutMs: null, includePreviews: false, inputFilesJson: null, comfyKeyEnc: null, events: [], watched: false,
      host: { id: row.host_id, name: hostRow.name, url: fake.url, headers: {}, slots: 2 },
    });
    // dispatch answers once the attempt is stored (or refused): a refused one was never stored, so it cannot be submitted later.
    expect(await stub.knows(row.attempt_id)).toBe(false);
    expect((await call("GET", `/jobs/${job.id}`)).json.status).toBe("succeeded");
    expect((await fake.stats()).promptsReceived.length).toBe(before);
  });
});

describe("a cancel that overtakes its job's dispatch", () => {
  it("ends the job canceled when the dispatch arrives, and runs nothing", async () => {
    for (const h of (await call("GET", "/hosts")).json.items) await call("POST", `/hosts/${h.id}/drain`);
    const fake = await spawnFake();
    try {
      const { host, job, claim: claimed } = await claimedWithoutDispatch(fake, 5);
      const canceling = await call("POST", `/jobs/${job.id}/cancel`);
      expect(canceling.json.status).toBe("canceling");
      await new Promise((r) => setTimeout(r, 200));
      const stub = env.HOSTS.get(env.HOSTS.idFromName(host.id));
      await stub.dispatch({ ...claimed, host: { ...claimed.host, url: fake.url } });
      expect((await waitForTerminal(job.id)).status).toBe("canceled");
      expect((await fake.stats()).promptsReceived).toHaveLength(0);
    } finally {
      await fake.close();
    }
  });
});
