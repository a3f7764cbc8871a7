import { and, desc, eq, lt, or, type SQL } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { canSee, ownerScope } from "../../auth/roles";
import { jobs, type JobRow } from "../../db/schema";
import { ApiError, notFound } from "../../errors";
import { submitJob } from "../../jobs/submit";
import { isTerminal, type JobStatus } from "../../jobs/states";
import { transition } from "../../jobs/transition";
import { storedOutputs, toJobView } from "../../jobs/view";
import { base64url } from "../../lib/bytes";
import { errorFields, log } from "../../lib/log";
import { queuePositions } from "../../scheduler/claim";
import { placeSoon } from "../../scheduler/place";
import type { AppEnv } from "../context";
import { GetJobQuery, ListJobsQuery, SubmitJob } from "../schemas/job";
import { Uuid } from "../schemas/common";
import { signerFor } from "../sign";
import { jsonBody, param, query } from "../validate";
import { assertCallbackUrl } from "../../webhooks/callback";
import { wakeTerminal } from "../../webhooks/enqueue";
import { webhookSettings } from "../../webhooks/settings";
import type { Context } from "hono";
import { encryptSecret } from "../../jobs/secret";
import { deleteFinishedJobs } from "../../jobs/retention";
import { inputPolicy } from "../../storage/input-policy";
import { signingSecret } from "../../storage/signed-url";

const IdempotencyKey = z.string().min(1).max(255).regex(/^[\x21-\x7e]+$/);

/** A job the caller may see: another owner's job answers 404, the same as a missing one. */
async function visibleJob(c: Context<AppEnv>, rawId: string | undefined): Promise<JobRow> {
  const id = param(rawId, Uuid, "Job");
  const who = c.get("principal");
  const row = await c.get("db").select().from(jobs).where(eq(jobs.id, id)).get();
  if (!row || !canSee(who, row.owner)) throw notFound("Job");
  return row;
}

async function view(c: Context<AppEnv>, row: JobRow, knownPosition?: number) {
  const position = row.status !== "queued" ? null : (knownPosition ?? (await queuePositions(c.env.DB, [row])).get(row.id) ?? null);
  return toJobView(row, { queuePosition: position, sign: signerFor(c) });
}

/**
 * Long-poll: returns as soon as the job is terminal or the deadline passes. While the job runs, its
 * HostDO wakes us the moment it settles; while it is queued, D1 is read every few milliseconds.
 */
async function waitForTerminal(c: Context<AppEnv>, start: JobRow, deadlineMs: number): Promise<JobRow> {
  let row = start;
  let pollMs = QUEUED_POLL_MS;
  const d = c.get("db");
  while (!isTerminal(row.status as JobStatus) && Date.now() < deadlineMs) {
    const left = deadlineMs - Date.now();
    const held = row.status !== "queued" && row.hostId
      ? await c.env.HOSTS.get(c.env.HOSTS.idFromName(row.hostId)).waitFor(row.id, left).catch(() => false)
      : false;
    if (!held) {
      // Queued (or between placement and its host): read D1 again soon, backing off so that many
      // waiters do not crowd D1 while nothing is free.
      await new Promise((r) => setTimeout(r, Math.min(pollMs, left)));
      pollMs = Math.min(pollMs * 2, QUEUED_POLL_MAX_MS);
    } else pollMs = QUEUED_POLL_MS;
    row = (await d.select().from(jobs).where(eq(jobs.id, row.id)).get()) ?? row;
  }
  return row;
}

const QUEUED_POLL_MS = 5;
const QUEUED_POLL_MAX_MS = 250;

const encodeCursor = (r: JobRow) => base64url(new TextEncoder().encode(JSON.stringify([r.createdAtMs, r.id])));
function decodeCursor(cursor: string): [number, string] {
  try {
    const json = atob(cursor.replaceAll("-", "+").replaceAll("_", "/"));
    const v = JSON.parse(json) as unknown;
    if (Array.isArray(v) && typeof v[0] === "number" && typeof v[1] === "string") return [v[0], v[1]];
  } catch {
    /* fall through */
  }
  throw new ApiError("VALIDATION_FAILED", "Invalid query: cursor: not a cursor this API returned", { details: { issues: [{ path: "cursor", message: "malformed cursor", code: "custom" }] } });
}

export const jobRoutes = new Hono<AppEnv>()
  .post("/jobs", async (c) => {
    const rawKey = c.req.header("idempotency-key");
    const key = rawKey === undefined ? undefined : IdempotencyKey.safeParse(rawKey);
    if (key && !key.success) throw new ApiError("VALIDATION_FAILED", "Idempotency-Key must be 1–255 visible ASCII characters");
    const body = await jsonBody(c, SubmitJob);
    assertCallbackUrl(body.callbackUrl, webhookSettings(c.get("config")).callbacks);
    const who = c.get("principal");
    const { job, replayed, queuePosition } = await submitJob(c.get("db"), who, body, {
      idempotencyKey: key?.data,
      nowMs: Date.now(),
      limits: { maxImageSize: c.get("config").MAX_IMAGE_SIZE, maxBatchSize: c.get("config").MAX_BATCH_SIZE },
      pending: { owner: who.pendingLimit ?? c.get("config").PENDING_LIMIT, global: c.get("config").GLOBAL_PENDING_LIMIT },
      origin: new URL(c.req.url).origin,
      inputs: { bucket: c.env.OUTPUTS, policy: inputPolicy(c.get("config")) },
      seal: async (jobId, plaintext) => encryptSecret(await signingSecret(c.get("db"), c.env.DB, c.get("config").SIGNING_SECRET), jobId, plaintext),
    });
    if (replayed) c.header("Idempotent-Replayed", "true");
    // The queue message is the durable path; placing now as well saves its delivery latency.
    else {
      c.executionCtx.waitUntil(
        Promise.all([
          c.env.JOBS.send({ jobId: job.id }).catch((e: unknown) => log.warn("queue.send_failed", { jobId: job.id, ...errorFields(e) })),
          placeSoon(c.env).catch((e: unknown) => log.warn("job.place_now_failed", errorFields(e))),
        ]),
      );
    }
    return c.json(await view(c, job, queuePosition), replayed ? 200 : 202);
  })
  .get("/jobs", async (c) => {
    const q = query(c, ListJobsQuery);
    const who = c.get("principal");
    const conds: (SQL | undefined)[] = [];
    const owner = ownerScope(who);
    if (owner !== undefined) conds.push(eq(jobs.owner, owner));
    if (q.status) conds.push(eq(jobs.status, q.status));
    if (q.cursor) {
      const [at, id] = decodeCursor(q.cursor);
      conds.push(or(lt(jobs.createdAtMs, at), and(eq(jobs.createdAtMs, at), lt(jobs.id, id))));
    }
    const rows = await c.get("db").select().from(jobs).where(and(...conds)).orderBy(desc(jobs.createdAtMs), desc(jobs.id)).limit(q.limit + 1).all();
    const page = rows.slice(0, q.limit);
    const positions = await queuePositions(c.env.DB, page.filter((r) => r.status === "queued"));
    const sign = signerFor(c);
    const items = await Promise.all(page.map((r) => toJobView(r, { queuePosition: positions.get(r.id) ?? null, sign })));
    return c.json({ items, count: items.length, nextCursor: rows.length > q.limit ? encodeCursor(page.at(-1)!) : null });
  })
  .get("/jobs/:id", async (c) => {
    const { wait } = query(c, GetJobQuery);
    let row = await visibleJob(c, c.req.param("id"));
    if (wait > 0) row = await waitForTerminal(c, row, Date.now() + wait * 1000);
    return c.json(await view(c, row));
  })
  .post("/jobs/:id/cancel", async (c) => {
    const row = await visibleJob(c, c.req.param("id"));
    const d = c.get("db");
    const now = Date.now();
    if (row.status === "queued" && (await transition(d, row.id, "canceled", { nowMs: now, from: ["queued"], set: { completedAtMs: now } }))) {
      c.executionCtx.waitUntil(wakeTerminal(c.env, row.id));
      return c.json(await view(c, (await d.select().from(jobs).where(eq(jobs.id, row.id)).get())!));
    }
    const cur = (await d.select().from(jobs).where(eq(jobs.id, row.id)).get())!;
    if (cur.status === "running") await transition(d, cur.id, "canceling", { nowMs: now, attemptId: cur.attemptId!, from: ["running"] });
    const after = (await d.select().from(jobs).where(eq(jobs.id, row.id)).get())!;
    if (after.status === "canceling" && after.hostId) {
      const stub = c.env.HOSTS.get(c.env.HOSTS.idFromName(after.hostId));
      c.executionCtx.waitUntil(stub.cancel(after.id).catch((e: unknown) => log.warn("job.cancel_rpc_failed", { jobId: after.id, ...errorFields(e) })));
    }
    if (["succeeded", "failed", "expired"].includes(after.status)) {
      throw new ApiError("CONFLICT", `Job already ${after.status}; only queued or running jobs can be canceled`);
    }
    return c.json(await view(c, after), after.status === "canceling" ? 202 : 200);
  })
  .delete("/jobs/:id", async (c) => {
    const row = await visibleJob(c, c.req.param("id"));
    if (!isTerminal(row.status as JobStatus)) {
      throw new ApiError("CONFLICT", `Job is ${row.status}; only finished jobs can be deleted (cancel it first)`);
    }
    await deleteFinishedJobs(c.get("db"), c.env.OUTPUTS, [row.id]);
    log.info("job.deleted", { jobId: row.id, by: c.get("principal").id });
    return c.body(null, 204);
  })
  .get("/jobs/:id/outputs/:name", async (c) => {
    const row = await visibleJob(c, c.req.param("id"));
    const name = c.req.param("name");
    const output = storedOutputs(row).find((o) => o.name === name);
    if (row.status !== "succeeded" || !output) throw notFound("Output");
    if (output.text !== undefined) return c.text(output.text, 200, { "content-type": output.contentType });
    const link = await signerFor(c)(output.key!);
    c.header("Cache-Control", "no-store");
    return c.redirect(link.url, 302);
  });
