-- Inline outputs (docs/api.md "Outputs inline") and the RunPod facade: which client API a job came through, and its endpoint id.
ALTER TABLE `jobs` ADD `inline_outputs` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `jobs` ADD `facade` text;--> statement-breakpoint
ALTER TABLE `jobs` ADD `endpoint_id` text;