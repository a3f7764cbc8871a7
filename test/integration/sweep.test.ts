import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sweep } from "../../src/scheduler/sweep";
import { call, tinyGraph } from "../helpers/gateway";

const row = (id: string) => env.DB.prepare("SELECT status, enqueued_at_ms, error_json FROM jobs WHERE id = ?").bind(id).first<{ status: string; enqueued_at_ms: number; error_json: string | null }>();

describe("the cron sweep", () => {
  it("re-enqueues a queued job whose queue message was lost", async () => {
    const job = (await call("POST", "/jobs", { workflow: tinyGraph() })).json;
    const now = Date.now() + 5 * 60_000;
    const result = await sweep(env, now);
    expect(result.reenqueued).toBeGreaterThanOrEqual(1);
    expect((await row(job.id))!.enqueued_at_ms).toBe(now);
    // Running it again at once finds nothing new to re-enqueue for this job.
    await sweep(env, now);
    expect((await row(job.id))!.enqueued_at_ms).toBe(now);
  });

  it("expires a job that waited past QUEUE_TTL_MS without a host", async () => {
    const job = (await call("POST", "/jobs", { workflow: tinyGraph() })).json;
    const result = await sweep(env, Date.now() + 2 * 3_600_000);
    expect(result.expired).toBeGreaterThanOrEqual(1);
    const r = (await row(job.id))!;
    expect(r.status).toBe("expired");
    expect((await call("GET", `/jobs/${job.id}`)).json).toMatchObject({ status: "expired", completedAt: expect.any(String), queuePosition: null });
  });

  it("leaves finished jobs alone", async () => {
    const job = (await call("POST", "/jobs", { workflow: tinyGraph() })).json;
    await call("POST", `/jobs/${job.id}/cancel`);
    await sweep(env, Date.now() + 2 * 3_600_000);
    expect((await row(job.id))!.status).toBe("canceled");
  });
});
