import { eq } from "drizzle-orm";
import type { Context } from "hono";
import { canSee } from "../auth/roles";
import { jobs, type JobRow } from "../db/schema";
import { notFound } from "../errors";
import { encryptSecret } from "../jobs/secret";
import { cancelMove } from "../jobs/moves";
import { queuePositions } from "../jobs/queue-position";
import { submitJob } from "../jobs/submit";
import { toJobView } from "../jobs/view";
import { errorFields, log } from "../lib/log";
import { Uuid } from "../schemas/common";
import type { JobView, SubmitJob } from "../schemas/job";
import { dispatch } from "../scheduler/place";
import { inputPolicy } from "../storage/input-policy";
import { signingSecret } from "../storage/signed-url";
import { assertCallbackUrl } from "../webhooks/callback";
import { sendAttempt } from "../webhooks/enqueue";
import { webhookSettings } from "../webhooks/settings";
import type { AppEnv } from "./context";
import { signerFor } from "./sign";
import { param } from "./validate";

/**
 * What the routes do to jobs, once: our own API (routes/jobs.ts) and the client facades
 * (facades/…) call these, so a job accepted, shown or canceled through a facade goes through the
 * very same code as one through POST /jobs.
 */

/** A job the caller may see: another owner's job answers 404, the same as a missing one. */
export async function visibleJob(c: Context<AppEnv>, rawId: string | undefined): Promise<JobRow> {
  const id = param(rawId, Uuid, "Job");
  const who = c.get("principal");
  const row = await c.get("db").select().from(jobs).where(eq(jobs.id, id)).get();
  if (!row || !canSee(who, row.owner)) throw notFound("Job");
  return row;
}

/** The job as the API shows it. */
export async function jobView(c: Context<AppEnv>, row: JobRow, knownPosition?: number): Promise<JobView> {
  const position = row.status !== "queued" ? null : (knownPosition ?? (await queuePositions(c.env.DB, [row])).get(row.id) ?? null);
  return toJobView(row, { queuePosition: position, sign: signerFor(c) });
}

/**
 * Accepts a validated submission for the caller: callback URL checked, pending limits applied,
 * the job written, and handed to a free host (or the queue woken) after the answer.
 */
export async function acceptJob(
  c: Context<AppEnv>,
  body: SubmitJob,
  opts: { idempotencyKey?: string | undefined } = {},
): Promise<{ job: JobRow; replayed: boolean; queuePosition?: number }> {
  const cfg = c.get("config");
  assertCallbackUrl(body.callbackUrl, webhookSettings(cfg).callbacks);
  const who = c.get("principal");
  const { job, replayed, queuePosition, claim } = await submitJob(c.get("db"), who, body, {
    idempotencyKey: opts.idempotencyKey,
    nowMs: Date.now(),
    limits: { maxImageSize: cfg.MAX_IMAGE_SIZE, maxBatchSize: cfg.MAX_BATCH_SIZE },
    pending: { owner: who.pendingLimit ?? cfg.PENDING_LIMIT, global: cfg.GLOBAL_PENDING_LIMIT },
    origin: new URL(c.req.url).origin,
    inputs: { bucket: c.env.OUTPUTS, policy: inputPolicy(cfg) },
    seal: async (jobId, plaintext) => encryptSecret(await signingSecret(c.get("db"), c.env.DB, cfg.SIGNING_SECRET), jobId, plaintext),
  });
  // The submit's own round trip claimed a job for a free host: hand it over without waiting for
  // ComfyUI. Nothing claimed: the queue message wakes placement when a slot frees.
  if (replayed) return { job, replayed, ...(queuePosition !== undefined ? { queuePosition } : {}) };
  if (claim) c.executionCtx.waitUntil(dispatch(c.env, claim));
  else c.executionCtx.waitUntil(c.env.JOBS.send({ jobId: job.id }).catch((e: unknown) => log.warn("queue.send_failed", { jobId: job.id, ...errorFields(e) })));
  return { job, replayed, ...(queuePosition !== undefined ? { queuePosition } : {}) };
}

/**
 * Cancels a job the caller may see (idempotent): a queued one at once, a running one through its
 * host. Returns the row as it then stands; a finished job is returned unchanged.
 */
export async function cancelJob(c: Context<AppEnv>, id: string): Promise<JobRow> {
  const moved = await cancelMove(c.env.DB, id, Date.now());
  const after = moved.row;
  if (!after) throw notFound("Job");
  if (moved.webhook) c.executionCtx.waitUntil(sendAttempt(c.env, { deliveryId: moved.webhook.deliveryId, attempt: 1 }));
  if (moved.toHost && after.hostId) {
    const stub = c.env.HOSTS.get(c.env.HOSTS.idFromName(after.hostId));
    c.executionCtx.waitUntil(stub.cancel(after.id).catch((e: unknown) => log.warn("job.cancel_rpc_failed", { jobId: after.id, ...errorFields(e) })));
  }
  return after;
}
