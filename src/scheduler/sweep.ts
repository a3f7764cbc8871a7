import { and, eq, inArray, lt } from "drizzle-orm";
import { db } from "../db/client";
import { hosts, jobs } from "../db/schema";
import { config, type Env } from "../env";
import { expireMove, reenqueueMove, requeueMove } from "../jobs/moves";
import { publishMoved } from "../watch/publish";
import { sweepRetention } from "../jobs/retention";
import { ACTIVE, STATUS } from "../jobs/states";
import { evictInputs } from "../storage/inputs";
import { errorFields, log } from "../lib/log";
import { resendOverdue, sendAttempt } from "../webhooks/enqueue";
import { hostTarget, placeQueued } from "./place";
import { readFleetAlert } from "./fleet-alert";
import { announceAlertChange } from "../webhooks/alert";
import { hostObject } from "../hosts/object";

const REENQUEUE_AFTER_MS = 60_000;
/**
 * Last resort for a running job no host holds. Hosts adopt their own lost dispatches within
 * seconds (HostCore.#adopt); this catches a job whose host was removed or never wakes.
 */
const ORPHAN_AFTER_MS = 120_000;

/**
 * The cron sweep: the Queue carries work, not truth, so this makes D1's truth move again after a
 * lost message, an eviction or a restart. Every step is a conditional move; running it twice is harmless.
 */
export async function sweep(env: Env, nowMs = Date.now()) {
  const d = db(env.DB);
  const cfg = config(env);

  const stale = await d.select({ id: jobs.id }).from(jobs).where(and(eq(jobs.status, STATUS.queued), lt(jobs.createdAtMs, nowMs - cfg.QUEUE_TTL_MS))).limit(500).all();
  let expired = 0;
  for (const j of stale) {
    const end = await expireMove(env.DB, j.id, nowMs);
    if (!end.row) continue;
    expired++;
    await publishMoved(env, end.row);
    if (end.webhook) await sendAttempt(env, { deliveryId: end.webhook.deliveryId, attempt: 1 });
  }

  const lost = await reenqueueMove(env.DB, nowMs - REENQUEUE_AFTER_MS, nowMs);
  if (lost.length) await env.JOBS.sendBatch(lost.slice(0, 100).map((id) => ({ body: { jobId: id } })));

  // Wake every host: a HostDO reconciles its attempts, adopts lost dispatches and health-checks on each wake.
  const fleet = await d.select().from(hosts).all();
  await Promise.all(
    fleet.map((h) => hostObject(env, h.id).check(hostTarget(h)).catch((e: unknown) => log.warn("sweep.host_check_failed", { host: h.name, ...errorFields(e) }))),
  );

  // A running job whose host is gone from the fleet (removed) or whose object does not answer.
  const running = await d.select().from(jobs).where(and(inArray(jobs.status, [...ACTIVE]), lt(jobs.updatedAtMs, nowMs - ORPHAN_AFTER_MS))).limit(200).all();
  let orphans = 0;
  for (const j of running) {
    if (!j.hostId || !j.attemptId) continue;
    const known = await hostObject(env, j.hostId).knows(j.attemptId).catch(() => true);
    if (known) continue;
    orphans++;
    const r = await requeueMove(env.DB, j.id, j.attemptId, { code: "COMFYUI_UNREACHABLE", message: "The job's host never took it", retryable: true }, cfg.MAX_ATTEMPTS, nowMs);
    await publishMoved(env, r.row);
    if (r.webhook) await sendAttempt(env, { deliveryId: r.webhook.deliveryId, attempt: 1 });
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
  // Work nobody can take: warned every run (each minute) while it lasts, announced when it changes.
  const alert = await readFleetAlert(d, nowMs).catch((e: unknown) => {
    log.warn("sweep.alert_failed", errorFields(e));
    return undefined;
  });
  if (alert) log.warn("fleet.alert", alert);
  if (alert !== undefined) await announceAlertChange(env, alert, nowMs).catch((e: unknown) => log.warn("sweep.alert_failed", errorFields(e)));
  log.info("sweep.done", { expired, reenqueued: lost.length, orphans, placed, hosts: fleet.length, webhooks, deletedJobs: retained.jobs, evictedInputs: evicted });
  return { expired, reenqueued: lost.length, orphans, placed, webhooks, deletedJobs: retained.jobs, deletedObjects: retained.objects, evictedInputs: evicted };
}
