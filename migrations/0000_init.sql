CREATE TABLE `hosts` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`url` text NOT NULL,
	`headers_json` text DEFAULT '{}' NOT NULL,
	`slots` integer NOT NULL,
	`state` text DEFAULT 'online' NOT NULL,
	`last_error` text,
	`last_seen_at_ms` integer,
	`last_assigned_at_ms` integer DEFAULT 0 NOT NULL,
	`created_at_ms` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `hosts_name_unique` ON `hosts` (`name`);--> statement-breakpoint
CREATE TABLE `idempotency_keys` (
	`owner` text NOT NULL,
	`key` text NOT NULL,
	`request_hash` text NOT NULL,
	`job_id` text NOT NULL,
	`created_at_ms` integer NOT NULL,
	PRIMARY KEY(`owner`, `key`)
);
--> statement-breakpoint
CREATE TABLE `jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`owner` text NOT NULL,
	`status` text NOT NULL,
	`priority` integer DEFAULT 0 NOT NULL,
	`workflow_id` text,
	`workflow_version` integer,
	`graph_json` text NOT NULL,
	`inputs_json` text,
	`metadata_json` text DEFAULT '{}' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`attempt_id` text,
	`host_id` text,
	`host_name` text,
	`progress_json` text,
	`outputs_json` text DEFAULT '[]' NOT NULL,
	`error_json` text,
	`timeout_ms` integer,
	`queue_ms` integer,
	`execution_ms` integer,
	`created_at_ms` integer NOT NULL,
	`updated_at_ms` integer NOT NULL,
	`enqueued_at_ms` integer NOT NULL,
	`started_at_ms` integer,
	`completed_at_ms` integer
);
--> statement-breakpoint
CREATE INDEX `jobs_queue_order` ON `jobs` (`status`,`priority`,`created_at_ms`);--> statement-breakpoint
CREATE INDEX `jobs_owner_created` ON `jobs` (`owner`,`created_at_ms`);--> statement-breakpoint
CREATE INDEX `jobs_host_status` ON `jobs` (`host_id`,`status`);--> statement-breakpoint
CREATE TABLE `settings` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `workflow_versions` (
	`workflow_id` text NOT NULL,
	`version` integer NOT NULL,
	`graph_json` text NOT NULL,
	`inputs_json` text NOT NULL,
	`created_at_ms` integer NOT NULL,
	PRIMARY KEY(`workflow_id`, `version`)
);
--> statement-breakpoint
CREATE TABLE `workflows` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`version` integer NOT NULL,
	`graph_json` text NOT NULL,
	`inputs_json` text DEFAULT '{}' NOT NULL,
	`created_at_ms` integer NOT NULL,
	`updated_at_ms` integer NOT NULL
);
