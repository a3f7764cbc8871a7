import { describe, expect, it } from "vitest";
import { call } from "../helpers/gateway";

describe("GET /docs", () => {
  it.each(["/docs", "/v1/docs"])("%s serves the API reference page for this deployment's /openapi.json, under its own CSP", async (path) => {
    const r = await call("GET", path);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/^text\/html/);
    expect(r.text).toContain("openapi.json");
    expect(r.text).toContain("Comfy Edge API");
    const csp = r.headers.get("content-security-policy")!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
  });

  it("points at a document that exists next to it", async () => {
    expect((await call("GET", "/v1/openapi.json")).status).toBe(200);
  });
});
