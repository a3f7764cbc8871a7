import { abortAllDurableObjects, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { claimedWithoutDispatch } from "../../helpers/claim";
import { addHost, ownFleet } from "../../helpers/fake";
import { call, slowGraph, submit, waitFor, waitForTerminal } from "../../helpers/gateway";

const fake = ownFleet({ beforeEach, afterAll });
const hostStub = (hostId: string) => env.HOSTS.get(env.HOSTS.idFromName(hostId));
const jobRow = (id: string) => env.DB.prepare("SELECT status, attempt_id, attempts, host_id FROM jobs WHERE id = ?").bind(id).first<{ status: string; attempt_id: string | null; attempts: number; host_id: string | null }>();


describe("a runtime kill between a prompt's end and D1 hearing of it (issue 12, item 1)", () => {
  it("records the outcome the host kept when it wakes, without running the prompt again", async () => {
    const f = await fake();
    const { host, job, claim: c } = await claimedWithoutDispatch(f);
    // The host's object had the outcome (its storage survives a kill) but D1 was never written.
    await runInDurableObject(hostStub(host.id), (_instance, state: DurableObjectState) => {
      state.storage.sql.exec(
        `INSERT INTO attempts (attempt_id, job_id, claim_json, phase, client_id, dispatched_at_ms, submitted_at_ms, started_at_ms, deadline_ms, last_event_at_ms, timeout_ms, outcome_json)
         VALUES (?, ?, ?, 'ended', 'gone', ?, ?, ?, ?, ?, 60000, ?)`,
        c.attemptId, c.jobId, JSON.stringify({ ...c, host: undefined }), Date.now(), Date.now(), Date.now() - 50, Date.now() + 60_000, Date.now(),
        JSON.stringify({ kind: "succeeded", outputs: [], executionMs: 50, startedAtMs: Date.now() - 50, progress: null }),
      );
    });
    expect((await jobRow(job.id))!.status).toBe("running");
    await abortAllDurableObjects();
    // It wakes (its alarm, or the sweep's check): the outcome reaches D1 and the attempt is let go.
    await hostStub(host.id).check({ ...c.host, url: f.url });
    expect(await jobRow(job.id)).toMatchObject({ status: "succeeded", attempts: 1, attempt_id: c.attemptId });
    expect(await hostStub(host.id).knows(c.attemptId)).toBe(false);
    expect((await f.stats()).promptsReceived).toHaveLength(0);
  });

  it("adopts a claim whose dispatch was lost at the host's next alarm, under the same attempt id, and runs it once", async () => {
    const f = await fake();
    const { host, job, claim: c } = await claimedWithoutDispatch(f);
    // The placer died after the claim: make the claim old enough to be counted lost.
    await env.DB.prepare("UPDATE jobs SET updated_at_ms = updated_at_ms - 6000 WHERE id = ?").bind(job.id).run();
    await abortAllDurableObjects();
    await hostStub(host.id).check({ ...c.host, url: f.url });
    const done = await waitForTerminal(job.id, 30_000);
    expect(done).toMatchObject({ status: "succeeded", attempts: 1 });
    const received = (await f.stats()).promptsReceived.map((p: { prompt_id: string }) => p.prompt_id);
    expect(received).toEqual([c.attemptId]);
  });
});

describe("a prompt stuck behind a hung one on its host (issue 12, item 2)", () => {
  it("is deleted from that ComfyUI's queue, confirmed gone, and run on a free host without losing an attempt", async () => {
    const a = await fake();
    const ha = await addHost(a, 2);
    await a.faults({ hang: 1 });
    const hung = await submit({ workflow: slowGraph(2, 20), timeoutMs: 120_000 });
    await waitFor(async () => (await call("GET", `/jobs/${hung.id}`)).json.startedAt !== null);
    const behind = await submit({ workflow: slowGraph(2, 20) });
    await waitFor(async () => (await a.stats()).promptsReceived.length === 2);
    expect((await call("GET", `/jobs/${behind.id}`)).json.host).toBe(ha.name);
    const b = await fake();
    const hb = await addHost(b, 2);
    // HOST_QUEUE_WAIT_MS is 30 s by default: the waiting prompt moves after that.
    const done = await waitForTerminal(behind.id, 60_000);
    expect(done).toMatchObject({ status: "succeeded", host: hb.name, attempts: 1 });
    const stats = await a.stats();
    const behindOnA = stats.promptsReceived[1].prompt_id;
    expect(stats.deletes.some((d: { ids: string[] }) => d.ids.includes(behindOnA))).toBe(true);
    expect(stats.executed.map((e: { prompt_id: string }) => e.prompt_id)).not.toContain(behindOnA);
    // Held back while its prompt is stuck: new work goes elsewhere.
    expect((await call("GET", `/hosts/${ha.id}`)).json.state).toBe("busy");
    const next = await submit({ workflow: slowGraph(2, 20) });
    expect((await waitForTerminal(next.id, 30_000)).host).toBe(hb.name);
    // Once the stuck prompt ends, the host takes work again.
    await call("POST", `/jobs/${hung.id}/cancel`);
    expect((await waitForTerminal(hung.id, 30_000)).status).toBe("canceled");
    expect((await call("GET", `/hosts/${ha.id}`)).json.state).toBe("online");
  }, 120_000);
});

describe("a frozen host that wakes (issue 12, item 3)", () => {
  it("has every prompt it no longer owns deleted or interrupted, so nothing runs twice", async () => {
    const a = await fake();
    const ha = await addHost(a, 2);
    const jobs = [await submit({ workflow: slowGraph(40, 50) }), await submit({ workflow: slowGraph(40, 50) })];
    await waitFor(async () => (await a.stats()).promptsReceived.length === 2);
    const onA = (await a.stats()).promptsReceived.map((p: { prompt_id: string }) => p.prompt_id);
    const b = await fake();
    await addHost(b, 2);
    await a.freeze();
    // Three failed health checks (5 s each) take A offline and its jobs elsewhere.
    await waitFor(async () => (await call("GET", `/hosts/${ha.id}`)).json.state === "offline", { timeoutMs: 40_000, everyMs: 250 });
    const done = await Promise.all(jobs.map((j) => waitForTerminal(j.id, 60_000)));
    expect(done.map((j) => [j.status, j.attempts])).toEqual([["succeeded", 2], ["succeeded", 2]]);
    await a.thaw();
    await waitFor(async () => (await call("GET", `/hosts/${ha.id}`)).json.state === "online", { timeoutMs: 30_000, everyMs: 250 });
    await waitFor(async () => {
      const st = await a.stats();
      const stopped = new Set([...st.deletes.flatMap((d: { ids: string[] }) => d.ids), ...st.interrupts.filter((i: { effective: boolean }) => i.effective).map((i: { prompt_id: string }) => i.prompt_id)]);
      return onA.every((id: string) => stopped.has(id));
    }, { timeoutMs: 20_000, everyMs: 250 });
    // Whatever A still ran of them ended interrupted, not as a full second run.
    const finishedOnA = (await a.stats()).executed.filter((e: { prompt_id: string; status: string }) => onA.includes(e.prompt_id) && e.status === "success");
    expect(finishedOnA).toEqual([]);
  }, 150_000);
});
