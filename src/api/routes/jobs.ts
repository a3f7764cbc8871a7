import { and, desc, eq, lt, or, type SQL } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { ownerScope } from "../../auth/roles";
import { jobs, type JobRow } from "../../db/schema";
import { ApiError, notFound } from "../../errors";
import { submitJob } from "../../jobs/submit";
import { isTerminal, STATUS, type JobStatus } from "../../jobs/states";
import { cancelMove } from "../../jobs/moves";
import { publish, publishMoved } from "../../watch/publish";
import { storedOutputs, toJobView } from "../../jobs/view";
import { base64url } from "../../lib/bytes";
import { errorFields, log } from "../../lib/log";
import { queuePositions } from "../../jobs/queue-position";
import { dispatch } from "../../scheduler/place";
import { waitForTerminal, withLive } from "../long-poll";
import { visibleJob } from "../visible-job";
import type { AppEnv } from "../context";
import { GetJobQuery, ListJobsQuery, SubmitJob } from "../../schemas/job";
import { signerFor, viewSigners } from "../sign";
import { jsonBody, query } from "../validate";
import { assertCallbackUrl } from "../../webhooks/callback";
import { sendAttempt } from "../../webhooks/enqueue";
import { webhookSettings } from "../../webhooks/settings";
import type { Context } from "hono";
import { encryptSecret } from "../../jobs/secret";
import { deleteFinishedJobs } from "../../jobs/retention";
import { inputPolicy } from "../../storage/input-policy";
import { signingSecret } from "../../storage/signed-url";

const IdempotencyKey = z.string().min(1).max(255).regex(/^[\x21-\x7e]+$/);


async function view(c: Context<AppEnv>, row: JobRow, knownPosition?: number) {
  const position = row.status !== "queued" ? null : (knownPosition ?? (await queuePositions(c.env.DB, [row])).get(row.id) ?? null);
  return toJobView(row, { queuePosition: position, ...viewSigners(c) });
}

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
    const { job, replayed, queuePosition, claim } = await submitJob(c.get("db"), who, body, {
      idempotencyKey: key?.data,
      nowMs: Date.now(),
      limits: { maxImageSize: c.get("config").MAX_IMAGE_SIZE, maxBatchSize: c.get("config").MAX_BATCH_SIZE },
      pending: { owner: who.pendingLimit ?? c.get("config").PENDING_LIMIT, global: c.get("config").GLOBAL_PENDING_LIMIT },
      origin: new URL(c.req.url).origin,
      inputs: { bucket: c.env.OUTPUTS, policy: inputPolicy(c.get("config")) },
      seal: async (jobId, plaintext) => encryptSecret(await signingSecret(c.get("db"), c.env.DB, c.get("config").SIGNING_SECRET), jobId, plaintext),
    });
    // Dashboards (GET /events) learn of the new job; its own stream starts with it.
    if (!replayed) c.executionCtx.waitUntil(publish(c.env, { jobId: job.id, owner: job.owner, event: { kind: "queued", queuePosition: queuePosition ?? null, submitted: true }, queueKey: { id: job.id, priority: job.priority, createdAtMs: job.createdAtMs } }));
    if (replayed) c.header("Idempotent-Replayed", "true");
    // The submit's own round trip claimed a job for a free host: hand it over without waiting for
    // ComfyUI. Nothing claimed: the queue message wakes placement when a slot frees.
    else if (claim) c.executionCtx.waitUntil(dispatch(c.env, claim));
    else c.executionCtx.waitUntil(c.env.JOBS.send({ jobId: job.id }).catch((e: unknown) => log.warn("queue.send_failed", { jobId: job.id, ...errorFields(e) })));
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
    const signers = viewSigners(c);
    const items = await Promise.all(page.map((r) => toJobView(r, { queuePosition: positions.get(r.id) ?? null, ...signers })));
    return c.json({ items, count: items.length, nextCursor: rows.length > q.limit ? encodeCursor(page.at(-1)!) : null });
  })
  .get("/jobs/:id", async (c) => {
    const { wait } = query(c, GetJobQuery);
    const row = await visibleJob(c, c.req.param("id"));
    return c.json(await view(c, wait > 0 ? await waitForTerminal(c, row, Date.now() + wait * 1000) : await withLive(c, row)));
  })
  .post("/jobs/:id/cancel", async (c) => {
    const id = (await visibleJob(c, c.req.param("id"))).id;
    const moved = await cancelMove(c.env.DB, id, Date.now());
    const after = moved.row;
    if (!after) throw notFound("Job");
    if (moved.webhook) c.executionCtx.waitUntil(sendAttempt(c.env, { deliveryId: moved.webhook.deliveryId, attempt: 1 }));
    // A queued job ends here; a running one ends on its host, which tells its watchers.
    if (!moved.toHost && after.status === STATUS.canceled) c.executionCtx.waitUntil(publishMoved(c.env, after));
    if (moved.toHost && after.hostId) {
      const stub = c.env.HOSTS.get(c.env.HOSTS.idFromName(after.hostId));
      c.executionCtx.waitUntil(stub.cancel(after.id).catch((e: unknown) => log.warn("job.cancel_rpc_failed", { jobId: after.id, ...errorFields(e) })));
    }
    if (after.status === STATUS.succeeded || after.status === STATUS.failed || after.status === STATUS.expired) {
      throw new ApiError("CONFLICT", `Job already ${after.status}; only queued or running jobs can be canceled`);
    }
    return c.json(await view(c, after), after.status === STATUS.canceling ? 202 : 200);
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
