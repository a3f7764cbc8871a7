import { and, desc, eq, lt, or, type SQL } from "drizzle-orm";
import { Hono, type Context } from "hono";
import { z } from "zod";
import { canSee, ownerScope } from "../../auth/roles";
import { webhookDeliveries } from "../../db/schema";
import { ApiError, notFound } from "../../errors";
import { base64url } from "../../lib/bytes";
import { DELIVERY_ID, messageIdOf } from "../../jobs/events";
import { redeliver } from "../../webhooks/enqueue";
import { attemptsOf, getDelivery, type AttemptRow, type DeliveryRow } from "../../webhooks/store";
import type { AppEnv } from "../context";
import { ListDeliveriesQuery, type DeliveryView } from "../../schemas/webhook";
import { param, query } from "../validate";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const deliveryView = (r: DeliveryRow): DeliveryView => ({
  id: r.id,
  webhookId: messageIdOf(r.id),
  jobId: r.jobId,
  event: r.event,
  url: r.url,
  status: r.status,
  attempts: r.attempts,
  nextAttemptAt: r.status === "pending" ? iso(r.nextAttemptAtMs) : null,
  lastStatusCode: r.lastStatusCode,
  lastError: r.lastError,
  createdAt: iso(r.createdAtMs)!,
  updatedAt: iso(r.updatedAtMs)!,
  completedAt: iso(r.completedAtMs),
});

const attemptView = (a: AttemptRow) => ({
  attempt: a.attempt,
  at: iso(a.atMs)!,
  statusCode: a.statusCode,
  latencyMs: a.latencyMs,
  error: a.error,
  responseSnippet: a.responseSnippet,
});

/** A delivery the caller may see: another owner's answers 404, the same as a missing one. */
async function visibleDelivery(c: Context<AppEnv>, rawId: string | undefined): Promise<DeliveryRow> {
  const id = param(rawId, z.string().regex(DELIVERY_ID), "Delivery");
  const row = await getDelivery(c.get("db"), id);
  if (!row || !canSee(c.get("principal"), row.owner)) throw notFound("Delivery");
  return row;
}

const encodeCursor = (r: DeliveryRow) => base64url(new TextEncoder().encode(JSON.stringify([r.createdAtMs, r.id])));
function decodeCursor(cursor: string): [number, string] {
  try {
    const v = JSON.parse(atob(cursor.replaceAll("-", "+").replaceAll("_", "/"))) as unknown;
    if (Array.isArray(v) && typeof v[0] === "number" && typeof v[1] === "string") return [v[0], v[1]];
  } catch {
    /* fall through */
  }
  throw new ApiError("VALIDATION_FAILED", "Invalid query: cursor: not a cursor this API returned", { details: { issues: [{ path: "cursor", message: "malformed cursor", code: "custom" }] } });
}

/** Webhook deliveries: every attempt, as recorded, for the owner of the job (or an admin). */
export const webhookRoutes = new Hono<AppEnv>()
  .get("/webhooks/deliveries", async (c) => {
    const q = query(c, ListDeliveriesQuery);
    const owner = ownerScope(c.get("principal"));
    const conds: (SQL | undefined)[] = [];
    if (owner !== undefined) conds.push(eq(webhookDeliveries.owner, owner));
    if (q.jobId) conds.push(eq(webhookDeliveries.jobId, q.jobId));
    if (q.status) conds.push(eq(webhookDeliveries.status, q.status));
    if (q.cursor) {
      const [at, id] = decodeCursor(q.cursor);
      conds.push(or(lt(webhookDeliveries.createdAtMs, at), and(eq(webhookDeliveries.createdAtMs, at), lt(webhookDeliveries.id, id))));
    }
    const rows = await c.get("db").select().from(webhookDeliveries).where(and(...conds))
      .orderBy(desc(webhookDeliveries.createdAtMs), desc(webhookDeliveries.id)).limit(q.limit + 1).all();
    const page = rows.slice(0, q.limit);
    return c.json({ items: page.map(deliveryView), count: page.length, nextCursor: rows.length > q.limit ? encodeCursor(page.at(-1)!) : null });
  })
  .get("/webhooks/deliveries/:id", async (c) => {
    const row = await visibleDelivery(c, c.req.param("id"));
    return c.json({ ...deliveryView(row), attemptLog: (await attemptsOf(c.get("db"), row.id)).map(attemptView) });
  })
  .post("/webhooks/deliveries/:id/redeliver", async (c) => {
    const row = await visibleDelivery(c, c.req.param("id"));
    return c.json(deliveryView(await redeliver(c.env, row, Date.now())), 202);
  });
