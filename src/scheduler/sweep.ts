import { and, eq, inArray, lt } from "drizzle-orm";
import { db } from "../db/client";
import { hosts, jobs } from "../db/schema";
import { config, type Env } from "../env";
import { requeueOrFail } from "../jobs/outcomes";
import { sweepRetention } from "../jobs/retention";
import { transition } from "../jobs/transition";
import { evictInputs } from "../storage/inputs";
import { errorFields, log } from "../lib/log";
import { resendOverdue, wakeTerminal } from "../webhooks/enqueue";
import { hostTarget, placeQueued } from "./place";

const REENQUEUE_AFTER_MS = 60_000;
const ORPHAN_AFTER_MS = 120_000;

/**
 * The cron sweep: the Queue carries work, not truth, so this makes D1's truth move again after a
 * lost message, an eviction or a restart. Every step is a conditional update; running it twice is harmless.
 */
export async function sweep(env: Env, nowMs = Date.now()) {
  const d = db(env.DB);
  const cfg = config(env);

  const stale = await d.select({ id: jobs.id }).from(jobs).where(and(eq(jobs.status, "queued"), lt(jobs.createdAtMs, nowMs - cfg.QUEUE_TTL_MS))).limit(500).all();
  let expired = 0;
  for (const j of stale) {
    const set = { completedAtMs: nowMs, errorJson: JSON.stringify({ error: "QUEUE_FULL", message: "No host was free before the job's queue TTL ran out", retryable: true }) };
    if (await transition(d, j.id, "expired", { nowMs, from: ["queued"], set })) {
      expired++;
      await wakeTerminal(env, j.id);
    }
  }

  const lost = await d
    .update(jobs)
    .set({ enqueuedAtMs: nowMs })
    .where(and(eq(jobs.status, "queued"), lt(jobs.enqueuedAtMs, nowMs - REENQUEUE_AFTER_MS)))
    .returning({ id: jobs.id });
  if (lost.length) await env.JOBS.sendBatch(lost.slice(0, 100).map((j) => ({ body: { jobId: j.id } })));

  // Wake every host: a HostDO reconciles its in-flight prompts and health-checks on each wake.
  const fleet = await d.select().from(hosts).all();
  await Promise.all(
    fleet.map((h) => env.HOSTS.get(env.HOSTS.idFromName(h.id)).check(hostTarget(h)).catch((e: unknown) => log.warn("sweep.host_check_failed", { host: h.name, ...errorFields(e) }))),
  );

  // A job claimed for a host that never received it (the placer died in between) is re-queued.
  const running = await d.select().from(jobs).where(and(inArray(jobs.status, ["running", "canceling"]), lt(jobs.updatedAtMs, nowMs - ORPHAN_AFTER_MS))).limit(200).all();
  let orphans = 0;
  for (const j of running) {
    if (!j.hostId || !j.attemptId) continue;
    const known = await env.HOSTS.get(env.HOSTS.idFromName(j.hostId)).knows(j.attemptId).catch(() => true);
    if (known) continue;
    orphans++;
    const result = await requeueOrFail(d, env.JOBS, j.id, j.attemptId, { code: "COMFYUI_UNREACHABLE", message: "The job's host never took it", retryable: true }, cfg.MAX_ATTEMPTS, nowMs);
    if (result === "failed" || result === "canceled") await wakeTerminal(env, j.id);
  }

  const placed = await placeQueued(env, nowMs);
  // Webhook deliveries whose message was lost, or whose consumer died mid-attempt.
  const webhooks = await resendOverdue(env, nowMs).catch((e: unknown) => {
    log.warn("sweep.webhooks_failed", errorFields(e));
    return 0;
  });
  // Retention (OUTPUT_RETENTION_DAYS) and the input cache's byte budget, a bounded batch each run.
  const retained = await sweepRetention(d, env.OUTPUTS, cfg.OUTPUT_RETENTION_DAYS, nowMs).catch((e: unknown) => {
    log.warn("sweep.retention_failed", errorFields(e));
    return { jobs: 0, objects: 0 };
  });
  const evicted = await evictInputs(d, env.DB, env.OUTPUTS, cfg.INPUT_CACHE_MAX_BYTES).catch((e: unknown) => {
    log.warn("sweep.input_eviction_failed", errorFields(e));
    return 0;
  });
  log.info("sweep.done", { expired, reenqueued: lost.length, orphans, placed, hosts: fleet.length, webhooks, deletedJobs: retained.jobs, evictedInputs: evicted });
  return { expired, reenqueued: lost.length, orphans, placed, webhooks, deletedJobs: retained.jobs, deletedObjects: retained.objects, evictedInputs: evicted };
}
