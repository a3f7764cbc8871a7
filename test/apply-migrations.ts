import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";

// Setup files can run more than once per file; only migrations not yet applied are applied.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
