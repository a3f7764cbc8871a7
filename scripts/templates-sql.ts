// Writes migration 0004 (the built-in workflows) from src/workflows/templates.ts.
import { writeFileSync } from "node:fs";
import { templatesSql } from "../src/workflows/templates.ts";

writeFileSync(new URL("../migrations/0004_builtin_workflows.sql", import.meta.url), templatesSql());
