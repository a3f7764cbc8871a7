-- The model files a job needs (src/workflows/models-needed.ts), matched against hosts.models_json when it is claimed.
ALTER TABLE `jobs` ADD `models_json` text;