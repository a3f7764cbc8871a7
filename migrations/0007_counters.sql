-- Running totals for GET /metrics (src/metrics/counters.ts): rate-limit refusals, flushed by each RateLimiterDO.
CREATE TABLE `counters` (
	`name` text PRIMARY KEY NOT NULL,
	`value` integer DEFAULT 0 NOT NULL
);
