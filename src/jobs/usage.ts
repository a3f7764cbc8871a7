import { ApiError } from "../errors";
import { JOB_STATUSES, type JobStatus } from "./states";

/** Jobs by status and GPU-seconds (sum of execution_ms / 1000) per UTC day, by the day each job was submitted. */
export type UsageRow = { day: string; status: JobStatus; jobs: number; executionMs: number };
type Counts = Record<JobStatus, number> & { total: number };
export type UsageDay = { date: string; jobs: Counts; gpuSeconds: number };

const DAY_MS = 86_400_000;
export const MAX_USAGE_DAYS = 366;

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const dayStart = (day: string) => Date.parse(`${day}T00:00:00Z`);

/** The requested range of days, inclusive; by default the 30 days ending today (UTC). */
export function usageRange(from: string | undefined, to: string | undefined, nowMs: number) {
  const toDay = to ?? isoDay(nowMs);
  const fromDay = from ?? isoDay(dayStart(toDay) - 29 * DAY_MS);
  const fromMs = dayStart(fromDay);
  const toMs = dayStart(toDay) + DAY_MS;
  if (fromMs >= toMs) throw new ApiError("VALIDATION_FAILED", "Invalid query: from: must not be after to");
  if ((toMs - fromMs) / DAY_MS > MAX_USAGE_DAYS) throw new ApiError("VALIDATION_FAILED", `Invalid query: at most ${MAX_USAGE_DAYS} days at a time`);
  return { from: fromDay, to: toDay, fromMs, toMs };
}

const zero = (): Counts => ({ ...(Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<JobStatus, number>), total: 0 });
const seconds = (ms: number) => Math.round(ms) / 1000;

/** Every day of the range, zeros included, so a chart needs no gap-filling. */
export function usageReport(rows: readonly UsageRow[], range: { from: string; fromMs: number; toMs: number }) {
  const byDay = new Map<string, { jobs: Counts; ms: number }>();
  for (let t = range.fromMs; t < range.toMs; t += DAY_MS) byDay.set(isoDay(t), { jobs: zero(), ms: 0 });
  const totals = { jobs: zero(), ms: 0 };
  for (const r of rows) {
    const d = byDay.get(r.day);
    if (!d) continue;
    for (const acc of [d, totals]) {
      acc.jobs[r.status] += r.jobs;
      acc.jobs.total += r.jobs;
      acc.ms += r.executionMs;
    }
  }
  return {
    days: [...byDay].map(([date, d]): UsageDay => ({ date, jobs: d.jobs, gpuSeconds: seconds(d.ms) })),
    totals: { jobs: totals.jobs, gpuSeconds: seconds(totals.ms) },
  };
}

export async function usageRows(d1: D1Database, owner: string, fromMs: number, toMs: number): Promise<UsageRow[]> {
  const r = await d1
    .prepare(
      `SELECT strftime('%Y-%m-%d', created_at_ms / 1000, 'unixepoch') AS day, status, count(*) AS jobs, coalesce(sum(execution_ms), 0) AS executionMs
       FROM jobs WHERE owner = ? AND created_at_ms >= ? AND created_at_ms < ? GROUP BY day, status`,
    )
    .bind(owner, fromMs, toMs)
    .all<UsageRow>();
  return r.results;
}
