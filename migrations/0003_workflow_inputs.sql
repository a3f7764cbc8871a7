CREATE TABLE `input_cache` (
	`key` text PRIMARY KEY NOT NULL,
	`url` text NOT NULL,
	`content_type` text NOT NULL,
	`bytes` integer NOT NULL,
	`created_at_ms` integer NOT NULL,
	`last_used_at_ms` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `input_cache_lru` ON `input_cache` (`last_used_at_ms`);--> statement-breakpoint
CREATE TABLE `uploads` (
	`id` text PRIMARY KEY NOT NULL,
	`owner` text NOT NULL,
	`key` text NOT NULL,
	`name` text NOT NULL,
	`content_type` text NOT NULL,
	`bytes` integer NOT NULL,
	`created_at_ms` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `uploads_owner_created` ON `uploads` (`owner`,`created_at_ms`);--> statement-breakpoint
ALTER TABLE `hosts` ADD `models_json` text;--> statement-breakpoint
ALTER TABLE `hosts` ADD `models_at_ms` integer;--> statement-breakpoint
ALTER TABLE `jobs` ADD `input_files_json` text;--> statement-breakpoint
ALTER TABLE `jobs` ADD `comfy_key_enc` text;--> statement-breakpoint
ALTER TABLE `jobs` ADD `include_previews` integer DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX `jobs_completed` ON `jobs` (`completed_at_ms`);