/**
 * The prompts a host has in flight, kept in the HostDO's own SQLite so an eviction, a deploy or a
 * local restart loses none of them.
 */
export type InflightState = "pending" | "submitted" | "canceling";
export type Inflight = {
  attemptId: string;
  jobId: string;
  graphJson: string;
  clientId: string | null;
  state: InflightState;
  dispatchedAtMs: number;
  startedAtMs: number | null;
  deadlineMs: number;
  lastEventAtMs: number;
  /** The job asked to keep temp-type previews as outputs. */
  includePreviews: boolean;
};

type Row = {
  attempt_id: string; job_id: string; graph_json: string; client_id: string | null; state: InflightState;
  dispatched_at_ms: number; started_at_ms: number | null; deadline_ms: number; last_event_at_ms: number; include_previews: number;
};

const fromRow = (r: Row): Inflight => ({
  attemptId: r.attempt_id, jobId: r.job_id, graphJson: r.graph_json, clientId: r.client_id, state: r.state,
  dispatchedAtMs: r.dispatched_at_ms, startedAtMs: r.started_at_ms, deadlineMs: r.deadline_ms, lastEventAtMs: r.last_event_at_ms,
  includePreviews: r.include_previews === 1,
});

export class InflightStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS inflight (
      attempt_id TEXT PRIMARY KEY, job_id TEXT NOT NULL, graph_json TEXT NOT NULL, client_id TEXT,
      state TEXT NOT NULL, dispatched_at_ms INTEGER NOT NULL, started_at_ms INTEGER,
      deadline_ms INTEGER NOT NULL, last_event_at_ms INTEGER NOT NULL)`);
    // Added after the first version of the table: objects created before it get the column here.
    if (!sql.exec(`SELECT 1 FROM pragma_table_info('inflight') WHERE name = 'include_previews'`).toArray().length) {
      sql.exec(`ALTER TABLE inflight ADD COLUMN include_previews INTEGER NOT NULL DEFAULT 0`);
    }
    sql.exec(`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS settled (id TEXT PRIMARY KEY, at_ms INTEGER NOT NULL)`);
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
    return this.sql.exec<Row>(`SELECT * FROM inflight ORDER BY dispatched_at_ms`).toArray().map(fromRow);
  }
  get(attemptId: string): Inflight | null {
    const r = this.sql.exec<Row>(`SELECT * FROM inflight WHERE attempt_id = ?`, attemptId).toArray()[0];
    return r ? fromRow(r) : null;
  }
  byJob(jobId: string): Inflight | null {
    const r = this.sql.exec<Row>(`SELECT * FROM inflight WHERE job_id = ?`, jobId).toArray()[0];
    return r ? fromRow(r) : null;
  }
  /** `false` when this attempt is already here: a duplicate dispatch changes nothing. */
  add(i: Inflight): boolean {
    // Synchronous SQL in a Durable Object: nothing can run between this check and the insert.
    if (this.get(i.attemptId)) return false;
    this.sql.exec(
      `INSERT INTO inflight (attempt_id, job_id, graph_json, client_id, state, dispatched_at_ms, started_at_ms, deadline_ms, last_event_at_ms, include_previews)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      i.attemptId, i.jobId, i.graphJson, i.clientId, i.state, i.dispatchedAtMs, i.startedAtMs, i.deadlineMs, i.lastEventAtMs, i.includePreviews ? 1 : 0,
    );
    return true;
  }
  update(attemptId: string, patch: Partial<Pick<Inflight, "state" | "clientId" | "startedAtMs" | "lastEventAtMs" | "deadlineMs">>) {
    const cols: Record<string, string> = { state: "state", clientId: "client_id", startedAtMs: "started_at_ms", lastEventAtMs: "last_event_at_ms", deadlineMs: "deadline_ms" };
    for (const [k, v] of Object.entries(patch)) this.sql.exec(`UPDATE inflight SET ${cols[k]} = ? WHERE attempt_id = ?`, v ?? null, attemptId);
  }
  remove(attemptId: string) {
    this.sql.exec(`DELETE FROM inflight WHERE attempt_id = ?`, attemptId);
  }
  count(): number {
    return this.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM inflight`).one().n;
  }
  getMeta<T>(key: string): T | null {
    const r = this.sql.exec<{ value: string }>(`SELECT value FROM meta WHERE key = ?`, key).toArray()[0];
    return r ? (JSON.parse(r.value) as T) : null;
  }
  setMeta(key: string, value: unknown) {
    this.sql.exec(`INSERT OR REPLACE INTO meta VALUES (?, ?)`, key, JSON.stringify(value));
  }
}
