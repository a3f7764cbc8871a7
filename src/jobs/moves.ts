import { getTableColumns } from "drizzle-orm";
import type { Failure } from "../comfy/classify";
import { jobs, type JobRow } from "../db/schema";
import { newId } from "../lib/ids";
import { deliveryIdFor, type TerminalEvent } from "./events";
import { ACTIVE, canMove, sqlList, STATUS, type JobStatus } from "./states";
import type { Progress, StoredOutput } from "./view";

/**
 * Every write to a job's status, and nothing else writes one. Each move is ONE D1 round trip (a
 * statement or a batch, which D1 runs as one transaction), fenced by attempt id where an attempt
 * exists, and returns what the next actor needs so that nobody has to read the row again: the claim
 * returns everything a host needs to run the job, a terminal move returns the finished row and
 * whether a webhook delivery was written with it.
 */

const lit = (s: JobStatus) => sqlList([s]);
const list = sqlList;
const ACTIVE_SQL = list(ACTIVE);

/** Raw D1 rows (snake_case) → the drizzle row type, with each column's own decoding (booleans). */
const COLUMNS = Object.entries(getTableColumns(jobs));
export function fromD1Row(r: Record<string, unknown>): JobRow {
  const out: Record<string, unknown> = {};
  for (const [key, col] of COLUMNS) {
    const v = r[col.name];
    out[key] = v === null || v === undefined ? null : col.mapFromDriverValue(v);
  }
  return out as JobRow;
}

// ---------- claim ----------

export type HostTarget = { id: string; name: string; url: string; headers: Record<string, string>; slots: number };

/** What a host needs to run a claimed job, all from the claim itself. */
export type Claim = {
  jobId: string;
  /** Whose job it is: the host's reports reach the owner's feed (GET /events). */
  owner: string;
  attemptId: string;
  attempts: number;
  graphJson: string;
  timeoutMs: number | null;
  includePreviews: boolean;
  inputFilesJson: string | null;
  comfyKeyEnc: string | null;
  /** The optional webhook events the job asked for (`started`, `progress`); empty without a callbackUrl. */
  events: string[];
  host: HostTarget;
  /** The job waited in the queue, so a long-poll may be watching for its placement (JobWatchDO). */
  watched: boolean;
};

/** Online hosts with a free slot (optionally just one), with how many they have free and whether their model lists were ever read. */
const freeHosts = (one: boolean) => `SELECT h.id, h.name, h.models_json IS NOT NULL AS listed,
      h.slots - (SELECT count(*) FROM jobs a WHERE a.host_id = h.id AND a.status IN (${ACTIVE_SQL})) AS free
    FROM hosts h WHERE h.state = 'online'${one ? " AND h.id = ?3" : ""}`;

/**
 * Whether host `f` may run queued job `q`: the job names no model, the host's lists are unknown
 * (never read: it may have them, and ComfyUI will say if not), or every `folder/name` the job needs
 * is one of the host's `host_models` rows (an index lookup each).
 */
const HOST_HAS_MODELS = `(q.models_json IS NULL OR NOT f.listed OR NOT EXISTS (
      SELECT 1 FROM json_each(q.models_json) need
       WHERE NOT EXISTS (SELECT 1 FROM host_models hm WHERE hm.host_id = f.id AND hm.key = need.value)))`;

/**
 * How far down the queue a claim looks for a job some free host can run. Past it, jobs wait even if
 * they would fit, until the head moves: it bounds the claim's cost with thousands queued, and only
 * matters when this many jobs at the head wait for models that only busy or offline hosts have.
 */
export const CLAIM_WINDOW = 500;

/**
 * The oldest highest-priority queued job (among the first CLAIM_WINDOW) that some free host can
 * run, with that host: the most free first, ties broken at random so work spreads. A job whose
 * models only busy hosts have waits without holding back the jobs behind it.
 */
const pickJobAndHost = (one: boolean) => `WITH f AS MATERIALIZED (${freeHosts(one)}),
  q AS (SELECT id, priority, created_at_ms, models_json FROM jobs WHERE status = ${lit(STATUS.queued)}
         ORDER BY priority DESC, created_at_ms ASC, id ASC LIMIT ${CLAIM_WINDOW})
  SELECT q.id AS job_id, f.id AS host_id, f.name AS host_name FROM q JOIN f ON f.free > 0 AND ${HOST_HAS_MODELS}
   ORDER BY q.priority DESC, q.created_at_ms ASC, q.id ASC, f.free DESC, random() LIMIT 1`;

/**
 * Claims the oldest highest-priority queued job that a host (a given one, or the best online one)
 * can run, in one statement that also checks the host is online with a free slot: D1 runs
 * statements one at a time, so two placers can never take the same job nor overfill a host. The
 * SELECT after it (same batch) says whether more work is waiting, so a host knows whether to pull again.
 */
function claimStatements(d1: D1Database, attemptId: string, nowMs: number, hostId?: string): D1PreparedStatement[] {
  const claim = d1
    .prepare(
      `UPDATE jobs SET status = ${lit(STATUS.running)}, attempt_id = ?1, attempts = jobs.attempts + 1, host_id = p.host_id, host_name = p.host_name,
              progress_json = NULL, updated_at_ms = ?2
         FROM (${pickJobAndHost(hostId !== undefined)}) AS p
        WHERE jobs.id = p.job_id AND jobs.status = ${lit(STATUS.queued)}
        RETURNING jobs.id, jobs.owner, jobs.attempts, jobs.graph_json, jobs.timeout_ms, jobs.include_previews, jobs.input_files_json, jobs.comfy_key_enc,
                  CASE WHEN jobs.callback_url IS NULL THEN NULL ELSE jobs.events_json END AS events_json, jobs.host_id,
                  (SELECT json_object('name', name, 'url', url, 'headers', json(headers_json), 'slots', slots) FROM hosts WHERE hosts.id = jobs.host_id) AS host_json`,
    )
    .bind(attemptId, nowMs, ...(hostId ? [hostId] : []));
  const more = d1.prepare(`SELECT EXISTS (SELECT 1 FROM jobs WHERE status = ${lit(STATUS.queued)}) AS more`);
  return [claim, more];
}

type ClaimRow = {
  id: string; owner: string; attempts: number; graph_json: string; timeout_ms: number | null; include_previews: number; input_files_json: string | null;
  comfy_key_enc: string | null; events_json: string | null; host_id: string; host_json: string;
};

/** A claimed row (the claim's RETURNING, or a re-read of it) → what its host needs. */
function claimFromRow(row: ClaimRow, attemptId: string, host: HostTarget): Claim {
  return {
    jobId: row.id, owner: row.owner, attemptId, attempts: row.attempts, graphJson: row.graph_json, timeoutMs: row.timeout_ms,
    includePreviews: row.include_previews === 1, inputFilesJson: row.input_files_json, comfyKeyEnc: row.comfy_key_enc,
    events: row.events_json ? (JSON.parse(row.events_json) as string[]) : [],
    host,
    watched: true,
  };
}

function readClaim(results: D1Result[], attemptId: string): { claim: Claim | null; more: boolean } {
  const row = results[0]?.results[0] as ClaimRow | undefined;
  const more = ((results[1]?.results[0] as { more?: number } | undefined)?.more ?? 0) === 1;
  if (!row) return { claim: null, more };
  const host = JSON.parse(row.host_json) as Omit<HostTarget, "id">;
  return { more, claim: claimFromRow(row, attemptId, { id: row.host_id, ...host }) };
}

/** One round trip: claim the next queued job for `hostId` (or for whichever host is best). */
export async function claim(d1: D1Database, nowMs: number, hostId?: string): Promise<{ claim: Claim | null; more: boolean }> {
  const attemptId = newId();
  return readClaim(await d1.batch(claimStatements(d1, attemptId, nowMs, hostId)), attemptId);
}

// ---------- submit ----------

/**
 * One round trip: the new job (under the pending limits), its idempotency record, its queue
 * position, and a claim of the next queued job (often this one) for the best free host, so a job
 * submitted to an idle fleet is placed without a second trip.
 */
export async function submitMove(
  d1: D1Database,
  statements: { insert: D1PreparedStatement; idempotency?: D1PreparedStatement; position: D1PreparedStatement },
  nowMs: number,
): Promise<{ inserted: boolean; position: number; claim: Claim | null }> {
  const attemptId = newId();
  const head = [statements.insert, ...(statements.idempotency ? [statements.idempotency] : []), statements.position];
  const results = await d1.batch([...head, ...claimStatements(d1, attemptId, nowMs)]);
  const inserted = (results[0]?.meta.changes ?? 0) === 1;
  const position = ((results[head.length - 1]?.results[0] as { ahead?: number } | undefined)?.ahead ?? 0) + 1;
  return { inserted, position, claim: inserted ? readClaim(results.slice(head.length), attemptId).claim : null };
}

// ---------- terminal moves ----------

export type Terminal = { row: JobRow | null; webhook: { deliveryId: string } | null };
type Where = { sql: string; binds: unknown[] };

/**
 * The statements that end a job: the move itself (RETURNING the finished row), and its webhook's
 * outbox row, written only when the job has a callbackUrl. The delivery id is deterministic, so a
 * second writer ending the same job writes nothing: `changes` says whether this move wrote it.
 */
function endStatements(d1: D1Database, jobId: string, to: TerminalEvent, set: Where, where: Where, nowMs: number): D1PreparedStatement[] {
  const move = d1
    .prepare(`UPDATE jobs SET status = ${lit(to)}, updated_at_ms = ?, completed_at_ms = ?${set.sql ? `, ${set.sql}` : ""} WHERE id = ? AND ${where.sql} RETURNING *`)
    .bind(nowMs, nowMs, ...set.binds, jobId, ...where.binds);
  const outbox = d1
    .prepare(
      `INSERT OR IGNORE INTO webhook_deliveries (id, job_id, owner, event, url, status, attempts, next_attempt_at_ms, last_status_code, last_error, created_at_ms, updated_at_ms, completed_at_ms)
       SELECT ?1, id, owner, status, callback_url, 'pending', 0, ?2, NULL, NULL, ?2, ?2, NULL FROM jobs
        WHERE id = ?3 AND status = ${lit(to)} AND callback_url IS NOT NULL`,
    )
    .bind(deliveryIdFor(jobId, to), nowMs, jobId);
  return [move, outbox];
}

function readEnd(results: D1Result[], jobId: string, to: TerminalEvent): Terminal {
  const r = results[0]?.results[0] as Record<string, unknown> | undefined;
  if (!r) return { row: null, webhook: null };
  return { row: fromD1Row(r), webhook: (results[1]?.meta.changes ?? 0) > 0 ? { deliveryId: deliveryIdFor(jobId, to) } : null };
}

const errorJson = (f: Failure, message = f.message) => JSON.stringify({ error: f.code, message, details: f.details, retryable: f.retryable });
/** The status (and attempt) a move starts from; a move the transition table does not allow cannot be built. */
function fence(attemptId: string | null, from: readonly JobStatus[], to: JobStatus): Where {
  const bad = from.filter((s) => !canMove(s, to));
  if (bad.length) throw new Error(`moves: ${bad.join(", ")} → ${to} is not in the transition table`);
  return attemptId === null ? { sql: `status IN (${list(from)})`, binds: [] } : { sql: `status IN (${list(from)}) AND attempt_id = ?`, binds: [attemptId] };
}

/** What a host kept about a running attempt; it reaches D1 with the attempt's end, not on every event. */
export type RunState = { startedAtMs: number | null; progress: Progress | null };

const runSet = (r: RunState, extra: Where = { sql: "", binds: [] }): Where => ({
  sql: `started_at_ms = coalesce(?, started_at_ms), queue_ms = CASE WHEN ? IS NULL THEN queue_ms ELSE max(0, ? - created_at_ms) END,
        progress_json = coalesce(?, progress_json)${extra.sql ? `, ${extra.sql}` : ""}`,
  binds: [r.startedAtMs, r.startedAtMs, r.startedAtMs, r.progress ? JSON.stringify(r.progress) : null, ...extra.binds],
});

/** A host held `busy` by a stuck prompt (hosts/health.ts markHostBusy) is online again. */
const releaseBusy = (d1: D1Database, hostId: string) => d1.prepare(`UPDATE hosts SET state = 'online' WHERE id = ? AND state = 'busy'`).bind(hostId);

export type Finish =
  | ({ kind: "succeeded"; outputs: StoredOutput[]; executionMs: number | null; warning?: Failure } & RunState)
  | ({ kind: "failed"; failure: Failure } & RunState)
  | ({ kind: "canceled" } & RunState);

/**
 * A host's attempt ended. One batch: the terminal move fenced by attempt id (carrying the start time
 * and last progress the host kept), its outbox row, and — when `pullFor` names the host — the claim
 * of that host's next job, so a freed slot is refilled in the same round trip.
 */
export async function finishMove(
  d1: D1Database, jobId: string, attemptId: string, f: Finish, nowMs: number, pullFor?: string,
): Promise<Terminal & { next: Claim | null; more: boolean }> {
  const from = f.kind === "canceled" ? [STATUS.canceling] : ACTIVE;
  const set =
    f.kind === "succeeded"
      ? runSet({ startedAtMs: f.startedAtMs, progress: { node: f.progress?.node ?? null, value: f.progress?.max ?? 1, max: f.progress?.max ?? 1, percent: 100 } }, {
          sql: "outputs_json = ?, execution_ms = ?, error_json = ?",
          binds: [JSON.stringify(f.outputs), f.executionMs, f.warning ? errorJson(f.warning) : null],
        })
      : f.kind === "failed"
        ? runSet(f, { sql: "error_json = ?", binds: [errorJson(f.failure)] })
        : runSet(f);
  const pullId = newId();
  // A host held `busy` (its running prompt held up the one behind it) takes work again once a prompt ends.
  const release = pullFor ? [releaseBusy(d1, pullFor)] : [];
  const results = await d1.batch([
    ...endStatements(d1, jobId, f.kind, set, fence(attemptId, from, f.kind), nowMs),
    ...release,
    ...(pullFor ? claimStatements(d1, pullId, nowMs, pullFor) : []),
  ]);
  const next = pullFor ? readClaim(results.slice(3), pullId) : { claim: null, more: false };
  return { ...readEnd(results, jobId, f.kind), next: next.claim, more: next.more };
}

/**
 * An attempt lost to a retryable fault. One batch, three fenced moves of which at most one applies:
 * a job being canceled is canceled; one with attempts left goes back to `queued` (attempt id
 * cleared, so whatever the lost attempt still reports can no longer match); otherwise it fails with
 * the fault, saying it gave up. `refund` gives the attempt back: the prompt never started (it was
 * moved off a host before running), so it does not count against MAX_ATTEMPTS.
 */
export async function requeueMove(
  d1: D1Database, jobId: string, attemptId: string, f: Failure, maxAttempts: number, nowMs: number, run: RunState = { startedAtMs: null, progress: null }, refund = false,
  releaseHost?: string,
): Promise<{ result: "requeued" | "failed" | "canceled" | "gone"; row: JobRow | null; webhook: { deliveryId: string } | null }> {
  const [cancelMove, cancelOutbox] = endStatements(d1, jobId, STATUS.canceled, runSet(run), fence(attemptId, [STATUS.canceling], STATUS.canceled), nowMs);
  const back = d1
    .prepare(
      `UPDATE jobs SET status = ${lit(STATUS.queued)}, attempt_id = NULL, attempts = attempts - ?, enqueued_at_ms = ?, updated_at_ms = ?,
              progress_json = NULL, started_at_ms = NULL, error_json = ?
        WHERE id = ? AND status = ${lit(STATUS.running)} AND attempt_id = ? AND (attempts < ? OR ? = 1) RETURNING *`,
    )
    .bind(refund ? 1 : 0, nowMs, nowMs, errorJson({ ...f, retryable: true }), jobId, attemptId, maxAttempts, refund ? 1 : 0);
  const gaveUp = { ...f, message: `${f.message} (gave up after ${maxAttempts} attempts)` };
  const [failMove, failOutbox] = endStatements(d1, jobId, STATUS.failed, runSet(run, { sql: "error_json = ?", binds: [errorJson(gaveUp)] }), fence(attemptId, [STATUS.running], STATUS.failed), nowMs);
  // An attempt that left its host (lost, failed copy) frees a slot as a finish does: a host held
  // `busy` by a stuck prompt takes work again (`releaseHost`, never for the move itself).
  const release = releaseHost ? [releaseBusy(d1, releaseHost)] : [];
  const r = await d1.batch([cancelMove!, cancelOutbox!, back, failMove!, failOutbox!, ...release]);
  const row = (i: number) => r[i]?.results[0] as Record<string, unknown> | undefined;
  if (row(0)) return { result: "canceled", ...readEnd(r.slice(0, 2), jobId, STATUS.canceled) };
  if (row(2)) return { result: "requeued", row: fromD1Row(row(2)!), webhook: null };
  if (row(3)) return { result: "failed", ...readEnd(r.slice(3, 5), jobId, STATUS.failed) };
  return { result: "gone", row: null, webhook: null };
}

/**
 * POST /jobs/:id/cancel. One batch: a queued job is canceled at once (with its outbox row); a
 * running one goes to `canceling` for its host to stop; the row as it then stands comes back.
 */
export async function cancelMove(d1: D1Database, jobId: string, nowMs: number): Promise<{ row: JobRow | null; webhook: { deliveryId: string } | null; toHost: boolean }> {
  const [move, outbox] = endStatements(d1, jobId, STATUS.canceled, { sql: "", binds: [] }, fence(null, [STATUS.queued], STATUS.canceled), nowMs);
  const toCanceling = d1
    .prepare(`UPDATE jobs SET status = ${lit(STATUS.canceling)}, updated_at_ms = ? WHERE id = ? AND status = ${lit(STATUS.running)} RETURNING id`)
    .bind(nowMs, jobId);
  const read = d1.prepare(`SELECT * FROM jobs WHERE id = ?`).bind(jobId);
  const r = await d1.batch([move!, outbox!, toCanceling, read]);
  const now = r[3]?.results[0] as Record<string, unknown> | undefined;
  const canceled = readEnd(r.slice(0, 2), jobId, STATUS.canceled);
  return { row: now ? fromD1Row(now) : null, webhook: canceled.webhook, toHost: (r[2]?.results.length ?? 0) > 0 };
}

/** The sweep: a job still queued past its TTL. */
export async function expireMove(d1: D1Database, jobId: string, nowMs: number): Promise<Terminal> {
  const error = JSON.stringify({ error: "QUEUE_FULL", message: "No host was free before the job's queue TTL ran out", retryable: true });
  const r = await d1.batch(endStatements(d1, jobId, STATUS.expired, { sql: "error_json = ?", binds: [error] }, fence(null, [STATUS.queued], STATUS.expired), nowMs));
  return readEnd(r, jobId, STATUS.expired);
}

/**
 * A long-running attempt's start and progress, written now and then (not on every event) so D1
 * has a recent picture even if its host's object is unreachable. Not a status move.
 */
export async function runStateMove(d1: D1Database, jobId: string, attemptId: string, run: RunState, nowMs: number): Promise<void> {
  const set = runSet(run);
  await d1
    .prepare(`UPDATE jobs SET ${set.sql}, updated_at_ms = ? WHERE id = ? AND attempt_id = ? AND status IN (${ACTIVE_SQL})`)
    .bind(...set.binds, nowMs, jobId, attemptId)
    .run();
}

/** The sweep: queued jobs whose wake-up may have been lost get a fresh `enqueued_at_ms` (and a new message). */
export async function reenqueueMove(d1: D1Database, olderThanMs: number, nowMs: number): Promise<string[]> {
  const r = await d1
    .prepare(`UPDATE jobs SET enqueued_at_ms = ? WHERE status = ${lit(STATUS.queued)} AND enqueued_at_ms < ? RETURNING id`)
    .bind(nowMs, olderThanMs)
    .all<{ id: string }>();
  return r.results.map((x) => x.id);
}

/**
 * Jobs D1 says are on a host under an attempt, claimed more than `olderThanMs` ago: a host compares
 * them with what it holds, to adopt a claim whose dispatch never arrived (the placer died after the
 * claim). A read, made now and then by the host itself, never on an idle tick's hot path.
 */
export async function claimedOn(d1: D1Database, hostId: string, olderThanMs: number): Promise<{ jobId: string; attemptId: string }[]> {
  const r = await d1
    .prepare(`SELECT id, attempt_id FROM jobs WHERE host_id = ? AND status IN (${ACTIVE_SQL}) AND attempt_id IS NOT NULL AND updated_at_ms < ?`)
    .bind(hostId, olderThanMs)
    .all<{ id: string; attempt_id: string }>();
  return r.results.map((x) => ({ jobId: x.id, attemptId: x.attempt_id }));
}

/** A claimed job, read again to adopt it: the same fields the claim returned. */
export async function reclaim(d1: D1Database, jobId: string, attemptId: string, host: HostTarget): Promise<Claim | null> {
  const row = await d1
    .prepare(
      `SELECT id, owner, attempts, graph_json, timeout_ms, include_previews, input_files_json, comfy_key_enc,
              CASE WHEN callback_url IS NULL THEN NULL ELSE events_json END AS events_json, host_id
         FROM jobs WHERE id = ? AND attempt_id = ? AND status IN (${ACTIVE_SQL})`,
    )
    .bind(jobId, attemptId)
    .first<ClaimRow>();
  return row ? claimFromRow(row, attemptId, host) : null;
}

/**
 * RunPod's purge-queue: the given jobs that are still queued are canceled, each with its outbox
 * row, in one batch; one that was placed meanwhile is left running. Returns the canceled ones.
 */
export async function purgeQueuedMove(d1: D1Database, jobIds: readonly string[], nowMs: number): Promise<Terminal[]> {
  if (!jobIds.length) return [];
  const where = fence(null, [STATUS.queued], STATUS.canceled);
  const r = await d1.batch(jobIds.flatMap((id) => endStatements(d1, id, STATUS.canceled, { sql: "", binds: [] }, where, nowMs)));
  return jobIds.map((id, i) => readEnd(r.slice(2 * i, 2 * i + 2), id, STATUS.canceled)).filter((t) => t.row !== null);
}
