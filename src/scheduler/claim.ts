import { newId } from "../lib/ids";

export type Claimed = { jobId: string; attemptId: string; attempts: number; graphJson: string; timeoutMs: number | null; includePreviews: boolean };

/**
 * Claims the oldest highest-priority queued job for a host in ONE statement, which also checks
 * that the host is online (not draining, offline or removed) and still has a free slot. D1 runs statements one at a time, so two placers can never
 * take the same job nor overfill a host.
 */
export async function claimNext(
  d1: D1Database,
  host: { id: string; name: string; slots: number },
  nowMs: number,
): Promise<Claimed | null> {
  const attemptId = newId();
  const claim = d1
    .prepare(
      `UPDATE jobs
         SET status = 'running', attempt_id = ?1, attempts = attempts + 1, host_id = ?2, host_name = ?3,
             progress_json = NULL, updated_at_ms = ?4
       WHERE id = (SELECT id FROM jobs WHERE status = 'queued' ORDER BY priority DESC, created_at_ms ASC, id ASC LIMIT 1)
         AND status = 'queued'
         AND (SELECT count(*) FROM jobs WHERE host_id = ?2 AND status IN ('running', 'canceling')) < ?5
         AND (SELECT state FROM hosts WHERE id = ?2) = 'online'
       RETURNING id, attempts, graph_json, timeout_ms, include_previews`,
    )
    .bind(attemptId, host.id, host.name, nowMs, host.slots);
  // In the same round trip: the host was just used, for least-recently-used placement.
  const touch = d1.prepare(`UPDATE hosts SET last_assigned_at_ms = ?2 WHERE id = ?1`).bind(host.id, nowMs);
  const [claimed] = await d1.batch<{ id: string; attempts: number; graph_json: string; timeout_ms: number | null; include_previews: number }>([claim, touch]);
  const row = claimed?.results[0];
  if (!row) return null;
  return { jobId: row.id, attemptId, attempts: row.attempts, graphJson: row.graph_json, timeoutMs: row.timeout_ms, includePreviews: row.include_previews === 1 };
}

/** Counts the queued jobs that will be placed before this one (its live position is that + 1). */
export function jobsAheadStatement(d1: D1Database, job: { id: string; priority: number; createdAtMs: number }) {
  return d1
    .prepare(
      `SELECT count(*) AS ahead FROM jobs
        WHERE status = 'queued' AND (priority > ?1 OR (priority = ?1 AND (created_at_ms < ?2 OR (created_at_ms = ?2 AND id < ?3))))`,
    )
    .bind(job.priority, job.createdAtMs, job.id);
}

/** Live position of a queued job: 1 + the queued jobs that will be placed before it. */
export async function queuePositions(d1: D1Database, jobs: { id: string; priority: number; createdAtMs: number }[]) {
  if (jobs.length === 0) return new Map<string, number>();
  const results = await d1.batch<{ ahead: number }>(jobs.map((j) => jobsAheadStatement(d1, j)));
  return new Map(jobs.map((j, i) => [j.id, (results[i]?.results[0]?.ahead ?? 0) + 1]));
}
