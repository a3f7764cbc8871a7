import { log } from "../lib/log";
import { legacyJwtOwner } from "./owner";

/**
 * Rows a JWT made before owner ids had namespaces carry no issuer, so migration 0006 left them under
 * `jwt:?:<sub>`; the first token with that `sub` takes them for its own owner id. Only a JWT can:
 * the rows were a JWT subject's, and before 0006 every trusted issuer's token with that `sub` saw
 * them anyway. Each isolate asks D1 once per owner per RECHECK_MS (an indexed read), and writes only
 * when something is there to take.
 */
const OWNER_TABLES = ["jobs", "uploads", "webhook_deliveries", "idempotency_keys"] as const;
const RECHECK_MS = 10 * 60_000;
const MAX_REMEMBERED = 10_000;

const checked = new Map<string, number>();

export async function adoptLegacyJwtRows(d1: D1Database, sub: string, owner: string, nowMs: number): Promise<void> {
  const at = checked.get(owner);
  if (at !== undefined && nowMs - at < RECHECK_MS) return;
  const legacy = legacyJwtOwner(sub);
  const found = await d1
    .prepare(`SELECT ${OWNER_TABLES.map((t) => `EXISTS (SELECT 1 FROM ${t} WHERE owner = ?1)`).join(" OR ")} AS found`)
    .bind(legacy)
    .first<{ found: number }>();
  if (found?.found) {
    const moved = await d1.batch([
      ...OWNER_TABLES.map((t) => d1.prepare(`UPDATE ${t === "idempotency_keys" ? "OR IGNORE " : ""}${t} SET owner = ?1 WHERE owner = ?2`).bind(owner, legacy)),
      // A record the owner has made again since the migration supersedes the old one.
      d1.prepare("DELETE FROM idempotency_keys WHERE owner = ?1").bind(legacy),
    ]);
    log.info("auth.legacy_rows_adopted", { owner, rows: moved.slice(0, OWNER_TABLES.length).reduce((n, r) => n + (r.meta.changes ?? 0), 0) });
  }
  if (checked.size >= MAX_REMEMBERED) checked.clear();
  checked.set(owner, nowMs);
}
