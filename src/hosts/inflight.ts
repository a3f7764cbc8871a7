import type { Failure } from "../comfy/classify";
import type { Claim, Finish } from "../jobs/moves";
import type { Progress } from "../jobs/view";
import type { AttemptView, Phase } from "./planner";

/**
 * The attempts a host holds, kept in the HostDO's own SQLite so an eviction, a deploy or a runtime
 * kill loses none of them. An attempt is removed only after D1 has its outcome (`ended` keeps the
 * outcome until then), and the ids of removed attempts are remembered against late duplicates.
 */
export type Inflight = AttemptView & {
  jobId: string;
  claim: Omit<Claim, "host">;
  includePreviews: boolean;
  /** Set when `phase` is `ended`: what D1 must record. */
  outcome: Outcome | null;
  /** Outputs ComfyUI dropped from a partly valid graph, reported with the job's result. */
  warning: Failure | null;
};
export type Outcome = Finish | { kind: "requeue"; failure: Failure; refund: boolean };

type Row = {
  attempt_id: string; job_id: string; claim_json: string; phase: Phase; client_id: string | null; dispatched_at_ms: number;
  submitted_at_ms: number | null; started_at_ms: number | null; deadline_ms: number; last_event_at_ms: number; timeout_ms: number;
  progress_json: string | null; outcome_json: string | null; warning_json: string | null;
};

const fromRow = (r: Row, claim: Inflight["claim"]): Inflight => {
  return {
    attemptId: r.attempt_id, jobId: r.job_id, claim, phase: r.phase, clientId: r.client_id, dispatchedAtMs: r.dispatched_at_ms,
    submittedAtMs: r.submitted_at_ms, startedAtMs: r.started_at_ms, deadlineMs: r.deadline_ms, lastEventAtMs: r.last_event_at_ms,
    timeoutMs: r.timeout_ms, progress: r.progress_json ? (JSON.parse(r.progress_json) as Progress) : null,
    outcome: r.outcome_json ? (JSON.parse(r.outcome_json) as Outcome) : null,
    warning: r.warning_json ? (JSON.parse(r.warning_json) as Failure) : null,
    events: claim.events, includePreviews: claim.includePreviews,
  };
};

const COLUMNS: Record<string, [string, (v: unknown) => unknown]> = {
  phase: ["phase", (v) => v],
  clientId: ["client_id", (v) => v],
  submittedAtMs: ["submitted_at_ms", (v) => v],
  startedAtMs: ["started_at_ms", (v) => v],
  deadlineMs: ["deadline_ms", (v) => v],
  lastEventAtMs: ["last_event_at_ms", (v) => v],
  progress: ["progress_json", (v) => (v == null ? null : JSON.stringify(v))],
  outcome: ["outcome_json", (v) => (v == null ? null : JSON.stringify(v))],
  warning: ["warning_json", (v) => (v == null ? null : JSON.stringify(v))],
};
export type InflightPatch = Partial<Pick<Inflight, "phase" | "clientId" | "submittedAtMs" | "startedAtMs" | "deadlineMs" | "lastEventAtMs" | "progress" | "outcome" | "warning">>;

/** What every socket frame changes: kept in memory, not written per frame (after a restart the tick looks the prompt up). */
type Live = Pick<Inflight, "lastEventAtMs" | "progress">;

/**
 * SQLite is the durable copy; reads come from a memory mirror kept in step by every write (this
 * class is the only writer). Every socket frame looks its attempt up, and reading it back from
 * SQLite (a row carrying the whole claim, graph included) was the host's biggest CPU cost.
 */
export class InflightStore {
  /** Attempts by id, in dispatch order (the order `all()` gives). */
  readonly #rows = new Map<string, Inflight>();
  readonly #live = new Map<string, Live>();
  readonly #meta = new Map<string, unknown>();
  readonly #metaJson = new Map<string, string>();

  /** A frame arrived for this attempt (and perhaps new progress): memory only. */
  touch(attemptId: string, live: Partial<Live> & { lastEventAtMs: number }) {
    const prev = this.#live.get(attemptId);
    this.#live.set(attemptId, { lastEventAtMs: live.lastEventAtMs, progress: live.progress ?? prev?.progress ?? null });
  }

  #view(a: Inflight): Inflight {
    const live = this.#live.get(a.attemptId);
    return live ? { ...a, lastEventAtMs: Math.max(a.lastEventAtMs, live.lastEventAtMs), progress: live.progress ?? a.progress } : { ...a };
  }

  constructor(private readonly sql: SqlStorage) {
    // `inflight` was this table's first shape; attempts it still held are adopted from D1 (see HostCore.#adopt).
    sql.exec(`DROP TABLE IF EXISTS inflight`);
    sql.exec(`CREATE TABLE IF NOT EXISTS attempts (
      attempt_id TEXT PRIMARY KEY, job_id TEXT NOT NULL, claim_json TEXT NOT NULL, phase TEXT NOT NULL, client_id TEXT,
      dispatched_at_ms INTEGER NOT NULL, submitted_at_ms INTEGER, started_at_ms INTEGER, deadline_ms INTEGER NOT NULL,
      last_event_at_ms INTEGER NOT NULL, timeout_ms INTEGER NOT NULL, progress_json TEXT, outcome_json TEXT, warning_json TEXT)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS settled (id TEXT PRIMARY KEY, at_ms INTEGER NOT NULL)`);
    for (const r of sql.exec<Row>(`SELECT * FROM attempts ORDER BY dispatched_at_ms`).toArray()) this.#rows.set(r.attempt_id, fromRow(r, JSON.parse(r.claim_json) as Inflight["claim"]));
    for (const r of sql.exec<{ key: string; value: string }>(`SELECT key, value FROM meta`).toArray()) {
      this.#meta.set(r.key, JSON.parse(r.value));
      this.#metaJson.set(r.key, r.value);
    }
  }

  /** Attempts (and canceled jobs, as `job:<id>`) this host is done with. */
  markSettled(id: string, atMs: number) {
    this.sql.exec(`INSERT OR REPLACE INTO settled VALUES (?, ?)`, id, atMs);
  }
  isSettled(id: string): boolean {
    return this.sql.exec(`SELECT 1 FROM settled WHERE id = ?`, id).toArray().length > 0;
  }
  pruneSettled(beforeMs: number) {
    this.sql.exec(`DELETE FROM settled WHERE at_ms < ?`, beforeMs);
  }

  all(): Inflight[] {
    return [...this.#rows.values()].map((a) => this.#view(a));
  }
  get(attemptId: string): Inflight | null {
    const a = this.#rows.get(attemptId);
    return a ? this.#view(a) : null;
  }
  byJob(jobId: string): Inflight | null {
    for (const a of this.#rows.values()) if (a.jobId === jobId) return this.#view(a);
    return null;
  }
  /** `false` when this attempt is already here: a duplicate dispatch changes nothing. */
  add(c: Omit<Claim, "host">, nowMs: number, timeoutMs: number): boolean {
    // Synchronous SQL in a Durable Object: nothing can run between this check and the insert.
    if (this.#rows.has(c.attemptId)) return false;
    const claimJson = JSON.stringify(c);
    const row: Row = {
      attempt_id: c.attemptId, job_id: c.jobId, claim_json: claimJson, phase: "pending", client_id: null, dispatched_at_ms: nowMs,
      // Until it starts, a prompt may wait behind the one running (one slot's worth of time).
      submitted_at_ms: null, started_at_ms: null, deadline_ms: nowMs + 2 * timeoutMs, last_event_at_ms: nowMs, timeout_ms: timeoutMs,
      progress_json: null, outcome_json: null, warning_json: null,
    };
    this.sql.exec(
      `INSERT INTO attempts (attempt_id, job_id, claim_json, phase, client_id, dispatched_at_ms, deadline_ms, last_event_at_ms, timeout_ms)
       VALUES (?, ?, ?, 'pending', NULL, ?, ?, ?, ?)`,
      row.attempt_id, row.job_id, claimJson, row.dispatched_at_ms, row.deadline_ms, row.last_event_at_ms, row.timeout_ms,
    );
    this.#rows.set(c.attemptId, fromRow(row, JSON.parse(claimJson) as Inflight["claim"]));
    return true;
  }
  update(attemptId: string, patch: InflightPatch) {
    const entries = Object.entries(patch).filter(([k]) => COLUMNS[k]);
    if (!entries.length) return;
    this.sql.exec(
      `UPDATE attempts SET ${entries.map(([k]) => `${COLUMNS[k]![0]} = ?`).join(", ")} WHERE attempt_id = ?`,
      ...entries.map(([k, v]) => COLUMNS[k]![1](v) as string | number | null),
      attemptId,
    );
    const a = this.#rows.get(attemptId);
    // Copies, as a read from SQLite would give: no caller's object is kept.
    if (a) this.#rows.set(attemptId, { ...a, ...(Object.fromEntries(entries.map(([k, v]) => [k, v === undefined ? null : structuredClone(v)])) as InflightPatch) });
  }
  /** D1 has the attempt's outcome: forget it, remembering its id against late duplicate dispatches. */
  remove(attemptId: string, nowMs: number) {
    this.sql.exec(`DELETE FROM attempts WHERE attempt_id = ?`, attemptId);
    this.#rows.delete(attemptId);
    this.#live.delete(attemptId);
    this.markSettled(attemptId, nowMs);
  }
  count(): number {
    return this.#rows.size;
  }
  getMeta<T>(key: string): T | null {
    return (this.#meta.get(key) as T | undefined) ?? null;
  }
  /** Every dispatch carries the host's address: written only when it changed. */
  setMeta(key: string, value: unknown) {
    const json = JSON.stringify(value);
    if (this.#metaJson.get(key) === json) return;
    this.sql.exec(`INSERT OR REPLACE INTO meta VALUES (?, ?)`, key, json);
    this.#meta.set(key, JSON.parse(json));
    this.#metaJson.set(key, json);
  }
}
