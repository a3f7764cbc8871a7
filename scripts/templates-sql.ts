// Writes the built-in workflows' seeding migrations (0004, 0005, …) and upgrades (0009) from src/workflows/templates.ts.
import { writeFileSync } from "node:fs";
import { MIGRATIONS, migrationSql } from "../src/workflows/templates.ts";

for (const m of MIGRATIONS) writeFileSync(new URL(`../migrations/${m.name}.sql`, import.meta.url), migrationSql(m));
