import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { db } from "../../src/db/client";
import { deleteFinishedJobs, sweepRetention } from "../../src/jobs/retention";
import { sweep } from "../../src/scheduler/sweep";
import { call } from "../helpers/gateway";

const DAY = 86_400_000;

/** A job row with one output object in R2 and a webhook delivery with one attempt, ended `ageDays` ago. */
async function seed(status: string, ageDays: number, owner = "retention-test") {
  const id = crypto.randomUUID();
  const ended = Date.now() - ageDays * DAY;
  const terminal = ["succeeded", "failed", "canceled", "expired"].includes(status);
  await env.DB.batch([
    env.DB.prepare(
      `INSERT INTO jobs (id, owner, status, priority, graph_json, metadata_json, attempts, outputs_json, created_at_ms, updated_at_ms, enqueued_at_ms, completed_at_ms)
       VALUES (?, ?, ?, 0, '{}', '{}', 1, '[]', ?, ?, ?, ?)`,
    ).bind(id, owner, status, ended - 1000, ended, ended - 1000, terminal ? ended : null),
    env.DB.prepare(
      `INSERT INTO webhook_deliveries (id, job_id, owner, event, url, status, attempts, created_at_ms, updated_at_ms) VALUES (?, ?, ?, 'succeeded', 'https://example.com/h', 'succeeded', 1, ?, ?)`,
    ).bind(`${id}:succeeded`, id, owner, ended, ended),
    env.DB.prepare(`INSERT INTO webhook_attempts (delivery_id, attempt, at_ms, status_code) VALUES (?, 1, ?, 200)`).bind(`${id}:succeeded`, ended),
    env.DB.prepare(`INSERT INTO idempotency_keys (owner, key, request_hash, job_id, created_at_ms) VALUES (?, ?, 'h', ?, ?)`).bind(owner, `k-${id}`, id, ended),
  ]);
  await env.OUTPUTS.put(`outputs/${id}/ComfyUI_00001_.png`, "png bytes");
  await env.OUTPUTS.put(`outputs/${id}/text_9_1.txt`, "text");
  return id;
}

async function exists(id: string) {
  const row = await env.DB.prepare("SELECT (SELECT count(*) FROM jobs WHERE id = ?1) AS jobs, (SELECT count(*) FROM webhook_deliveries WHERE job_id = ?1) AS deliveries, (SELECT count(*) FROM webhook_attempts WHERE delivery_id = ?1 || ':succeeded') AS attempts, (SELECT count(*) FROM idempotency_keys WHERE job_id = ?1) AS keys").bind(id).first<Record<string, number>>();
  const objects = (await env.OUTPUTS.list({ prefix: `outputs/${id}/` })).objects.length;
  return { ...row, objects };
}
const ALL = { jobs: 1, deliveries: 1, attempts: 1, keys: 1, objects: 2 };
const NONE = { jobs: 0, deliveries: 0, attempts: 0, keys: 0, objects: 0 };

describe("retention (OUTPUT_RETENTION_DAYS)", () => {
  it("deletes finished jobs past retention with their outputs and rows, and nothing else", async () => {
    const old = await Promise.all(["succeeded", "failed", "canceled", "expired"].map((s) => seed(s, 31)));
    const young = await seed("succeeded", 29);
    const oldRunning = await seed("running", 40);
    const oldQueued = await seed("queued", 40);
    // A neighbour whose id starts like an old job's must keep its files.
    const neighbour = `${old[0]}-x`;
    await env.OUTPUTS.put(`outputs/${neighbour}/keep.png`, "keep");

    let total = 0;
    for (let i = 0; i < 10; i++) {
      const r = await sweepRetention(db(env.DB), env.OUTPUTS, 30, Date.now(), 2);
      total += r.jobs;
      if (r.jobs === 0) break;
    }
    expect(total).toBeGreaterThanOrEqual(4);
    for (const id of old) expect(await exists(id)).toEqual(NONE);
    for (const id of [young, oldRunning, oldQueued]) expect(await exists(id)).toEqual(ALL);
    expect((await env.OUTPUTS.list({ prefix: `outputs/${neighbour}/` })).objects).toHaveLength(1);
  });

  it("keeps everything forever with OUTPUT_RETENTION_DAYS=0", async () => {
    const ancient = await seed("succeeded", 3650);
    expect(await sweepRetention(db(env.DB), env.OUTPUTS, 0, Date.now())).toEqual({ jobs: 0, objects: 0 });
    expect(await exists(ancient)).toEqual(ALL);
    await deleteFinishedJobs(db(env.DB), env.OUTPUTS, [ancient]);
  });

  it("runs in the cron sweep", async () => {
    const id = await seed("succeeded", 45);
    const r = await sweep(env);
    expect(r.deletedJobs).toBeGreaterThanOrEqual(1);
    expect(await exists(id)).toEqual(NONE);
  });

  it("never deletes an unfinished job, whatever ids it is given", async () => {
    const running = await seed("running", 100);
    expect(await deleteFinishedJobs(db(env.DB), env.OUTPUTS, [running])).toEqual({ jobs: 0, objects: 0 });
    expect(await exists(running)).toEqual(ALL);
  });
});

describe("DELETE /jobs/:id", () => {
  it("deletes a finished job and its outputs at once", async () => {
    const id = await seed("succeeded", 0, "open");
    const r = await call("DELETE", `/jobs/${id}`);
    expect(r.status, r.text).toBe(204);
    expect(await exists(id)).toEqual(NONE);
    expect((await call("GET", `/jobs/${id}`)).status).toBe(404);
    expect((await call("DELETE", `/jobs/${id}`)).status).toBe(404);
  });

  it.each(["queued", "running"])("answers 409 for a %s job and deletes nothing", async (status) => {
    const id = await seed(status, 0, "open");
    const r = await call("DELETE", `/jobs/${id}`);
    expect(r).toMatchObject({ status: 409, json: { error: "CONFLICT" } });
    expect(r.json.message).toContain(status);
    expect(await exists(id)).toEqual(ALL);
  });
});
