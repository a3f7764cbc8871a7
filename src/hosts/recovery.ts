import type { ComfyClient } from "../comfy/client";
import { claimedOn, reclaim, type Claim, type HostTarget } from "../jobs/moves";
import { errorFields, log } from "../lib/log";
import type { InflightStore } from "./inflight";
import { stopPrompt } from "./prompt";

/** A claim this old that its host does not hold lost its dispatch (the placer died): the host adopts it. */
export const ADOPT_AFTER_MS = 5_000;

/**
 * A host back from the dead (frozen, partitioned) may still hold prompts whose jobs were given to
 * other hosts meanwhile: each one it no longer owns is taken off its queue, or interrupted.
 */
export async function purgeDisowned(client: ComfyClient, store: InflightStore, hostName: string): Promise<void> {
  try {
    const q = await client.queue();
    for (const id of [...q.running, ...q.pending]) {
      if (store.get(id) || !store.isSettled(id)) continue;
      log.info("host.prompt_disowned", { host: hostName, attemptId: id });
      await stopPrompt(client, id);
    }
  } catch (e) {
    log.warn("host.purge_failed", { host: hostName, ...errorFields(e) });
  }
}

/** Claims D1 gave this host whose dispatch never arrived (the placer died after the claim). */
export async function lostDispatches(d1: D1Database, store: InflightStore, host: HostTarget, nowMs: number): Promise<Claim[]> {
  const found: Claim[] = [];
  try {
    for (const o of await claimedOn(d1, host.id, nowMs - ADOPT_AFTER_MS)) {
      if (store.get(o.attemptId) || store.isSettled(o.attemptId)) continue;
      const c = await reclaim(d1, o.jobId, o.attemptId, host);
      if (c) found.push(c);
    }
  } catch (e) {
    log.warn("host.adopt_failed", { host: host.name, ...errorFields(e) });
  }
  return found;
}
