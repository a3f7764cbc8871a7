import { and, desc, eq, lt, or, type SQL } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { ownerScope } from "../../auth/roles";
import { jobs, type JobRow } from "../../db/schema";
import { ApiError, notFound } from "../../errors";
import { isTerminal, STATUS, type JobStatus } from "../../jobs/states";
import { storedOutputs, toJobView } from "../../jobs/view";
import { base64url } from "../../lib/bytes";
import { log } from "../../lib/log";
import { queuePositions } from "../../jobs/queue-position";
import { waitForTerminal, withLive } from "../long-poll";
import type { AppEnv } from "../context";
import { GetJobQuery, ListJobsQuery, SubmitJob } from "../../schemas/job";
import { signerFor, viewSigners } from "../sign";
import { jsonBody, query } from "../validate";
import { deleteFinishedJobs } from "../../jobs/retention";
import { acceptJob, cancelJob, jobView, visibleJob } from "../job-actions";

const IdempotencyKey = z.string().min(1).max(255).regex(/^[\x21-\x7e]+$/);

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
    const { job, replayed, known } = await acceptJob(c, body, { idempotencyKey: key?.data });
    if (replayed) c.header("Idempotent-Replayed", "true");
    return c.json(await jobView(c, job, known), replayed ? 200 : 202);
  })
  .get("/jobs", async (c) => {
    const q = query(c, ListJobsQuery);
    const who = c.get("principal");
    const conds: (SQL | undefined)[] = [];
    const owner = ownerScope(who);
    if (owner !== undefined) conds.push(eq(jobs.owner, owner));
    if (q.status) conds.push(eq(jobs.status, q.status));
    if (q.owner) conds.push(eq(jobs.owner, q.owner));
    if (q.workflowId) conds.push(eq(jobs.workflowId, q.workflowId));
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
    return c.json(await jobView(c, wait > 0 ? await waitForTerminal(c, row, Date.now() + wait * 1000) : await withLive(c, row)));
  })
  .post("/jobs/:id/cancel", async (c) => {
    const after = await cancelJob(c, (await visibleJob(c, c.req.param("id"))).id);
    if (after.status === STATUS.succeeded || after.status === STATUS.failed || after.status === STATUS.expired) {
      throw new ApiError("CONFLICT", `Job already ${after.status}; only queued or running jobs can be canceled`);
    }
    return c.json(await jobView(c, after), after.status === STATUS.canceling ? 202 : 200);
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
