import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { OPEN_PRINCIPAL } from "../../src/auth/principal";
import { call, tinyGraph } from "../helpers/gateway";
import { JWT_ISSUER, USER_KEY } from "./closed-config";
import { apiKey, bearer, createKey, type Headers, insertDelivery, insertJob, mintJwt, textOutput } from "./helpers";
import { TINY_PNG_BASE64 } from "./route-table";

/**
 * Owner ids are namespaced by where the identity came from (open mode, a key from API_KEYS, a
 * stored key, a JWT issuer + sub), so a validly signed token cannot name an owner of another source:
 * not the open-mode owner, not a key's, not another issuer's subject, however its `sub` is spelled.
 * Each victim owns a job, an upload, a webhook delivery and an idempotency record; each attacker is
 * a user JWT whose `sub` spells the victim's owner id, old and new style.
 */
type Victim = {
  source: string;
  owner: string;
  job: string;
  upload: string;
  delivery: string;
  /** Absent for open mode, which cannot be called in this (closed) project. */
  headers?: Headers;
  idempotent?: { key: string; body: unknown; job: string };
  /** Subs an attacker tries, spelling this victim's owner id. */
  subs: string[];
};

const hex16 = async (s: string) =>
  [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s)))].map((b) => b.toString(16).padStart(2, "0")).join("").slice(0, 16);
const ownerOfUpload = async (id: string) => (await env.DB.prepare("SELECT owner FROM uploads WHERE id = ?").bind(id).first<{ owner: string }>())!.owner;
const remaining = (r: { headers: globalThis.Headers }) => Number(r.headers.get("x-ratelimit-remaining"));

/** A victim that can call the API: everything is made through it, and its owner id read back from D1. */
async function callingVictim(source: string, headers: Headers, subs: (owner: string) => string[]): Promise<Victim> {
  const up = await call("POST", "/uploads", { name: "mine.png", image: TINY_PNG_BASE64 }, headers);
  expect(up.status, up.text).toBe(201);
  const owner = await ownerOfUpload(up.json.id);
  const job = await insertJob(owner, { outputs: [textOutput("caption.txt", `${source}'s caption`)], executionMs: 1_000 });
  const delivery = await insertDelivery(owner, job);
  const key = `idem-${crypto.randomUUID()}`;
  const body = { workflow: tinyGraph(Math.floor(Math.random() * 1e9)) };
  const sub = await call("POST", "/jobs", body, { ...headers, "idempotency-key": key });
  expect(sub.status, sub.text).toBe(202);
  await call("POST", `/jobs/${sub.json.id}/cancel`, undefined, headers);
  return { source, owner, job, upload: up.json.id, delivery, headers, idempotent: { key, body, job: sub.json.id }, subs: [...new Set([owner, ...subs(owner)])] };
}

const victims: Victim[] = [];

beforeAll(async () => {
  // Open mode cannot be switched on here; its rows are written as open mode writes them.
  const openJob = await insertJob(OPEN_PRINCIPAL.id, { outputs: [textOutput("caption.txt", "open's caption")], executionMs: 1_000 });
  const openUpload = crypto.randomUUID();
  await env.DB.prepare("INSERT INTO uploads (id, owner, key, name, content_type, bytes, created_at_ms) VALUES (?, ?, ?, 'open.png', 'image/png', 1, ?)")
    .bind(openUpload, OPEN_PRINCIPAL.id, `uploads/${openUpload}`, Date.now()).run();
  victims.push({
    source: "open mode", owner: OPEN_PRINCIPAL.id, job: openJob, upload: openUpload, delivery: await insertDelivery(OPEN_PRINCIPAL.id, openJob),
    subs: [...new Set([OPEN_PRINCIPAL.id, "anonymous", "open:anonymous", "open:", "open"])],
  });

  const hex = await hex16(USER_KEY);
  victims.push(await callingVictim("a key from API_KEYS", apiKey(USER_KEY), () => [`key_${hex}`, `cfg:${hex}`, `key:${hex}`]));

  const stored = await createKey({ role: "user" });
  victims.push(await callingVictim("a stored key", stored.headers, () => [stored.id, `key:${stored.id}`, `key_${stored.id}`, `cfg:${stored.id}`]));

  const sub = `victim-${crypto.randomUUID()}`;
  const token = await mintJwt({ sub });
  const jwtVictim = await callingVictim("another JWT subject", bearer(token), (owner) => [
    `${JWT_ISSUER}:${sub}`, `jwt:${JWT_ISSUER}:${sub}`, `jwt:-:${sub}`, `jwt:?:${sub}`, `jwt::${sub}`, `:${sub}`, owner.slice(0, owner.lastIndexOf(":") + 1) + sub,
  ]);
  jwtVictim.subs = jwtVictim.subs.filter((s) => s !== sub);
  victims.push(jwtVictim);
});

describe.each(["open mode", "a key from API_KEYS", "a stored key", "another JWT subject"])("a JWT whose sub spells the owner id of %s", (source) => {
  const victim = () => victims.find((v) => v.source === source)!;

  it("does not see its jobs, outputs, uploads or deliveries (404, as if they did not exist)", async () => {
    const v = victim();
    expect(v.subs.length).toBeGreaterThan(1);
    for (const sub of v.subs) {
      const as = bearer(await mintJwt({ sub }));
      for (const path of [`/jobs/${v.job}`, `/jobs/${v.job}/outputs/caption.txt`, `/uploads/${v.upload}`, `/webhooks/deliveries/${v.delivery}`]) {
        const r = await call("GET", path, undefined, as);
        expect(r.status, `${sub} ${path}`).toBe(404);
        expect(r.text).not.toContain("caption");
      }
      const jobs = (await call("GET", "/jobs?limit=100", undefined, as)).json.items.map((j: { id: string }) => j.id);
      expect(jobs, sub).not.toContain(v.job);
      const deliveries = (await call("GET", `/webhooks/deliveries?jobId=${v.job}`, undefined, as)).json.items;
      expect(deliveries, sub).toEqual([]);
    }
  });

  it("does not get its usage, and is refused it by name (403)", async () => {
    const v = victim();
    for (const sub of v.subs) {
      const as = bearer(await mintJwt({ sub }));
      const own = await call("GET", "/usage", undefined, as);
      expect(own.status).toBe(200);
      expect(own.json.owner, sub).not.toBe(v.owner);
      expect(own.json.totals.jobs.total, sub).toBe(0);
      expect((await call("GET", `/usage?owner=${encodeURIComponent(v.owner)}`, undefined, as)).status, sub).toBe(403);
    }
  });

});

// Open mode has no credential to submit or be counted with: these two apply to the sources that call.
describe.each(["a key from API_KEYS", "a stored key", "another JWT subject"])("a JWT whose sub spells the owner id of %s", (source) => {
  const victim = () => victims.find((v) => v.source === source)!;

  it("does not replay its Idempotency-Key into the victim's job", async () => {
    const v = victim();
    for (const sub of v.subs) {
      const r = await call("POST", "/jobs", v.idempotent!.body, { ...bearer(await mintJwt({ sub })), "idempotency-key": v.idempotent!.key });
      expect([r.status, r.headers.get("idempotent-replayed")], sub).toEqual([202, null]);
      expect(r.json.id).not.toBe(v.idempotent!.job);
      await call("POST", `/jobs/${r.json.id}/cancel`, undefined, bearer(await mintJwt({ sub })));
    }
  });

  it("does not spend its rate limit", async () => {
    const v = victim();
    for (const sub of v.subs) {
      const as = bearer(await mintJwt({ sub }));
      const before = remaining(await call("GET", "/usage", undefined, v.headers!));
      await call("GET", "/usage", undefined, as);
      const after = remaining(await call("GET", "/usage", undefined, v.headers!));
      expect(before - after, sub).toBe(1);
    }
  });
});

describe("the rightful owners", () => {
  it("still see their own jobs, uploads and deliveries, and replay their own Idempotency-Key", async () => {
    for (const v of victims.filter((x) => x.headers)) {
      for (const path of [`/jobs/${v.job}`, `/uploads/${v.upload}`, `/webhooks/deliveries/${v.delivery}`]) {
        expect((await call("GET", path, undefined, v.headers)).status, `${v.source} ${path}`).toBe(200);
      }
      const usage = await call("GET", "/usage", undefined, v.headers);
      expect(usage.json).toMatchObject({ owner: v.owner });
      expect(usage.json.totals.jobs.total).toBeGreaterThanOrEqual(1);
      const again = await call("POST", "/jobs", v.idempotent!.body, { ...v.headers, "idempotency-key": v.idempotent!.key });
      expect([again.status, again.json.id]).toEqual([200, v.idempotent!.job]);
    }
  });
});
