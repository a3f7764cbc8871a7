import { db } from "../db/client";
import { hosts, type HostRow } from "../db/schema";
import { config, type Env } from "../env";
import { claim, requeueMove, type Claim, type HostTarget } from "../jobs/moves";
import { ACTIVE } from "../jobs/states";
import { errorFields, log } from "../lib/log";
import { sql } from "drizzle-orm";
import { sendAttempt } from "../webhooks/enqueue";
import { hostObject } from "../hosts/object";

export const hostTarget = (h: HostRow): HostTarget => ({
  id: h.id,
  name: h.name,
  url: h.url,
  headers: JSON.parse(h.headersJson) as Record<string, string>,
  slots: h.slots,
});

/** Every host with the number of slots its jobs hold (for the hosts API and /health). */
export async function hostLoads(env: Env) {
  const rows = await db(env.DB)
    .select({
      host: hosts,
      // Spelled out: drizzle would render ${hosts.id} as a bare "id", which inside this subquery means jobs.id.
      inUse: sql<number>`(SELECT count(*) FROM jobs WHERE jobs.host_id = hosts.id AND jobs.status IN (${sql.join(ACTIVE.map((s) => sql`${s}`), sql`, `)}))`,
    })
    .from(hosts)
    .all();
  return rows.map((r) => ({ ...r.host, inUse: Number(r.inUse) }));
}

/**
 * Hands a claimed job to its host's Durable Object, which stores it on arrival and then submits it.
 * `false` when the object could not take it: the job goes back to the queue. Callers on a client's
 * path do not wait for it (POST /jobs hands it to waitUntil).
 */
export async function dispatch(env: Env, c: Claim): Promise<boolean> {
  try {
    await hostObject(env, c.host.id).dispatch(c);
    return true;
  } catch (e) {
    log.error("job.dispatch_failed", { jobId: c.jobId, host: c.host.name, ...errorFields(e) });
    const failure = { code: "COMFYUI_UNREACHABLE" as const, message: `The host's Durable Object could not take the job: ${e instanceof Error ? e.message : String(e)}`, retryable: true };
    const r = await requeueMove(env.DB, c.jobId, c.attemptId, failure, config(env).MAX_ATTEMPTS, Date.now(), undefined, true);
    if (r.webhook) await sendAttempt(env, { deliveryId: r.webhook.deliveryId, attempt: 1 });
    return false;
  }
}

/**
 * Places queued jobs on free hosts until either runs out: one claim (one D1 round trip) each. The
 * dispatches run side by side (each host takes its job in its own call) and are awaited at the end.
 * Safe to run anywhere, any number of times at once: every claim is one statement.
 */
export async function placeQueued(env: Env, nowMs = Date.now(), maxClaims = 50): Promise<number> {
  const dispatched: Promise<boolean>[] = [];
  while (dispatched.length < maxClaims) {
    const got = await claim(env.DB, nowMs);
    if (!got.claim) break;
    dispatched.push(dispatch(env, got.claim));
    if (!got.more) break;
  }
  return (await Promise.all(dispatched)).filter(Boolean).length;
}

let placing: Promise<number> | null = null;
let placeAgain = false;

/**
 * placeQueued, coalesced per isolate: a burst of wake-ups runs one placement loop (and one more
 * pass after it) instead of one loop each, which would only compete for the same D1 rows.
 */
export function placeSoon(env: Env): Promise<number> {
  if (placing) {
    placeAgain = true;
    return placing;
  }
  placing = (async () => {
    let placed = 0;
    do {
      placeAgain = false;
      placed += await placeQueued(env);
    } while (placeAgain);
    return placed;
  })().finally(() => {
    placing = null;
  });
  return placing;
}
