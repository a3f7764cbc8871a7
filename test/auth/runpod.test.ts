import runpodSdk from "runpod-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, tinyGraph } from "../helpers/gateway";
import { GATEWAY_ORIGIN, routeGatewayFetch } from "../helpers/gateway-fetch";
import { DOTTED_USER_KEY, OTHER_USER_KEY, USER_KEY } from "./closed-config";
import { bearer, createKey, expectAuthFailed, mintJwt } from "./helpers";

/**
 * The RunPod facade with credentials configured: `Authorization: Bearer <API key>` as RunPod clients
 * send it, and the same owners, roles, rate and pending limits as our own API. No host here: jobs stay queued.
 */
const body = () => ({ input: { workflow: tinyGraph(Math.floor(Math.random() * 1e9)) } });
const ep = () => `auth-${crypto.randomUUID().slice(0, 8)}`;

describe("RunPod facade auth", () => {
  it("lets in an API key as a Bearer token, a stored key and a JWT, and refuses none or a wrong one", async () => {
    const endpoint = ep();
    const stored = await createKey({ role: "user" });
    for (const headers of [bearer(USER_KEY), bearer(stored.secret), bearer(await mintJwt({})), { "x-api-key": USER_KEY }]) {
      const r = await call("POST", `/runpod/v2/${endpoint}/run`, body(), headers);
      expect(r.status, r.text).toBe(200);
      expect(r.json).toEqual({ id: expect.any(String), status: "IN_QUEUE" });
    }
    expectAuthFailed(await call("POST", `/runpod/v2/${endpoint}/run`, body()), "Authentication required. Provide X-API-Key header or Authorization: Bearer token.");
    expectAuthFailed(await call("POST", `/runpod/v2/${endpoint}/run`, body(), bearer("rpa_not_a_key")), "Invalid API key");
  });

  it("takes a key with two dots as a key when it is no JWT, and still judges a real JWT as a JWT", async () => {
    const r = await call("POST", `/runpod/v2/${ep()}/run`, body(), bearer(DOTTED_USER_KEY));
    expect(r.status, r.text).toBe(200);
    expectAuthFailed(await call("GET", `/runpod/v2/${ep()}/health`, undefined, bearer("not.a.key")), "Invalid JWT token");
    const forged = await mintJwt({}, { secret: "another-secret-0123456789abcdef-0123456789" });
    expectAuthFailed(await call("GET", `/runpod/v2/${ep()}/health`, undefined, bearer(forged)), /JWT/);
  });

  it("shows, cancels and counts only the caller's own jobs", async () => {
    const endpoint = ep();
    const mine = (await call("POST", `/runpod/v2/${endpoint}/run`, body(), bearer(USER_KEY))).json.id;
    const theirs = (await call("POST", `/runpod/v2/${endpoint}/run`, body(), bearer(OTHER_USER_KEY))).json.id;
    expect((await call("GET", `/runpod/v2/${endpoint}/status/${theirs}`, undefined, bearer(USER_KEY))).status).toBe(404);
    expect((await call("POST", `/runpod/v2/${endpoint}/cancel/${theirs}`, undefined, bearer(USER_KEY))).status).toBe(404);
    expect((await call("GET", `/runpod/v2/${endpoint}/status/${mine}`, undefined, bearer(USER_KEY))).json).toEqual({ id: mine, status: "IN_QUEUE" });
    const health = await call("GET", `/runpod/v2/${endpoint}/health`, undefined, bearer(USER_KEY));
    expect(health.json.jobs).toEqual({ completed: 0, failed: 0, inProgress: 0, inQueue: 1, retried: 0 });
  });

  it("purges only the caller's queued jobs under that endpoint id", async () => {
    const endpoint = ep();
    const mine = [await call("POST", `/runpod/v2/${endpoint}/run`, body(), bearer(USER_KEY)), await call("POST", `/runpod/v2/${endpoint}/run`, body(), bearer(USER_KEY))];
    const elsewhere = await call("POST", `/runpod/v2/${ep()}/run`, body(), bearer(USER_KEY));
    const theirs = await call("POST", `/runpod/v2/${endpoint}/run`, body(), bearer(OTHER_USER_KEY));
    expect((await call("POST", `/runpod/v2/${endpoint}/purge-queue`, undefined, bearer(USER_KEY))).json).toEqual({ removed: 2, status: "completed" });
    for (const r of mine) expect((await call("GET", `/jobs/${r.json.id}`, undefined, bearer(USER_KEY))).json.status).toBe("canceled");
    expect((await call("GET", `/jobs/${elsewhere.json.id}`, undefined, bearer(USER_KEY))).json.status).toBe("queued");
    expect((await call("GET", `/jobs/${theirs.json.id}`, undefined, bearer(OTHER_USER_KEY))).json.status).toBe("queued");
  });

  it("applies the key's pending limit: 429 QUEUE_FULL", async () => {
    const key = await createKey({ pendingLimit: 1 });
    const endpoint = ep();
    expect((await call("POST", `/runpod/v2/${endpoint}/run`, body(), bearer(key.secret))).status).toBe(200);
    const full = await call("POST", `/runpod/v2/${endpoint}/runsync?wait=0`, body(), bearer(key.secret));
    expect(full.status).toBe(429);
    expect(full.json).toMatchObject({ error: "QUEUE_FULL", retryable: true });
  });

  it("applies the key's rate limit: 429 RATE_LIMITED with Retry-After", async () => {
    const key = await createKey({ rateLimitMax: 2 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push(await call("GET", `/runpod/v2/${ep()}/health`, undefined, bearer(key.secret)));
    expect(statuses.map((r) => r.status)).toEqual([200, 200, 429]);
    expect(statuses[2]!.json).toMatchObject({ error: "RATE_LIMITED" });
    expect(Number(statuses[2]!.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});

describe("runpod-sdk with a real key", () => {
  let unroute: () => void;
  beforeAll(() => {
    unroute = routeGatewayFetch();
  });
  afterAll(() => unroute?.());
  const sdk = (key: string) => runpodSdk(key, { baseUrl: `${GATEWAY_ORIGIN}/runpod/v2` }).endpoint(ep())!;

  it("runs and reads status with the API key as RunPod's key", async () => {
    const e = sdk(USER_KEY);
    const { id, status } = await e.run(body());
    expect(status).toBe("IN_QUEUE");
    expect(await e.status(id)).toMatchObject({ id, status: "IN_QUEUE", started: true, completed: false });
    expect(await e.cancel(id)).toEqual({ id, status: "CANCELLED" });
  });

  it("gets a 401 for a key the gateway does not know", async () => {
    await expect(sdk("rpa_unknown").run(body())).rejects.toMatchObject({ response: { status: 401 } });
  });
});
