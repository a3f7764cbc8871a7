import { eq } from "drizzle-orm";
import { Hono, type Context } from "hono";
import { ownerScope } from "../../auth/roles";
import { jobs, type JobRow } from "../../db/schema";
import { ApiError, notFound } from "../../errors";
import { queuePositions } from "../../jobs/queue-position";
import { Uuid } from "../../schemas/common";
import { FeedQuery, LastEventId, WatchQuery } from "../../schemas/watch";
import { signingSecret } from "../../storage/signed-url";
import { jobWatch, ownerFeed } from "../../watch/publish";
import { livePreview } from "../../watch/live-preview";
import { subscribeRequest } from "../../watch/subscribe";
import { checkWatchLink } from "../../watch/watch-link";
import type { AppEnv } from "../context";
import { allowed } from "../middleware/auth";
import { visibleJob } from "../visible-job";
import { param, query } from "../validate";

/**
 * A job's live stream and preview, and an owner's stream of all their jobs (docs/api.md, "Watching
 * jobs"). Mounted before requireRole("user"): a job's watch link is a credential of its own (a
 * browser's EventSource cannot send a key); without one, the key header is checked as everywhere.
 */
async function watchableJob(c: Context<AppEnv>): Promise<JobRow> {
  const link = query(c, WatchQuery);
  if (link.exp === undefined && link.sig === undefined) {
    allowed(c, "user");
    return visibleJob(c, c.req.param("id"));
  }
  const id = param(c.req.param("id"), Uuid, "Job");
  const secret = await signingSecret(c.get("db"), c.env.DB, c.get("config").SIGNING_SECRET);
  const verdict = await checkWatchLink(secret, id, link.exp, link.sig, Date.now());
  if (!verdict.ok) {
    if (verdict.reason === "expired") throw new ApiError("SIGNATURE_EXPIRED", "This watch link has expired; get the job again for a fresh watchUrl");
    throw new ApiError("SIGNATURE_INVALID", "This watch link is not valid (it was altered, is incomplete, or is for another job)");
  }
  const row = await c.get("db").select().from(jobs).where(eq(jobs.id, id)).get();
  if (!row) throw notFound("Job");
  return row;
}

function lastEventId(c: Context<AppEnv>): string | undefined {
  const parsed = LastEventId.safeParse(c.req.header("last-event-id"));
  if (!parsed.success) throw new ApiError("VALIDATION_FAILED", "Last-Event-ID must be at most 64 characters");
  return parsed.data;
}

/** The stream object's response, with headers the app's middleware may still add to. */
const relay = (res: Response) => new Response(res.body, { status: res.status, headers: new Headers(res.headers) });

export const watchRoutes = new Hono<AppEnv>()
  .get("/jobs/:id/events", async (c) => {
    // The stream asks the job's host itself for what D1 does not have yet (and to report from now on).
    const row = await watchableJob(c);
    const from = lastEventId(c);
    const queuePosition = row.status === "queued" ? ((await queuePositions(c.env.DB, [row])).get(row.id) ?? null) : null;
    const sub = { origin: new URL(c.req.url).origin, lastEventId: from, row, queuePosition, queueKey: { id: row.id, priority: row.priority, createdAtMs: row.createdAtMs } };
    return relay(await jobWatch(c.env, row.id).fetch(subscribeRequest(sub)));
  })
  .get("/jobs/:id/preview", async (c) => {
    const row = await watchableJob(c);
    const p = await livePreview(c.env, row);
    if (!p) throw new ApiError("NOT_FOUND", "No preview: the job is not running, or its host has sent none yet");
    return new Response(p.bytes, { headers: { "content-type": p.contentType, "cache-control": "no-store", "x-content-type-options": "nosniff" } });
  })
  .get("/events", async (c) => {
    const who = allowed(c, "user");
    const { timeout } = query(c, FeedQuery);
    const owner = ownerScope(who);
    const name = owner === undefined ? "all" : `owner:${owner}`;
    const feed = ownerFeed(c.env, name);
    return relay(await feed.fetch(subscribeRequest({ origin: new URL(c.req.url).origin, lastEventId: lastEventId(c), maxMs: timeout * 1000, name })));
  });
