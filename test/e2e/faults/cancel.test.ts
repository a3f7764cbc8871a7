import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addHost, spawnFake, type Fake } from "../../helpers/fake";
import { call, slowGraph, submit, waitFor, waitForStatus, waitForTerminal } from "../../helpers/gateway";

let f: Fake;
beforeAll(async () => {
  f = await spawnFake();
  await addHost(f, 2);
});
afterAll(() => f?.close());

const attemptOf = async (jobId: string) =>
  env.DB.prepare("SELECT attempt_id FROM jobs WHERE id = ?").bind(jobId).first<{ attempt_id: string }>().then((r) => r!.attempt_id);

describe("cancel", () => {
  it("deletes a job waiting in ComfyUI's queue without touching the running one", async () => {
    const running = await submit({ workflow: slowGraph(30, 50) });
    const waiting = await submit({ workflow: slowGraph(30, 50) });
    await waitForStatus(running.id, "running");
    await waitForStatus(waiting.id, "running");
    const waitingAttempt = await attemptOf(waiting.id);
    await waitFor(async () => (await f.stats()).promptsReceived.some((p: { prompt_id: string }) => p.prompt_id === waitingAttempt));

    const r = await call("POST", `/jobs/${waiting.id}/cancel`);
    expect([200, 202]).toContain(r.status);
    expect((await waitForTerminal(waiting.id)).status).toBe("canceled");
    expect((await f.stats()).deletes.some((d: { ids: string[] }) => d.ids.includes(waitingAttempt))).toBe(true);

    const first = await waitForTerminal(running.id);
    expect(first.status).toBe("succeeded");
    const executed = (await f.stats()).executed.map((e: { prompt_id: string }) => e.prompt_id);
    expect(executed).not.toContain(waitingAttempt);
  });

  it("interrupts a running job by prompt id, and is idempotent", async () => {
    const job = await submit({ workflow: slowGraph(200, 20) });
    await waitForStatus(job.id, "running");
    const attempt = await attemptOf(job.id);
    await waitFor(async () => (await f.stats()).executed.some((e: { prompt_id: string }) => e.prompt_id === attempt) || (await call("GET", `/jobs/${job.id}`)).json.progress !== null);

    const first = await call("POST", `/jobs/${job.id}/cancel`);
    expect(first.json.status).toMatch(/canceling|canceled/);
    const second = await call("POST", `/jobs/${job.id}/cancel`);
    expect(second.json.status).toMatch(/canceling|canceled/);
    expect((await waitForTerminal(job.id)).status).toBe("canceled");
    const third = await call("POST", `/jobs/${job.id}/cancel`);
    expect(third).toMatchObject({ status: 200, json: { status: "canceled" } });
    const interrupts = (await f.stats()).interrupts.filter((i: { prompt_id: string }) => i.prompt_id === attempt);
    expect(interrupts.some((i: { effective: boolean }) => i.effective)).toBe(true);
  });

  it("refuses to cancel a finished job", async () => {
    const done = await waitForTerminal((await submit({ workflow: slowGraph(1, 1) })).id);
    expect(done.status).toBe("succeeded");
    const r = await call("POST", `/jobs/${done.id}/cancel`);
    expect(r).toMatchObject({ status: 409, json: { error: "CONFLICT" } });
  });
});
