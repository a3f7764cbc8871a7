import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { adoptLegacyJwtRows } from "../../src/auth/legacy-owners";
import { jwtOwner, legacyJwtOwner } from "../../src/auth/owner";

/** The hand-over of a JWT subject's pre-0006 rows (`jwt:?:<sub>`), against the real local D1. */
const ownersOf = async (table: string, owner: string) =>
  (await env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE owner = ?`).bind(owner).first<{ n: number }>())!.n;

async function legacyRows(sub: string, idemKeys: string[]) {
  const legacy = legacyJwtOwner(sub);
  const job = crypto.randomUUID();
  const now = Date.now();
  await env.DB.batch([
    env.DB.prepare(
      `INSERT INTO jobs (id, owner, status, priority, graph_json, metadata_json, attempts, outputs_json, created_at_ms, updated_at_ms, enqueued_at_ms)
       VALUES (?, ?, 'canceled', 0, '{}', '{}', 0, '[]', ?, ?, ?)`,
    ).bind(job, legacy, now, now, now),
    env.DB.prepare("INSERT INTO uploads (id, owner, key, name, content_type, bytes, created_at_ms) VALUES (?, ?, 'uploads/x', 'x.png', 'image/png', 1, ?)").bind(crypto.randomUUID(), legacy, now),
    env.DB.prepare(
      `INSERT INTO webhook_deliveries (id, job_id, owner, event, url, status, attempts, created_at_ms, updated_at_ms) VALUES (?, ?, ?, 'canceled', 'https://127.0.0.1:9/h', 'failed', 1, ?, ?)`,
    ).bind(`${job}:canceled`, job, legacy, now, now),
    ...idemKeys.map((k) => env.DB.prepare("INSERT INTO idempotency_keys (owner, key, request_hash, job_id, created_at_ms) VALUES (?, ?, 'old-hash', ?, ?)").bind(legacy, k, job, now)),
  ]);
  return job;
}

describe("adoptLegacyJwtRows", () => {
  it("moves every table's jwt:?:<sub> rows to the subject's owner id, and no one else's", async () => {
    const sub = `s-${crypto.randomUUID()}`;
    const other = `s-${crypto.randomUUID()}`;
    await legacyRows(sub, ["k1", "k2"]);
    await legacyRows(other, ["k1"]);
    const owner = jwtOwner("https://idp.example", sub);
    await adoptLegacyJwtRows(env.DB, sub, owner, Date.now());
    for (const t of ["jobs", "uploads", "webhook_deliveries"]) {
      expect([t, await ownersOf(t, owner), await ownersOf(t, legacyJwtOwner(sub))]).toEqual([t, 1, 0]);
      expect([t, await ownersOf(t, legacyJwtOwner(other))]).toEqual([t, 1]);
    }
    expect(await ownersOf("idempotency_keys", owner)).toBe(2);
    expect(await ownersOf("idempotency_keys", legacyJwtOwner(other))).toBe(1);
  });

  it("keeps an idempotency record the subject made again since the migration, and drops the old one", async () => {
    const sub = `s-${crypto.randomUUID()}`;
    const owner = jwtOwner(undefined, sub);
    await legacyRows(sub, ["again", "only-old"]);
    await env.DB.prepare("INSERT INTO idempotency_keys (owner, key, request_hash, job_id, created_at_ms) VALUES (?, 'again', 'new-hash', 'new-job', ?)").bind(owner, Date.now()).run();
    await adoptLegacyJwtRows(env.DB, sub, owner, Date.now());
    const rows = await env.DB.prepare("SELECT key, request_hash AS hash FROM idempotency_keys WHERE owner = ? ORDER BY key").bind(owner).all();
    expect(rows.results).toEqual([{ key: "again", hash: "new-hash" }, { key: "only-old", hash: "old-hash" }]);
    expect(await ownersOf("idempotency_keys", legacyJwtOwner(sub))).toBe(0);
  });

  it("looks again only after a while, so a subject's every request does not cost a D1 read", async () => {
    const sub = `s-${crypto.randomUUID()}`;
    const owner = jwtOwner(undefined, sub);
    const t0 = Date.now();
    await adoptLegacyJwtRows(env.DB, sub, owner, t0);
    await legacyRows(sub, []);
    await adoptLegacyJwtRows(env.DB, sub, owner, t0 + 60_000);
    expect(await ownersOf("jobs", owner)).toBe(0);
    await adoptLegacyJwtRows(env.DB, sub, owner, t0 + 10 * 60_000);
    expect(await ownersOf("jobs", owner)).toBe(1);
  });
});
