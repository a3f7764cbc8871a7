/**
 * Running totals kept in D1 (`counters`) for what no row records, read by GET /metrics. Writers
 * add in batches (a RateLimiterDO once per window, not once per refusal), so the row stays cold.
 */
export const RATE_LIMIT_REFUSALS = "rate_limit_refusals";

export async function addToCounter(d1: D1Database, name: string, n: number): Promise<void> {
  await d1
    .prepare("INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value")
    .bind(name, n)
    .run();
}
