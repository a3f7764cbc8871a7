import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, tinyGraph } from "../helpers/gateway";

const expectEnvelope = (r: { status: number; json: any }, status: number, error: string) => {
  expect(r.status).toBe(status);
  expect(r.json).toMatchObject({ error, message: expect.any(String) });
  expect(r.json.message.length).toBeGreaterThan(5);
};

async function jobCount() {
  return (await env.DB.prepare("SELECT count(*) AS n FROM jobs").first<{ n: number }>())!.n;
}

describe("POST /jobs validation", () => {
  it.each([
    { name: "no body", body: undefined, status: 415, error: "UNSUPPORTED_MEDIA_TYPE" },
    { name: "malformed JSON", body: "{nope", status: 400, error: "VALIDATION_FAILED" },
    { name: "JSON null", body: "null", status: 400, error: "VALIDATION_FAILED" },
    { name: "an array", body: [], status: 400, error: "VALIDATION_FAILED" },
    { name: "empty object", body: {}, status: 400, error: "VALIDATION_FAILED" },
    { name: "both workflow and workflowId", body: { workflow: tinyGraph(), workflowId: "x" }, status: 400, error: "VALIDATION_FAILED" },
    { name: "an extra field", body: { workflow: tinyGraph(), colour: "red" }, status: 400, error: "VALIDATION_FAILED" },
    { name: "workflow as a string", body: { workflow: "graph" }, status: 400, error: "VALIDATION_FAILED" },
    { name: "an empty graph", body: { workflow: {} }, status: 400, error: "VALIDATION_FAILED" },
    { name: "a node without class_type", body: { workflow: { "1": { inputs: {} } } }, status: 400, error: "VALIDATION_FAILED" },
    { name: "a node with non-object inputs", body: { workflow: { "1": { class_type: "X", inputs: [] } } }, status: 400, error: "VALIDATION_FAILED" },
    { name: "priority as a string", body: { workflow: tinyGraph(), priority: "high" }, status: 400, error: "VALIDATION_FAILED" },
    { name: "priority out of range", body: { workflow: tinyGraph(), priority: 1000 }, status: 400, error: "VALIDATION_FAILED" },
    { name: "fractional priority", body: { workflow: tinyGraph(), priority: 1.5 }, status: 400, error: "VALIDATION_FAILED" },
    { name: "timeoutMs too small", body: { workflow: tinyGraph(), timeoutMs: 5 }, status: 400, error: "VALIDATION_FAILED" },
    { name: "metadata as an array", body: { workflow: tinyGraph(), metadata: [1] }, status: 400, error: "VALIDATION_FAILED" },
    { name: "oversized metadata", body: { workflow: tinyGraph(), metadata: { big: "x".repeat(20_000) } }, status: 400, error: "VALIDATION_FAILED" },
    { name: "inputs without workflowId", body: { workflow: tinyGraph(), inputs: { a: 1 } }, status: 400, error: "VALIDATION_FAILED" },
    { name: "an unknown stored workflow", body: { workflowId: "nope" }, status: 400, error: "VALIDATION_FAILED" },
    { name: "an image over MAX_IMAGE_SIZE", body: { workflow: { "5": { class_type: "EmptyLatentImage", inputs: { width: 8192, height: 512, batch_size: 1 } } } }, status: 400, error: "VALIDATION_FAILED" },
    { name: "a batch over MAX_BATCH_SIZE", body: { workflow: { "5": { class_type: "EmptyLatentImage", inputs: { width: 512, height: 512, batch_size: 64 } } } }, status: 400, error: "VALIDATION_FAILED" },
    { name: "a bad workflowId spelling", body: { workflowId: "../etc" }, status: 400, error: "VALIDATION_FAILED" },
  ])("refuses $name with $status $error and writes nothing", async ({ body, status, error }) => {
    const before = await jobCount();
    const r = await call("POST", "/jobs", body, body === undefined ? {} : { "content-type": "application/json" });
    expectEnvelope(r, status, error);
    expect(await jobCount()).toBe(before);
  });

  it("names the failing field in the message and in details", async () => {
    const r = await call("POST", "/jobs", { workflow: tinyGraph(), priority: "high" });
    expect(r.json.message).toContain("priority");
    expect(r.json.details.issues[0]).toMatchObject({ path: "priority" });
  });

  it("refuses a body over MAX_BODY_BYTES with 413", async () => {
    const r = await call("POST", "/jobs", { workflow: tinyGraph(), metadata: { pad: "x".repeat(11 * 1024 * 1024) } });
    expectEnvelope(r, 413, "PAYLOAD_TOO_LARGE");
  });

  it("refuses a non-JSON content type with 415", async () => {
    const r = await call("POST", "/jobs", JSON.stringify({ workflow: tinyGraph() }), { "content-type": "text/plain" });
    expectEnvelope(r, 415, "UNSUPPORTED_MEDIA_TYPE");
  });

  it("accepts a valid job with 202 and the documented job shape", async () => {
    const r = await call("POST", "/jobs", { workflow: tinyGraph(), metadata: { order: 7 } });
    expect(r.status).toBe(202);
    expect(r.json).toMatchObject({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/), status: "queued", workflowId: null, priority: 0, attempts: 0, host: null,
      queuePosition: expect.any(Number), progress: null, outputs: [], error: null, metrics: { queueMs: null, executionMs: null },
      createdAt: expect.any(String), startedAt: null, completedAt: null, metadata: { order: 7 },
    });
  });
});

describe("Idempotency-Key", () => {
  it("returns the first job for a retried submission", async () => {
    const key = crypto.randomUUID();
    const a = await call("POST", "/jobs", { workflow: tinyGraph(1) }, { "idempotency-key": key });
    const b = await call("POST", "/jobs", { workflow: tinyGraph(1) }, { "idempotency-key": key });
    expect(a.status).toBe(202);
    expect(b.status).toBe(200);
    expect(b.json.id).toBe(a.json.id);
    expect(b.headers.get("idempotent-replayed")).toBe("true");
  });

  it("answers 409 for the same key with a different body, writing nothing", async () => {
    const key = crypto.randomUUID();
    await call("POST", "/jobs", { workflow: tinyGraph(1) }, { "idempotency-key": key });
    const before = await jobCount();
    const r = await call("POST", "/jobs", { workflow: tinyGraph(2) }, { "idempotency-key": key });
    expectEnvelope(r, 409, "IDEMPOTENCY_CONFLICT");
    expect(await jobCount()).toBe(before);
  });

  it("makes concurrent submissions with one key create one job", async () => {
    const key = crypto.randomUUID();
    const before = await jobCount();
    const rs = await Promise.all(Array.from({ length: 5 }, () => call("POST", "/jobs", { workflow: tinyGraph(3) }, { "idempotency-key": key })));
    expect(new Set(rs.map((r) => r.json.id)).size).toBe(1);
    expect(await jobCount()).toBe(before + 1);
  });

  it("refuses a key with control characters", async () => {
    const r = await call("POST", "/jobs", { workflow: tinyGraph() }, { "idempotency-key": "a b" });
    expectEnvelope(r, 400, "VALIDATION_FAILED");
  });
});

describe("job reads", () => {
  it.each(["not-a-uuid", "00000000-0000-4000-8000-000000000000", "%2e%2e"])("GET /jobs/%s → 404", async (id) => {
    expectEnvelope(await call("GET", `/jobs/${id}`), 404, "NOT_FOUND");
    expectEnvelope(await call("POST", `/jobs/${id}/cancel`), 404, "NOT_FOUND");
    expectEnvelope(await call("GET", `/jobs/${id}/outputs/a.png`), 404, "NOT_FOUND");
  });

  it.each([
    { q: "?status=done", name: "an unknown status" },
    { q: "?limit=0", name: "limit 0" },
    { q: "?limit=1000", name: "limit over 100" },
    { q: "?limit=abc", name: "limit not a number" },
    { q: "?cursor=%%%", name: "a malformed cursor" },
    { q: "?colour=red", name: "an unknown parameter" },
  ])("GET /jobs with $name → 400", async ({ q }) => {
    expectEnvelope(await call("GET", `/jobs${q}`), 400, "VALIDATION_FAILED");
  });

  it("pages through jobs with a cursor, newest first, without repeats", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await call("POST", "/jobs", { workflow: tinyGraph(100 + i), metadata: { page: "p" } })).json.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const r = await call("GET", `/jobs?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(r.status).toBe(200);
      expect(r.json.count).toBe(r.json.items.length);
      seen.push(...r.json.items.map((j: { id: string }) => j.id));
      cursor = r.json.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    const mine = seen.filter((id) => ids.includes(id));
    expect(mine).toEqual([...ids].reverse());
  });

  it("filters by status", async () => {
    const r = await call("GET", "/jobs?status=queued&limit=100");
    expect(r.status).toBe(200);
    expect(r.json.items.every((j: { status: string }) => j.status === "queued")).toBe(true);
  });

  it("serves the same router under /v1", async () => {
    const a = await call("POST", "/v1/jobs", { workflow: tinyGraph() });
    expect(a.status).toBe(202);
    expect((await call("GET", `/v1/jobs/${a.json.id}`)).json.id).toBe(a.json.id);
  });
});

describe("cancel", () => {
  it("cancels a queued job at once, and again idempotently", async () => {
    const job = (await call("POST", "/jobs", { workflow: tinyGraph() })).json;
    const a = await call("POST", `/jobs/${job.id}/cancel`);
    expect(a.status).toBe(200);
    expect(a.json.status).toBe("canceled");
    const b = await call("POST", `/jobs/${job.id}/cancel`);
    expect(b.status).toBe(200);
    expect(b.json.status).toBe("canceled");
  });
});

describe("hosts", () => {
  it.each([
    { name: "no url", body: { name: "h1" } },
    { name: "a ftp url", body: { name: "h1", url: "ftp://x" } },
    { name: "credentials in the url", body: { name: "h1", url: "https://u:p@x.example" } },
    { name: "zero slots", body: { name: "h1", url: "https://x.example", slots: 0 } },
    { name: "a bad name", body: { name: "has space", url: "https://x.example" } },
    { name: "a header with a line break", body: { name: "h1", url: "https://x.example", headers: { "x-a": "a\r\nb: c" } } },
    { name: "an extra field", body: { name: "h1", url: "https://x.example", gpu: "4090" } },
  ])("POST /hosts with $name → 400", async ({ body }) => {
    expectEnvelope(await call("POST", "/hosts", body), 400, "VALIDATION_FAILED");
  });

  it("never returns a host's headers", async () => {
    const name = `h-${crypto.randomUUID().slice(0, 8)}`;
    const secret = "cf-access-secret-value-1234";
    const created = await call("POST", "/hosts", { name, url: "http://127.0.0.1:9", headers: { "CF-Access-Client-Secret": secret }, slots: 1 });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ name, hasHeaders: true, slots: 1 });
    const list = await call("GET", "/hosts");
    const one = await call("GET", `/hosts/${created.json.id}`);
    for (const r of [created, list, one]) expect(r.text).not.toContain(secret);
    expectEnvelope(await call("POST", "/hosts", { name, url: "http://127.0.0.1:9" }), 409, "CONFLICT");
    expect((await call("DELETE", `/hosts/${created.json.id}`)).status).toBe(204);
    expectEnvelope(await call("DELETE", `/hosts/${created.json.id}`), 404, "NOT_FOUND");
  });
});

describe("everything else", () => {
  it("answers unknown routes with the envelope", async () => {
    expectEnvelope(await call("GET", "/nope"), 404, "NOT_FOUND");
  });

  it("serves an OpenAPI document built from the request schemas", async () => {
    const r = await call("GET", "/openapi.json");
    expect(r.status).toBe(200);
    const body = r.json.paths["/jobs"].post.requestBody.content["application/json"].schema;
    expect(body.properties).toHaveProperty("workflow");
    expect(body.properties.priority).toMatchObject({ type: "integer", minimum: -100, maximum: 100 });
    expect(r.json.paths["/hosts"].post.requestBody.content["application/json"].schema.required).toEqual(expect.arrayContaining(["name", "url"]));
  });

  it("reports health with fleet counts", async () => {
    const r = await call("GET", "/health");
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ auth: "open", comfyui: { reachable: expect.any(Boolean), hosts: { online: expect.any(Number), offline: expect.any(Number) } } });
    // This file queues jobs with no host registered: work is stuck, and /health says so.
    expect(r.json.jobs.queued).toBeGreaterThan(0);
    expect(r.json).toMatchObject({ ok: false, alert: { reason: "no_host_online", queued: r.json.jobs.queued, oldestQueuedAgeS: expect.any(Number) } });
  });
});
