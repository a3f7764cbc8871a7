import { eq } from "drizzle-orm";
import type { Context } from "hono";
import { jobs, type JobRow } from "../db/schema";
import { ACTIVE, isTerminal, STATUS, type JobStatus } from "../jobs/states";
import type { AppEnv } from "./context";
import { hostObject } from "../hosts/object";

/** A dispatch still on its way to the host: look again after this long. */
const DISPATCH_WAIT_MS = 5;
/** The longest a queued job's long-poll waits for word of its placement before asking D1. */
const QUEUED_WATCH_MS = 3_000;

const onHost = (row: JobRow) => ACTIVE.includes(row.status as JobStatus) && row.hostId !== null;

/**
 * Long-poll: returns as soon as the job is terminal or the deadline passes. While the job is on a
 * host, the host's object answers the moment the job ends, with the finished row itself (no D1
 * re-read); while it is queued, the job's JobWatchDO says where it was placed the moment it is.
 */
export async function waitForTerminal(c: Context<AppEnv>, start: JobRow, deadlineMs: number): Promise<JobRow> {
  let row = start;
  const d = c.get("db");
  while (!isTerminal(row.status as JobStatus) && Date.now() < deadlineMs) {
    const left = deadlineMs - Date.now();
    if (onHost(row)) {
      const got = await hostObject(c.env, row.hostId!).waitFor(row.id, left, row.attemptId ?? undefined).catch(() => undefined);
      if (got === null) break; // the deadline passed with the job still on its host
      if (got?.row) {
        row = got.row;
        continue;
      }
      // Back in the queue (row: null), or not held by that host (yet, or any more): D1 says where it
      // stands; the pause keeps a dispatch still on its way from turning this into a busy loop.
      if (got === undefined) await new Promise((r) => setTimeout(r, Math.min(DISPATCH_WAIT_MS, left)));
    } else {
      // Queued: whoever places the job says where (JobWatchDO); D1 is asked again only every few
      // seconds, in case that word was lost.
      const hostId = await c.env.JOB_WATCH.get(c.env.JOB_WATCH.idFromName(row.id)).waitPlaced(Math.min(QUEUED_WATCH_MS, left)).catch(() => null);
      if (hostId) {
        // The attempt it now runs under is not known here (the row's is an older one, if any).
        row = { ...row, status: STATUS.running, hostId, attemptId: null };
        continue;
      }
    }
    row = (await d.select().from(jobs).where(eq(jobs.id, row.id)).get()) ?? row;
  }
  return onHost(row) ? withLive(c, row) : row;
}

/**
 * A running job as its host sees it now: D1 gets a job's start and progress only now and then, its
 * host's object has them live. A host that cannot be asked leaves the row as D1 has it.
 */
export async function withLive(c: Context<AppEnv>, row: JobRow): Promise<JobRow> {
  if (!onHost(row)) return row;
  const live = await hostObject(c.env, row.hostId!).live(row.id).catch(() => null);
  if (!live) return row;
  const startedAtMs = live.startedAtMs ?? row.startedAtMs;
  return {
    ...row,
    startedAtMs,
    queueMs: startedAtMs !== null ? Math.max(0, startedAtMs - row.createdAtMs) : row.queueMs,
    progressJson: live.progress ? JSON.stringify(live.progress) : row.progressJson,
  };
}
