CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`role` text NOT NULL,
	`secret_hash` text NOT NULL,
	`prefix` text NOT NULL,
	`rate_limit_max` integer,
	`pending_limit` integer,
	`expires_at_ms` integer,
	`created_at_ms` integer NOT NULL,
	`revoked_at_ms` integer,
	`last_used_at_ms` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_secret_hash_unique` ON `api_keys` (`secret_hash`);--> statement-breakpoint
CREATE INDEX `api_keys_created` ON `api_keys` (`created_at_ms`);--> statement-breakpoint
CREATE TABLE `webhook_attempts` (
	`delivery_id` text NOT NULL,
	`attempt` integer NOT NULL,
	`at_ms` integer NOT NULL,
	`status_code` integer,
	`latency_ms` integer,
	`error` text,
	`response_snippet` text,
	PRIMARY KEY(`delivery_id`, `attempt`)
);
--> statement-breakpoint
CREATE TABLE `webhook_deliveries` (
	`id` text PRIMARY KEY NOT NULL,
	`job_id` text NOT NULL,
	`owner` text NOT NULL,
	`event` text NOT NULL,
	`url` text NOT NULL,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at_ms` integer,
	`last_status_code` integer,
	`last_error` text,
	`created_at_ms` integer NOT NULL,
	`updated_at_ms` integer NOT NULL,
	`completed_at_ms` integer
);
--> statement-breakpoint
CREATE INDEX `deliveries_job` ON `webhook_deliveries` (`job_id`,`created_at_ms`);--> statement-breakpoint
CREATE INDEX `deliveries_owner_status` ON `webhook_deliveries` (`owner`,`status`);--> statement-breakpoint
ALTER TABLE `jobs` ADD `callback_url` text;--> statement-breakpoint
ALTER TABLE `jobs` ADD `events_json` text;--> statement-breakpoint
ALTER TABLE `jobs` ADD `webhook_json` text;