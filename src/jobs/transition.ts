import { type SQL, and, eq, inArray } from "drizzle-orm";
import type { Db } from "../db/client";
import { jobs, type JobRow } from "../db/schema";
import { log } from "../lib/log";
import { isTerminalEvent } from "../webhooks/events";
import { terminalOutbox } from "../webhooks/outbox";
import { allowedFrom, type JobStatus } from "./states";

/** Columns to set with the move: values, or SQL computed from the row itself. */
type JobPatch = { [K in keyof Omit<JobRow, "id" | "status" | "updatedAtMs">]?: JobRow[K] | SQL };

/**
 * Moves a job with one conditional UPDATE, checked against the transition table and, when given,
 * fenced by attempt id. `false` means another writer moved it first (or a stale attempt tried):
 * that is not an error, the caller simply lost the race.
 */
export async function transition(
  d: Db,
  id: string,
  to: JobStatus,
  opts: { nowMs: number; attemptId?: string; from?: readonly JobStatus[]; set?: JobPatch },
): Promise<boolean> {
  const from = opts.from ? opts.from.filter((s) => allowedFrom(to).includes(s)) : allowedFrom(to);
  if (from.length === 0) return false;
  const move = d
    .update(jobs)
    .set({ ...opts.set, status: to, updatedAtMs: opts.nowMs })
    .where(
      and(
        eq(jobs.id, id),
        inArray(jobs.status, from),
        opts.attemptId !== undefined ? eq(jobs.attemptId, opts.attemptId) : undefined,
      ),
    )
    .returning({ id: jobs.id });
  // A job's end and its webhook's outbox row are written together (src/webhooks/outbox.ts).
  const rows = isTerminalEvent(to) ? (await d.batch([move, terminalOutbox(d, id, to, opts.nowMs)]))[0] : await move;
  const moved = rows.length === 1;
  if (moved) log.info("job.transition", { jobId: id, to, attemptId: opts.attemptId });
  return moved;
}
