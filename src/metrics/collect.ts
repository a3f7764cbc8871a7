import { RATE_LIMIT_REFUSALS } from "./counters";
import { sqlList, STATUS } from "../jobs/states";

/** Upper bounds (seconds) shared by the queue, execution and total-time histograms. */
export const DURATION_BOUNDS_S = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600] as const;
/** Histograms, retries, failures and per-host counts cover jobs that finished this recently. */
export const RECENT_WINDOW_MS = 3_600_000;

/** Durations in seconds: cumulative[i] jobs took at most DURATION_BOUNDS_S[i]. */
export type Durations = { cumulative: number[]; count: number; sum: number };
export type Counted = { labels: Record<string, string>; n: number };

export type FleetStats = {
  jobsByStatus: Counted[];
  queue: { depth: number; oldestCreatedAtMs: number | null };
  recent: { finished: number; retries: number; queue: Durations; execution: Durations; total: Durations };
  failuresByCode: Counted[];
  finishedByHost: Counted[];
  webhookDeliveries: Counted[];
  rateLimitRefusals: number;
};

/** The three durations of a finished job, as SQL over a `jobs` row, in ms. */
const DURATIONS = { queue: "queue_ms", execution: "execution_ms", total: "(completed_at_ms - created_at_ms)" } as const;

/** COUNT, SUM and one `SUM(x <= bound)` per bound: the whole histogram comes back as one row. */
function durationColumns(name: string, expr: string): string {
  const buckets = DURATION_BOUNDS_S.map((b, i) => `COALESCE(SUM(${expr} <= ${b * 1000}), 0) AS ${name}_le${i}`);
  return [`COUNT(${expr}) AS ${name}_count`, `COALESCE(SUM(${expr}), 0) AS ${name}_sum`, ...buckets].join(", ");
}

function durations(row: Record<string, number>, name: string): Durations {
  return {
    cumulative: DURATION_BOUNDS_S.map((_, i) => row[`${name}_le${i}`] ?? 0),
    count: row[`${name}_count`] ?? 0,
    sum: (row[`${name}_sum`] ?? 0) / 1000,
  };
}

type Row = Record<string, number | string | null>;
const counted = (rows: Row[], ...keys: string[]): Counted[] =>
  rows.map((r) => ({ labels: Object.fromEntries(keys.map((k) => [k, String(r[k] ?? "")])), n: Number(r.n) }));

/**
 * Everything /metrics reports from D1, in one batch (one round trip). Each statement reads an
 * index: jobs by status and the queue through jobs_queue_order, recent jobs through jobs_completed,
 * deliveries through deliveries_owner_status. Hosts come from the route (hostLoads), not from here.
 */
export async function collectFleetStats(d1: D1Database, nowMs: number): Promise<FleetStats> {
  const since = nowMs - RECENT_WINDOW_MS;
  const [byStatus, queue, recent, failures, byHost, deliveries, refusals] = await d1.batch<Row>([
    d1.prepare("SELECT status, COUNT(*) AS n FROM jobs GROUP BY status"),
    d1.prepare(`SELECT COUNT(*) AS depth, MIN(created_at_ms) AS oldest FROM jobs WHERE status = ${sqlList([STATUS.queued])}`),
    d1.prepare(
      `SELECT COUNT(*) AS finished, COALESCE(SUM(MAX(attempts - 1, 0)), 0) AS retries, ${Object.entries(DURATIONS).map(([n, e]) => durationColumns(n, e)).join(", ")}
       FROM jobs WHERE completed_at_ms >= ?`,
    ).bind(since),
    d1.prepare(
      `SELECT COALESCE(json_extract(error_json, '$.error'), 'UNKNOWN') AS code, COUNT(*) AS n FROM jobs
       WHERE completed_at_ms >= ? AND status = ${sqlList([STATUS.failed])} GROUP BY code`,
    ).bind(since),
    d1.prepare("SELECT host_name AS host, status, COUNT(*) AS n FROM jobs WHERE completed_at_ms >= ? AND host_name IS NOT NULL GROUP BY host_name, status").bind(since),
    d1.prepare("SELECT status, COUNT(*) AS n FROM webhook_deliveries GROUP BY status"),
    d1.prepare("SELECT value FROM counters WHERE name = ?").bind(RATE_LIMIT_REFUSALS),
  ]);
  const q = queue!.results[0] ?? {};
  const r = (recent!.results[0] ?? {}) as Record<string, number>;
  return {
    jobsByStatus: counted(byStatus!.results, "status"),
    queue: { depth: Number(q.depth ?? 0), oldestCreatedAtMs: q.oldest === null || q.oldest === undefined ? null : Number(q.oldest) },
    recent: { finished: r.finished ?? 0, retries: r.retries ?? 0, queue: durations(r, "queue"), execution: durations(r, "execution"), total: durations(r, "total") },
    failuresByCode: counted(failures!.results, "code"),
    finishedByHost: counted(byHost!.results, "host", "status"),
    webhookDeliveries: counted(deliveries!.results, "status"),
    rateLimitRefusals: Number(refusals!.results[0]?.value ?? 0),
  };
}
