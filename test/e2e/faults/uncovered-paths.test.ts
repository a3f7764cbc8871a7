import { env } from "cloudflare:workers";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { claimedWithoutDispatch } from "../../helpers/claim";
import { sweep } from "../../../src/scheduler/sweep";
import { addHost, ownFleet } from "../../helpers/fake";
import { call, slowGraph, submit, tinyGraph, waitFor, waitForTerminal } from "../../helpers/gateway";

// Paths no test reached before (issue 12, item 12): a failed output copy, a deadline that passes
// before the prompt starts, and the sweep's orphan step.
const fake = ownFleet({ beforeEach, afterAll });

describe("an output copy that fails half way (STORAGE_ERROR)", () => {
  it("goes back to the queue as STORAGE_ERROR and succeeds on the next attempt with the whole file", async () => {
    const f = await fake();
    await addHost(f, 2);
    await f.faults({ viewTruncate: 1 });
    const done = await waitForTerminal((await submit({ workflow: tinyGraph(41) })).id, 30_000);
    expect(done).toMatchObject({ status: "succeeded", attempts: 2 });
    // The failed copy left nothing half-written under the job's outputs: the one output is whole.
    const out = done.outputs[0];
    const stored = await env.OUTPUTS.get(`outputs/${done.id}/${out.name}`);
    const theirs = (await f.fileSha256("output", out.name)) as { size: number };
    expect((await stored!.arrayBuffer()).byteLength).toBe(theirs.size);
    // Two prompts reached ComfyUI: the copy that failed belonged to the first attempt.
    expect((await f.stats()).promptsReceived).toHaveLength(2);
  });

  it("fails the job STORAGE_ERROR, retryable, once its attempts are used up", async () => {
    const f = await fake();
    await addHost(f, 2);
    await f.faults({ viewTruncate: 3 });
    const done = await waitForTerminal((await submit({ workflow: tinyGraph(42) })).id, 30_000);
    expect(done).toMatchObject({ status: "failed", attempts: 3, error: { error: "STORAGE_ERROR", retryable: true } });
    expect(done.error.message).toContain("gave up after 3 attempts");
  });
});

describe("a deadline that passes before the prompt starts", () => {
  it("takes the waiting prompt off ComfyUI's queue and fails COMFYUI_TIMEOUT 'without starting'", async () => {
    const f = await fake();
    await addHost(f, 2);
    await f.faults({ hang: 1 });
    const hung = await submit({ workflow: slowGraph(2, 20), timeoutMs: 120_000 });
    await waitFor(async () => (await call("GET", `/jobs/${hung.id}`)).json.startedAt !== null);
    // T = 1 s: before it starts its deadline is dispatch + 2 T.
    const waiting = await submit({ workflow: slowGraph(2, 20), timeoutMs: 1_000 });
    const done = await waitForTerminal(waiting.id, 30_000);
    expect(done).toMatchObject({ status: "failed", startedAt: null, error: { error: "COMFYUI_TIMEOUT", retryable: false } });
    expect(done.error.message).toContain("without starting");
    const stats = await f.stats();
    const attempt = stats.promptsReceived[1].prompt_id;
    expect(stats.deletes.some((d: { ids: string[] }) => d.ids.includes(attempt))).toBe(true);
    expect(stats.executed.map((e: { prompt_id: string }) => e.prompt_id)).not.toContain(attempt);
    await call("POST", `/jobs/${hung.id}/cancel`);
    expect((await waitForTerminal(hung.id, 30_000)).status).toBe("canceled");
  });
});

describe("the sweep's orphan step", () => {
  it("re-queues a job claimed for a host that cannot take it (its object does not hold the attempt) after 120 s", async () => {
    const f = await fake();
    const { host, job } = await claimedWithoutDispatch(f, 2);
    // The host goes away before its next tick could adopt the claim: no object ever holds it.
    await call("POST", `/hosts/${host.id}/drain`);
    await f.kill();
    const later = Date.now() + 121_000;
    const result = await sweep(env, later);
    expect(result.orphans).toBeGreaterThanOrEqual(1);
    const row = await env.DB.prepare("SELECT status, attempt_id, attempts, error_json FROM jobs WHERE id = ?").bind(job.id).first<{ status: string; attempt_id: string | null; attempts: number; error_json: string }>();
    expect(row).toMatchObject({ status: "queued", attempt_id: null, attempts: 1 });
    expect(JSON.parse(row!.error_json)).toMatchObject({ error: "COMFYUI_UNREACHABLE", message: "The job's host never took it" });
    // And it runs on a host that can take it.
    const g = await fake();
    await addHost(g, 2);
    expect(await waitForTerminal(job.id, 30_000)).toMatchObject({ status: "succeeded", attempts: 2 });
  }, 60_000);
});
