import { eq } from "drizzle-orm";
import type { Context } from "hono";
import { canSee } from "../auth/roles";
import { jobs, type JobRow } from "../db/schema";
import { notFound } from "../errors";
import { withInlineOutputs } from "../jobs/inline";
import { encryptSecret } from "../jobs/secret";
import { cancelMove } from "../jobs/moves";
import { queuePositions } from "../jobs/queue-position";
import { submitJob } from "../jobs/submit";
import { toJobView } from "../jobs/view";
import { errorFields, log } from "../lib/log";
import { Uuid } from "../schemas/common";
import type { JobView, SubmitJob } from "../schemas/job";
import { dispatch } from "../scheduler/place";
import { modelWait, readFleet, type Waiting } from "../scheduler/model-placement";
import { neededFromKeys } from "../workflows/models-needed";
import { inputPolicy } from "../storage/input-policy";
import { signingSecret } from "../storage/signed-url";
import { assertCallbackUrl } from "../webhooks/callback";
import { sendAttempt } from "../webhooks/enqueue";
import { webhookSettings } from "../webhooks/settings";
import type { AppEnv } from "./context";
import { viewSigners } from "./sign";
import { announceSubmitted, publishMoved } from "../watch/publish";
import { STATUS } from "../jobs/states";
import { hostObject } from "../hosts/object";
export { visibleJob } from "./visible-job";

/**
 * What the routes do to jobs, once: our own API (routes/jobs.ts) and the client facades
 * (facades/…) call these, so a job accepted, shown or canceled through a facade goes through the
 * very same code as one through POST /jobs.
 */

/**
 * The job as the API shows it: a queued one with its queue position and what it waits for, if
 * anything; a succeeded one with its outputs inline when it asked for them.
 */
export async function jobView(c: Context<AppEnv>, row: JobRow, known: { position?: number; waiting?: Waiting | null } = {}): Promise<JobView> {
  if (row.status !== "queued") {
    const view = await toJobView(row, { queuePosition: null, ...viewSigners(c) });
    return withInlineOutputs(view, row, c.env.OUTPUTS, c.get("config").INLINE_OUTPUT_MAX_BYTES);
  }
  const position = known.position ?? (await queuePositions(c.env.DB, [row])).get(row.id) ?? null;
  const waiting = known.waiting !== undefined ? known.waiting : row.modelsJson ? modelWait(await readFleet(c.get("db")), neededFromKeys(row.modelsJson)).waiting : null;
  return toJobView(row, { queuePosition: position, ...viewSigners(c), waiting });
}

/**
 * Accepts a validated submission for the caller: callback URL checked, pending limits applied,
 * the job written, and handed to a free host (or the queue woken) after the answer.
 */
export async function acceptJob(
  c: Context<AppEnv>,
  body: SubmitJob,
  opts: { idempotencyKey?: string | undefined; facade?: { kind: "runpod"; endpointId: string } } = {},
): Promise<{ job: JobRow; replayed: boolean; known: { position?: number; waiting?: Waiting | null } }> {
  const cfg = c.get("config");
  assertCallbackUrl(body.callbackUrl, webhookSettings(cfg).callbacks);
  const who = c.get("principal");
  const { job, replayed, queuePosition, claim, waiting } = await submitJob(c.get("db"), who, body, {
    idempotencyKey: opts.idempotencyKey,
    nowMs: Date.now(),
    limits: { maxImageSize: cfg.MAX_IMAGE_SIZE, maxBatchSize: cfg.MAX_BATCH_SIZE },
    pending: { owner: who.pendingLimit ?? cfg.PENDING_LIMIT, global: cfg.GLOBAL_PENDING_LIMIT },
    origin: new URL(c.req.url).origin,
    inputs: { bucket: c.env.OUTPUTS, policy: inputPolicy(cfg) },
    seal: async (jobId, plaintext) => encryptSecret(await signingSecret(c.get("db"), c.env.DB, cfg.SIGNING_SECRET), jobId, plaintext),
    ...(opts.facade ? { facade: opts.facade } : {}),
  });
  // The submit's own round trip claimed a job for a free host: hand it over without waiting for
  // ComfyUI. Nothing claimed: the queue message wakes placement when a slot frees.
  // What the submit learnt already, so the answer's view need not ask again.
  const known = { ...(queuePosition !== undefined ? { position: queuePosition } : {}), ...(waiting !== undefined ? { waiting } : {}) };
  if (replayed) return { job, replayed, known };
  // Dashboards (GET /events) learn of the new job.
  c.executionCtx.waitUntil(announceSubmitted(c.env, { jobId: job.id, owner: job.owner, event: { kind: "queued", queuePosition: queuePosition ?? null, submitted: true } }));
  if (claim) c.executionCtx.waitUntil(dispatch(c.env, claim));
  else c.executionCtx.waitUntil(c.env.JOBS.send({ jobId: job.id }).catch((e: unknown) => log.warn("queue.send_failed", { jobId: job.id, ...errorFields(e) })));
  return { job, replayed, known };
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
  // A queued job ends here; a running one ends on its host, which tells its watchers.
  if (!moved.toHost && after.status === STATUS.canceled) c.executionCtx.waitUntil(publishMoved(c.env, after));
  if (moved.toHost && after.hostId) {
    const stub = hostObject(c.env, after.hostId);
    c.executionCtx.waitUntil(stub.cancel(after.id).catch((e: unknown) => log.warn("job.cancel_rpc_failed", { jobId: after.id, ...errorFields(e) })));
  }
  return after;
}
