import { sql } from "drizzle-orm";
import { ACTIVE, sqlList } from "../jobs/states";
import type { Db } from "../db/client";
import { webhookDeliveries } from "../db/schema";
import type { OptionalEvent } from "../jobs/events";

/**
 * The outbox: delivery rows written by the statements that make the events happen. Each selects
 * from the job, so a job without a callbackUrl (or without the event in `events`) writes nothing,
 * and each is an INSERT OR IGNORE of a deterministic id, so writing it twice writes it once.
 *
 * The SELECTs list values in webhook_deliveries' column order (id, job_id, owner, event, url,
 * status, attempts, next_attempt_at_ms, last_status_code, last_error, created_at_ms,
 * updated_at_ms, completed_at_ms): that is how drizzle inserts from a raw SELECT.
 */
const pendingRow = (id: string, event: ReturnType<typeof sql>, nowMs: number) =>
  sql`SELECT ${id}, id, owner, ${event}, callback_url, 'pending', 0, ${nowMs}, NULL, NULL, ${nowMs}, ${nowMs}, NULL FROM jobs`;

/** A `started` or `progress` delivery of a running job that asked for that event. */
export function eventOutbox(d: Db, id: string, jobId: string, event: OptionalEvent, nowMs: number) {
  return d
    .insert(webhookDeliveries)
    .select(sql`${pendingRow(id, sql`${event}`, nowMs)} WHERE id = ${jobId} AND callback_url IS NOT NULL AND status IN (${sql.raw(sqlList(ACTIVE))})
      AND EXISTS (SELECT 1 FROM json_each(coalesce(jobs.events_json, '[]')) WHERE value = ${event})`)
    .onConflictDoNothing();
}
