import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { call } from "../helpers/gateway";
import { ADMIN_KEY, OTHER_USER_KEY, USER_KEY } from "./closed-config";
import { apiKey, configKeyOwner, createKey, expectAuthFailed, insertJob } from "./helpers";
import { TINY_PNG_BASE64 } from "./route-table";

/**
 * The Comfy Router facade under credentials: HTTP Basic carries one of our API keys as the
 * username or the password, and then the caller is that key's owner with that key's role and
 * limits, exactly as through X-API-Key. Tasks are jobs: another owner's answers 404.
 */
const basic = (user: string, password: string) => ({ authorization: `Basic ${btoa(`${user}:${password}`)}` });
const task = (prompt = "a test task") => ({ type: "SD15", params: { prompt, seed: Math.floor(Math.random() * 1e9) } });

let aliceTask: string;
beforeAll(async () => {
  const r = await call("POST", "/router/workflow", task("alice's"), basic(USER_KEY, ""));
  expect(r.status, r.text).toBe(200);
  aliceTask = r.json.id;
});

describe("HTTP Basic with an API key", () => {
  it.each([
    { what: "a config key as the username", headers: () => basic(USER_KEY, "") },
    { what: "a config key as the password", headers: () => basic("admin", USER_KEY) },
    { what: "a config key as the username with any password", headers: () => basic(USER_KEY, "x") },
  ])("accepts $what, as that key's owner", async ({ headers }) => {
    const r = await call("GET", `/router/workflow/${aliceTask}`, undefined, headers());
    expect(r.status, r.text).toBe(200);
    expect(r.json).toMatchObject({ id: aliceTask, status: "pending", data: expect.any(Number) });
  });

  it("accepts a stored key as the password, on Comfy Router's own paths too", async () => {
    const key = await createKey({ role: "user" });
    const created = await call("POST", "/workflow", task(), basic("comfy-router", key.secret));
    expect(created.status, created.text).toBe(200);
    const seen = await call("GET", `/v1/workflow/${created.json.id}`, undefined, basic(key.secret, ""));
    expect(seen.status, seen.text).toBe(200);
    // The task is a job of that key's owner, visible through our own API with the same key.
    expect((await call("GET", `/jobs/${created.json.id}`, undefined, key.headers)).json).toMatchObject({ id: created.json.id, metadata: { facade: "comfy-router" } });
  });

  it.each([
    { what: "a wrong key", headers: basic("nobody", "sk-wrong") },
    { what: "Comfy Router's default admin:admin", headers: basic("admin", "admin") },
    { what: "an empty user and password", headers: basic("", "") },
  ])("refuses $what: 401 Invalid API key", async ({ headers }) => {
    for (const path of ["/router/workflow", "/workflow"]) expectAuthFailed(await call("POST", path, task(), headers), "Invalid API key");
  });

  it("refuses a revoked stored key: 401", async () => {
    const key = await createKey({ role: "user" });
    expect((await call("DELETE", `/keys/${key.id}`, undefined, apiKey(ADMIN_KEY))).status).toBe(200);
    expectAuthFailed(await call("POST", "/router/workflow", task(), basic("admin", key.secret)), "Invalid API key");
  });

  it("refuses a task without a credential: 401 with the Basic challenge Comfy Router sent", async () => {
    for (const [method, path] of [["POST", "/router/workflow"], ["GET", `/router/workflow/${aliceTask}`], ["POST", "/workflow"], ["GET", `/v1/workflow/${aliceTask}`]] as const) {
      const r = await call(method, path, method === "POST" ? task() : undefined);
      expectAuthFailed(r, /^Authentication required/);
      expect(r.headers.get("www-authenticate"), path).toBe('Basic realm="Comfy Edge", charset="UTF-8"');
    }
    // Our own API is unchanged: no challenge there.
    expect((await call("GET", "/jobs")).headers.get("www-authenticate")).toBeNull();
  });

  it("is not a credential on our own API: Basic there is as good as nothing", async () => {
    expectAuthFailed(await call("GET", "/jobs", undefined, basic(USER_KEY, "")), /^Authentication required/);
    expectAuthFailed(await call("GET", `/jobs/${aliceTask}`, undefined, basic("admin", USER_KEY)), /^Authentication required/);
  });

  it("applies the key's own pending limit: 429 QUEUE_FULL past it", async () => {
    const key = await createKey({ role: "user", pendingLimit: 1 });
    expect((await call("POST", "/router/workflow", task(), basic(key.secret, ""))).status).toBe(200);
    const over = await call("POST", "/router/workflow", task(), basic(key.secret, ""));
    expect(over.status, over.text).toBe(429);
    expect(over.json).toMatchObject({ error: "QUEUE_FULL" });
  });
});

describe("another owner's task", () => {
  it("answers 404 to GET /workflow/:id, the same as a task that does not exist", async () => {
    for (const path of [`/router/workflow/${aliceTask}`, `/workflow/${aliceTask}`, `/router/workflow/${crypto.randomUUID()}`]) {
      const r = await call("GET", path, undefined, basic(OTHER_USER_KEY, ""));
      expect(r.status, path).toBe(404);
      expect(r.json).toMatchObject({ error: "NOT_FOUND", message: "Job not found" });
    }
  });

  it("answers 404 to a cancel, and the task stays as it was", async () => {
    const r = await call("POST", `/router/workflow/${aliceTask}/cancel`, undefined, basic("x", OTHER_USER_KEY));
    expect(r.status).toBe(404);
    expect((await call("GET", `/router/workflow/${aliceTask}`, undefined, basic(USER_KEY, ""))).json.status).toBe("pending");
  });

  it("is visible to an admin", async () => {
    expect((await call("GET", `/router/workflow/${aliceTask}`, undefined, basic(ADMIN_KEY, ""))).status).toBe(200);
  });
});

describe("GET /preview/:id", () => {
  /** A finished facade task of alice's with one PNG output in R2. */
  async function finishedTask() {
    const id = await insertJob(await configKeyOwner(USER_KEY));
    const key = `outputs/${id}/out.png`;
    const png = Uint8Array.from(atob(TINY_PNG_BASE64), (ch) => ch.charCodeAt(0));
    await env.OUTPUTS.put(key, png, { httpMetadata: { contentType: "image/png" } });
    const outputs = [{ name: "out.png", node: "9", kind: "image", contentType: "image/png", bytes: png.length, key }];
    await env.DB.prepare("UPDATE jobs SET outputs_json = ?, metadata_json = ? WHERE id = ?").bind(JSON.stringify(outputs), JSON.stringify({ facade: "comfy-router" }), id).run();
    return { id, png };
  }

  it("serves a task's image to anyone with its id, with or without a credential", async () => {
    const { id, png } = await finishedTask();
    for (const headers of [{}, basic(OTHER_USER_KEY, ""), apiKey("wrong-key")]) {
      const r = await call("GET", `/router/preview/${id}`, undefined, headers);
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toBe("image/png");
      expect(Number(r.headers.get("content-length"))).toBe(png.length);
    }
  });

  it("answers 404 in our error body while the task has no image", async () => {
    const r = await call("GET", `/preview/${aliceTask}`);
    expect(r.status).toBe(404);
    expect(r.json).toMatchObject({ error: "NOT_FOUND", message: expect.stringContaining("no preview") });
  });

  it("never serves a job made through our own API", async () => {
    const native = await insertJob(await configKeyOwner(USER_KEY));
    const r = await call("GET", `/preview/${native}`);
    expect(r.status).toBe(404);
    expect(r.json).toMatchObject({ error: "NOT_FOUND", message: "Task not found" });
  });
});
