import { eq, sql } from "drizzle-orm";
import { db } from "../db/client";
import { hosts, type HostRow } from "../db/schema";
import { config, type Env } from "../env";
import { requeueOrFail } from "../jobs/outcomes";
import { errorFields, log } from "../lib/log";
import { claimNext, type Claimed } from "./claim";
import { placementOrder } from "./pick";

export type HostTarget = { id: string; name: string; url: string; headers: Record<string, string>; slots: number };
export type Placement = Claimed & { host: HostTarget };

export const hostTarget = (h: HostRow): HostTarget => ({
  id: h.id,
  name: h.name,
  url: h.url,
  headers: JSON.parse(h.headersJson) as Record<string, string>,
  slots: h.slots,
});

export async function hostLoads(env: Env) {
  const rows = await db(env.DB)
    .select({
      host: hosts,
      // Spelled out: drizzle would render ${hosts.id} as a bare "id", which inside this subquery means jobs.id.
      inUse: sql<number>`(SELECT count(*) FROM jobs WHERE jobs.host_id = hosts.id AND jobs.status IN ('running', 'canceling'))`,
    })
    .from(hosts)
    .all();
  return rows.map((r) => ({ ...r.host, inUse: Number(r.inUse) }));
}

/** Hands a claimed job to its host's Durable Object; `false` when the object could not take it. */
export async function dispatch(env: Env, p: Placement): Promise<boolean> {
  try {
    await env.HOSTS.get(env.HOSTS.idFromName(p.host.id)).dispatch(p);
    return true;
  } catch (e) {
    // The host's object never took it: back to the queue like any attempt lost on the way.
    log.error("job.dispatch_failed", { jobId: p.jobId, host: p.host.name, ...errorFields(e) });
    const failure = { code: "COMFYUI_UNREACHABLE" as const, message: `The host's Durable Object could not take the job: ${e instanceof Error ? e.message : String(e)}`, retryable: true };
    await requeueOrFail(db(env.DB), env.JOBS, p.jobId, p.attemptId, failure, config(env).MAX_ATTEMPTS, Date.now());
    return false;
  }
}

/**
 * Places queued jobs on hosts with free slots until either runs out. Safe to run anywhere and any
 * number of times at once: every claim is one conditional statement.
 */
export async function placeQueued(env: Env, nowMs = Date.now(), maxClaims = 50): Promise<number> {
  let placed = 0;
  while (placed < maxClaims) {
    const order = placementOrder(await hostLoads(env));
    const host = order[0];
    if (!host) return placed;
    const claimed = await claimNext(env.DB, host, nowMs);
    if (!claimed) return placed;
    if (await dispatch(env, { ...claimed, host: hostTarget(host) })) placed++;
    else return placed;
  }
  return placed;
}

let placing: Promise<number> | null = null;
let placeAgain = false;

/**
 * placeQueued, coalesced per isolate: a burst of submissions runs one placement loop (and one more
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
