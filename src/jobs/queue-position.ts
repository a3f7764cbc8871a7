import { STATUS } from "./states";

/** Counts the queued jobs that will be placed before this one (its live position is that + 1). */
export function jobsAheadStatement(d1: D1Database, job: { id: string; priority: number; createdAtMs: number }) {
  return d1
    .prepare(
      `SELECT count(*) AS ahead FROM jobs
        WHERE status = '${STATUS.queued}' AND (priority > ?1 OR (priority = ?1 AND (created_at_ms < ?2 OR (created_at_ms = ?2 AND id < ?3))))`,
    )
    .bind(job.priority, job.createdAtMs, job.id);
}

/** Live position of queued jobs: 1 + the queued jobs that will be placed before each, in one round trip. */
export async function queuePositions(d1: D1Database, jobs: { id: string; priority: number; createdAtMs: number }[]) {
  if (jobs.length === 0) return new Map<string, number>();
  const results = await d1.batch<{ ahead: number }>(jobs.map((j) => jobsAheadStatement(d1, j)));
  return new Map(jobs.map((j, i) => [j.id, (results[i]?.results[0]?.ahead ?? 0) + 1]));
}
