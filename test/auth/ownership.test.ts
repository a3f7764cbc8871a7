import { beforeAll, describe, expect, it } from "vitest";
import { call, tinyGraph } from "../helpers/gateway";
import { ADMIN_KEY, OTHER_USER_KEY, USER_KEY } from "./closed-config";
import { apiKey, bearer, configKeyOwner, insertDelivery, insertJob, mintJwt, textOutput } from "./helpers";

/**
 * A user sees and cancels only its own jobs and outputs: another owner's id answers exactly what
 * a missing one does (404), never 403. Admin sees everything.
 */
const alice = apiKey(USER_KEY);
const bob = apiKey(OTHER_USER_KEY);
const root = apiKey(ADMIN_KEY);

let aliceOwner: string;
let queuedId: string;
let doneId: string;
let deliveryId: string;

beforeAll(async () => {
  aliceOwner = await configKeyOwner(USER_KEY);
  const r = await call("POST", "/jobs", { workflow: tinyGraph(Math.floor(Math.random() * 1e6)) }, alice);
  expect(r.status).toBe(202);
  queuedId = r.json.id;
  doneId = await insertJob(aliceOwner, { outputs: [textOutput("caption.txt", "alice's caption")] });
  deliveryId = await insertDelivery(aliceOwner, doneId);
});

describe("another user's job", () => {
  const missing = () => crypto.randomUUID();
  it.each([
    { attempt: "GET /jobs/:id", method: "GET", path: (id: string) => `/jobs/${id}` },
    { attempt: "POST /jobs/:id/cancel", method: "POST", path: (id: string) => `/jobs/${id}/cancel` },
    { attempt: "GET /jobs/:id/outputs/:name", method: "GET", path: (id: string) => `/jobs/${id}/outputs/caption.txt` },
    { attempt: "GET /v1/jobs/:id", method: "GET", path: (id: string) => `/v1/jobs/${id}` },
  ])("$attempt answers 404, the same as a job that does not exist", async ({ method, path }) => {
    for (const id of [queuedId, doneId]) {
      const theirs = await call(method, path(id), undefined, bob);
      const none = await call(method, path(missing()), undefined, bob);
      expect(theirs.status).toBe(404);
      expect(none.status).toBe(404);
      expect({ ...theirs.json, requestId: undefined }).toEqual({ ...none.json, requestId: undefined });
      expect(theirs.text).not.toContain("alice's caption");
    }
  });

  it("is not canceled by a refused cancel", async () => {
    await call("POST", `/jobs/${queuedId}/cancel`, undefined, bob);
    expect((await call("GET", `/jobs/${queuedId}`, undefined, alice)).json.status).toBe("queued");
  });

  it("is not in their list, however they filter or page", async () => {
    for (const q of ["", "?status=queued", "?status=succeeded", "?limit=100"]) {
      const ids = (await call("GET", `/jobs${q}`, undefined, bob)).json.items.map((j: { id: string }) => j.id);
      expect(ids).not.toContain(queuedId);
      expect(ids).not.toContain(doneId);
    }
  });

  it("is not reachable through a JWT whose sub is someone else", async () => {
    expect((await call("GET", `/jobs/${doneId}`, undefined, bearer(await mintJwt()))).status).toBe(404);
  });
});

describe("another user's webhook delivery", () => {
  it.each([
    { attempt: "GET /webhooks/deliveries/:id", method: "GET", path: (id: string) => `/webhooks/deliveries/${id}` },
    { attempt: "POST /webhooks/deliveries/:id/redeliver", method: "POST", path: (id: string) => `/webhooks/deliveries/${id}/redeliver` },
  ])("$attempt answers 404, the same as a delivery that does not exist", async ({ method, path }) => {
    const theirs = await call(method, path(deliveryId), undefined, bob);
    const none = await call(method, path(`${crypto.randomUUID()}:succeeded`), undefined, bob);
    expect([theirs.status, none.status]).toEqual([404, 404]);
    expect({ ...theirs.json, requestId: undefined }).toEqual({ ...none.json, requestId: undefined });
  });

  it("is not in their list, even when they ask for its job", async () => {
    for (const q of ["", `?jobId=${doneId}`]) {
      const ids = (await call("GET", `/webhooks/deliveries${q}`, undefined, bob)).json.items.map((d: { id: string }) => d.id);
      expect(ids).not.toContain(deliveryId);
    }
    expect((await call("GET", `/webhooks/deliveries?jobId=${doneId}`, undefined, alice)).json.items.map((d: { id: string }) => d.id)).toContain(deliveryId);
    expect((await call("GET", `/webhooks/deliveries/${deliveryId}`, undefined, root)).status).toBe(200);
  });
});

describe("the owner and admin", () => {
  it("the owner reads its job and its output", async () => {
    expect((await call("GET", `/jobs/${doneId}`, undefined, alice)).status).toBe(200);
    const out = await call("GET", `/jobs/${doneId}/outputs/caption.txt`, undefined, alice);
    expect([out.status, out.text]).toEqual([200, "alice's caption"]);
  });

  it("admin sees everyone's jobs, reads any output and cancels any job", async () => {
    const ids = (await call("GET", "/jobs?limit=100", undefined, root)).json.items.map((j: { id: string }) => j.id);
    expect(ids).toEqual(expect.arrayContaining([queuedId, doneId]));
    expect((await call("GET", `/jobs/${doneId}/outputs/caption.txt`, undefined, root)).status).toBe(200);
    const own = await call("POST", "/jobs", { workflow: tinyGraph(Math.floor(Math.random() * 1e6)) }, alice);
    expect((await call("POST", `/jobs/${own.json.id}/cancel`, undefined, root)).json.status).toBe("canceled");
  });
});

describe("GET /usage", () => {
  const day = (d: string, h = 12) => Date.parse(`${d}T${String(h).padStart(2, "0")}:00:00Z`);

  it("counts jobs by status and GPU-seconds per UTC day", async () => {
    const owner = `usage-${crypto.randomUUID()}`;
    await insertJob(owner, { status: "succeeded", executionMs: 1_500, createdAtMs: day("2026-03-01", 0) });
    await insertJob(owner, { status: "succeeded", executionMs: 2_250, createdAtMs: day("2026-03-01", 23) });
    await insertJob(owner, { status: "failed", executionMs: 250, createdAtMs: day("2026-03-02") });
    await insertJob(owner, { status: "canceled", createdAtMs: day("2026-03-03") });
    await insertJob(owner, { status: "succeeded", executionMs: 99_000, createdAtMs: day("2026-02-28", 23) });
    await insertJob("someone-else", { status: "succeeded", executionMs: 5_000, createdAtMs: day("2026-03-01") });
    const r = await call("GET", `/usage?owner=${owner}&from=2026-03-01&to=2026-03-03`, undefined, root);
    expect(r.status, r.text).toBe(200);
    expect(r.json).toMatchObject({ owner, from: "2026-03-01", to: "2026-03-03" });
    expect(r.json.days.map((d: { date: string; jobs: { total: number }; gpuSeconds: number }) => [d.date, d.jobs.total, d.gpuSeconds])).toEqual([
      ["2026-03-01", 2, 3.75],
      ["2026-03-02", 1, 0.25],
      ["2026-03-03", 1, 0],
    ]);
    expect(r.json.days[0].jobs).toMatchObject({ succeeded: 2, failed: 0, queued: 0 });
    expect(r.json.totals).toMatchObject({ gpuSeconds: 4, jobs: { total: 4, succeeded: 2, failed: 1, canceled: 1 } });
  });

  it("shows a user its own usage, and refuses another owner's with 403", async () => {
    const mine = await call("GET", "/usage", undefined, alice);
    expect(mine.status).toBe(200);
    expect(mine.json.owner).toBe(aliceOwner);
    expect(mine.json.days).toHaveLength(30);
    expect((await call("GET", `/usage?owner=${aliceOwner}`, undefined, alice)).status).toBe(200);
    const theirs = await call("GET", `/usage?owner=${aliceOwner}`, undefined, bob);
    expect(theirs.status).toBe(403);
    expect(theirs.json).toMatchObject({ error: "FORBIDDEN", message: "Admin role required for this operation" });
  });

  it.each([
    { q: "?from=2026-03-05&to=2026-03-01", why: "from after to" },
    { q: "?from=2024-01-01&to=2026-01-01", why: "more than 366 days" },
    { q: "?from=yesterday", why: "not a date" },
    { q: "?days=7", why: "an unknown parameter" },
  ])("refuses $why with 400", async ({ q }) => {
    expect((await call("GET", `/usage${q}`, undefined, alice)).status).toBe(400);
  });
});
