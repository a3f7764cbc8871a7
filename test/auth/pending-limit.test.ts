import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { db } from "../../src/db/client";
import { ApiError } from "../../src/errors";
import { submitJob } from "../../src/jobs/submit";
import { call, tinyGraph } from "../helpers/gateway";
import { PENDING_LIMIT } from "./closed-config";
import { bearer, createKey, jwtSubOwner, mintJwt } from "./helpers";

/** Pending limits: the INSERT itself is conditional, so concurrent submissions never overshoot. */
const pendingOf = async (owner: string) =>
  (await env.DB.prepare("SELECT count(*) AS n FROM jobs WHERE owner = ? AND status IN ('queued','running','canceling')").bind(owner).first<{ n: number }>())!.n;
const jobsOf = async (owner: string) => (await env.DB.prepare("SELECT count(*) AS n FROM jobs WHERE owner = ?").bind(owner).first<{ n: number }>())!.n;
const submitAs = (headers: Record<string, string>, extra: Record<string, string> = {}, seed = Math.floor(Math.random() * 1e9)) =>
  call("POST", "/jobs", { workflow: tinyGraph(seed) }, { ...headers, ...extra });

describe("pending limits", () => {
  it(`accepts exactly PENDING_LIMIT (${PENDING_LIMIT}) of 25 concurrent submissions from one owner, never more`, async () => {
    const sub = `pending-${crypto.randomUUID()}`;
    const headers = bearer(await mintJwt({ sub }));
    const rs = await Promise.all(Array.from({ length: 25 }, () => submitAs(headers)));
    expect(rs.filter((r) => r.status === 202)).toHaveLength(PENDING_LIMIT);
    const full = rs.filter((r) => r.status === 429);
    expect(full).toHaveLength(25 - PENDING_LIMIT);
    for (const r of full) {
      expect(r.json).toMatchObject({ error: "QUEUE_FULL", retryable: true, details: { scope: "owner", limit: PENDING_LIMIT } });
      expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
    }
    expect(await jobsOf(jwtSubOwner(sub))).toBe(PENDING_LIMIT);
  });

  it("applies a stored key's own pending limit", async () => {
    const key = await createKey({ pendingLimit: 2 });
    const rs = await Promise.all(Array.from({ length: 6 }, () => submitAs(key.headers)));
    expect(rs.map((r) => r.status).sort()).toEqual([202, 202, 429, 429, 429, 429]);
    expect(await pendingOf(key.owner)).toBe(2);
  });

  it("writes nothing over the limit, not even the Idempotency-Key, and accepts again once a job has finished", async () => {
    const key = await createKey({ pendingLimit: 1 });
    const first = await submitAs(key.headers);
    expect(first.status).toBe(202);
    const idem = crypto.randomUUID();
    const refused = await submitAs(key.headers, { "idempotency-key": idem }, 42);
    expect(refused.status).toBe(429);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM idempotency_keys WHERE key = ?").bind(idem).first("n")).toBe(0);
    expect(await jobsOf(key.owner)).toBe(1);
    expect((await call("POST", `/jobs/${first.json.id}/cancel`, undefined, key.headers)).status).toBe(200);
    const retried = await submitAs(key.headers, { "idempotency-key": idem }, 42);
    expect(retried.status).toBe(202);
    expect(retried.headers.get("idempotent-replayed")).toBeNull();
  });

  it("still answers a retried submission at the limit with its first job", async () => {
    const key = await createKey({ pendingLimit: 1 });
    const idem = crypto.randomUUID();
    const a = await submitAs(key.headers, { "idempotency-key": idem }, 7);
    const b = await submitAs(key.headers, { "idempotency-key": idem }, 7);
    expect([a.status, b.status]).toEqual([202, 200]);
    expect(b.json.id).toBe(a.json.id);
  });

  it("holds the deployment-wide limit under concurrent submissions from many owners", async () => {
    const d = db(env.DB);
    const before = (await env.DB.prepare("SELECT count(*) AS n FROM jobs WHERE status IN ('queued','running','canceling')").first<{ n: number }>())!.n;
    const global = before + 4;
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        submitJob(d, { id: `global-${i}-${crypto.randomUUID()}`, role: "user", via: "jwt" }, { workflow: tinyGraph(i), priority: 0 }, {
          nowMs: Date.now(), limits: { maxImageSize: 2048, maxBatchSize: 8 }, pending: { owner: 100, global },
        }).then(() => "accepted", (e: unknown) => (e instanceof ApiError ? `${e.code}:${(e.more.details as { scope: string }).scope}` : String(e))),
      ),
    );
    expect(outcomes.filter((o) => o === "accepted")).toHaveLength(4);
    expect(outcomes.filter((o) => o === "QUEUE_FULL:global")).toHaveLength(8);
  });
});
