import type { Context } from "hono";
import { purgeQueuedMove } from "../../../jobs/moves";
import { sqlList, STATUS } from "../../../jobs/states";
import { sendAttempt } from "../../../webhooks/enqueue";
import type { AppEnv } from "../../context";

/** Jobs canceled per batch: two statements each, well under D1's limits. */
const BATCH = 50;

/**
 * RunPod's purge-queue, for the caller's own queued jobs under the endpoint id only (an admin's
 * too: purging other people's work is not what a RunPod client means by it). Each job is canceled
 * by the same fenced move as a cancel, with its webhook; returns how many were.
 */
export async function purgeQueue(c: Context<AppEnv>, endpointId: string): Promise<number> {
  const owner = c.get("principal").id;
  let removed = 0;
  for (;;) {
    const r = await c.env.DB.prepare(
      `SELECT id FROM jobs WHERE status = ${sqlList([STATUS.queued])} AND endpoint_id = ? AND owner = ? ORDER BY created_at_ms, id LIMIT ?`,
    )
      .bind(endpointId, owner, BATCH)
      .all<{ id: string }>();
    const ids = r.results.map((x) => x.id);
    // A job placed between the read and the move is left to run: the move is fenced on `queued`.
    const ended = await purgeQueuedMove(c.env.DB, ids, Date.now());
    removed += ended.length;
    for (const t of ended) if (t.webhook) c.executionCtx.waitUntil(sendAttempt(c.env, { deliveryId: t.webhook.deliveryId, attempt: 1 }));
    // Every job read has left the queue (canceled, or placed), so a short page was the last one.
    if (ids.length < BATCH) return removed;
  }
}
