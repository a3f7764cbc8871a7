import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { OPEN_PRINCIPAL } from "../../src/auth/principal";
import { call, tinyGraph } from "../helpers/gateway";
import { USER_KEY } from "./closed-config";
import { apiKey, bearer, createKey, type Headers, insertDelivery, mintJwt } from "./helpers";
import { TINY_PNG_BASE64 } from "./route-table";

/**
 * Migration 0006 moves owner ids written before they were namespaced (`anonymous`, `key_<hex>`, a
 * stored key's bare id, a JWT's bare `sub`) into their namespaces. Each owner makes its rows through
 * the API, the rows are put back to the spelling the old gateway wrote, the migration's own
 * statements run, and the owner must find everything again, while a JWT whose sub is an old spelling
 * finds nothing.
 */
const OWNER_TABLES = ["jobs", "uploads", "webhook_deliveries", "idempotency_keys"] as const;
const migration = () => env.TEST_MIGRATIONS.find((m) => m.name.startsWith("0006_"));

async function runMigration() {
  const m = migration();
  expect(m?.queries.length ?? 0).toBeGreaterThan(0);
  for (const q of m!.queries) await env.DB.prepare(q).run();
}

const hex16 = async (s: string) =>
  [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s)))].map((b) => b.toString(16).padStart(2, "0")).join("").slice(0, 16);

/** `maker` makes the rows; `headers` reads them after the migration (the same credential, except for a JWT: see beforeAll). */
type Owner = { who: string; maker: Headers; headers: Headers; legacy: string; owner?: string; job?: string; upload?: string; delivery?: string; idem?: { key: string; body: unknown } };
const owners: Owner[] = [];

async function makeRows(o: Owner) {
  const up = await call("POST", "/uploads", { name: "old.png", image: TINY_PNG_BASE64 }, o.maker);
  expect(up.status, up.text).toBe(201);
  o.upload = up.json.id;
  o.owner = (await env.DB.prepare("SELECT owner FROM uploads WHERE id = ?").bind(o.upload).first<{ owner: string }>())!.owner;
  o.idem = { key: `old-${crypto.randomUUID()}`, body: { workflow: tinyGraph(Math.floor(Math.random() * 1e9)) } };
  const job = await call("POST", "/jobs", o.idem.body, { ...o.maker, "idempotency-key": o.idem.key });
  expect(job.status, job.text).toBe(202);
  o.job = job.json.id;
  await call("POST", `/jobs/${o.job}/cancel`, undefined, o.maker);
  o.delivery = await insertDelivery(o.owner, o.job!);
}

/** What the gateway wrote before 0006, for rows this owner made. */
async function backToLegacy(o: Owner) {
  for (const t of OWNER_TABLES) await env.DB.prepare(`UPDATE ${t} SET owner = ? WHERE owner = ?`).bind(o.legacy, o.owner).run();
  const n = await env.DB.prepare("SELECT count(*) AS n FROM jobs WHERE owner = ?").bind(o.legacy).first<{ n: number }>();
  expect(n!.n).toBeGreaterThanOrEqual(1);
}

let openJob: string;

beforeAll(async () => {
  const stored = await createKey({ role: "user" });
  const sub = `old-sub-${crypto.randomUUID()}`;
  // The JWT's rows are made by another subject and handed to `sub`'s old spelling, so the gateway
  // meets `sub` for the first time after the migration, as a gateway deployed after it would.
  owners.push(
    { who: "a key from API_KEYS", maker: apiKey(USER_KEY), headers: apiKey(USER_KEY), legacy: `key_${await hex16(USER_KEY)}` },
    { who: "a stored key", maker: stored.headers, headers: stored.headers, legacy: stored.id },
    { who: "a JWT subject", maker: bearer(await mintJwt()), headers: bearer(await mintJwt({ sub })), legacy: sub },
  );
  for (const o of owners) await makeRows(o);
  openJob = crypto.randomUUID();
  await env.DB.prepare(
    `INSERT INTO jobs (id, owner, status, priority, graph_json, metadata_json, attempts, outputs_json, created_at_ms, updated_at_ms, enqueued_at_ms)
     VALUES (?, 'anonymous', 'canceled', 0, '{}', '{}', 0, '[]', ?, ?, ?)`,
  ).bind(openJob, Date.now(), Date.now(), Date.now()).run();
  for (const o of owners) await backToLegacy(o);
  await runMigration();
});

describe("migration 0006 (owner namespaces)", () => {
  it("gives every old row back to its rightful owner: jobs, uploads, deliveries, idempotency records", async () => {
    for (const o of owners) {
      for (const path of [`/jobs/${o.job}`, `/uploads/${o.upload}`, `/webhooks/deliveries/${o.delivery}`]) {
        expect((await call("GET", path, undefined, o.headers)).status, `${o.who} ${path}`).toBe(200);
      }
      expect((await call("GET", "/jobs?limit=100", undefined, o.headers)).json.items.map((j: { id: string }) => j.id), o.who).toContain(o.job);
      const usage = await call("GET", "/usage", undefined, o.headers);
      const upload = await env.DB.prepare("SELECT owner FROM uploads WHERE id = ?").bind(o.upload).first<{ owner: string }>();
      expect(usage.json.owner, o.who).toBe(upload!.owner);
      expect(usage.json.owner, o.who).not.toBe(o.legacy);
      expect(usage.json.totals.jobs.total, o.who).toBeGreaterThanOrEqual(1);
      const again = await call("POST", "/jobs", o.idem!.body, { ...o.headers, "idempotency-key": o.idem!.key });
      expect([again.status, again.json.id], o.who).toEqual([200, o.job]);
    }
  });

  it("moves open mode's jobs to the open-mode owner, out of reach of a JWT whose sub is the old spelling", async () => {
    const row = await env.DB.prepare("SELECT owner FROM jobs WHERE id = ?").bind(openJob).first<{ owner: string }>();
    expect(row!.owner).toBe(OPEN_PRINCIPAL.id);
    expect((await call("GET", `/jobs/${openJob}`, undefined, bearer(await mintJwt({ sub: "anonymous" })))).status).toBe(404);
  });

  it("leaves no row with an old-style owner a JWT could name", async () => {
    for (const o of owners.filter((x) => x.who !== "a JWT subject")) {
      const as = bearer(await mintJwt({ sub: o.legacy }));
      for (const path of [`/jobs/${o.job}`, `/uploads/${o.upload}`, `/webhooks/deliveries/${o.delivery}`]) {
        expect((await call("GET", path, undefined, as)).status, `${o.who} ${path}`).toBe(404);
      }
    }
  });

  it("changes nothing when its statements run again over namespaced rows", async () => {
    const before = await Promise.all(OWNER_TABLES.map((t) => env.DB.prepare(`SELECT owner, count(*) AS n FROM ${t} GROUP BY owner ORDER BY owner`).all()));
    await runMigration();
    const after = await Promise.all(OWNER_TABLES.map((t) => env.DB.prepare(`SELECT owner, count(*) AS n FROM ${t} GROUP BY owner ORDER BY owner`).all()));
    expect(after.map((r) => r.results)).toEqual(before.map((r) => r.results));
    for (const o of owners) expect((await call("GET", `/jobs/${o.job}`, undefined, o.headers)).status, o.who).toBe(200);
  });
});
