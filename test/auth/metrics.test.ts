import { describe, expect, it } from "vitest";
import { call } from "../helpers/gateway";
import { METRICS_TOKEN, USER_KEY } from "./closed-config";
import { admin, apiKey, bearer, createKey, expectAuthFailed, mintJwt } from "./helpers";

/** Who may scrape GET /metrics: an admin credential, or METRICS_TOKEN as a bearer token; nobody else. */
describe("GET /metrics access", () => {
  it.each([
    { who: "METRICS_TOKEN as a bearer token", headers: () => Promise.resolve(bearer(METRICS_TOKEN)) },
    { who: "an admin config key", headers: () => Promise.resolve(admin) },
    { who: "a stored admin key", headers: async () => (await createKey({ role: "admin" })).headers },
    { who: "an admin JWT", headers: async () => bearer(await mintJwt({ role: "admin" })) },
  ])("lets $who in", async ({ headers }) => {
    const r = await call("GET", "/v1/metrics", undefined, await headers());
    expect(r.status, r.text).toBe(200);
    expect(r.text).toContain("# TYPE comfy_edge_jobs gauge");
  });

  it("refuses a user credential: 403", async () => {
    expect((await call("GET", "/metrics", undefined, apiKey(USER_KEY))).status).toBe(403);
  });

  it.each([
    { what: "no credential", headers: {}, message: /Authentication required/ },
    { what: "a wrong bearer token", headers: bearer(`${METRICS_TOKEN}x`), message: "Invalid API key" },
    { what: "METRICS_TOKEN as an X-API-Key", headers: apiKey(METRICS_TOKEN), message: "Invalid API key" },
  ])("refuses $what: 401", async ({ headers, message }) => {
    expectAuthFailed(await call("GET", "/metrics", undefined, headers), message);
  });

  it("does not let METRICS_TOKEN reach any other route", async () => {
    expectAuthFailed(await call("GET", "/jobs", undefined, bearer(METRICS_TOKEN)), "Invalid API key");
    expectAuthFailed(await call("GET", "/hosts", undefined, bearer(METRICS_TOKEN)), "Invalid API key");
  });
});
