-- Hosts' model files, one indexed row each, for placement (src/jobs/moves.ts).
CREATE TABLE `host_models` (
	`host_id` text NOT NULL,
	`key` text NOT NULL,
	PRIMARY KEY(`host_id`, `key`),
	FOREIGN KEY (`host_id`) REFERENCES `hosts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
-- The lists hosts already have, as keys (unet and clip are the old names of diffusion_models and text_encoders).
INSERT OR IGNORE INTO `host_models` (`host_id`, `key`)
  SELECT h.id, (CASE folder.key WHEN 'unet' THEN 'diffusion_models' WHEN 'clip' THEN 'text_encoders' ELSE folder.key END) || '/' || file.value
    FROM hosts h, json_each(h.models_json) folder, json_each(folder.value) file WHERE h.models_json IS NOT NULL;
