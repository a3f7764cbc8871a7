import { describe, expect, it } from "vitest";
import { corsHeaders, corsPolicy } from "../../src/api/middleware/cors";

describe("corsPolicy (CORS_ORIGINS)", () => {
  it.each([
    { entries: undefined, want: null },
    { entries: [], want: null },
    { entries: ["*"], want: "*" },
    { entries: ["https://a.example", "*"], want: "*" },
  ])("$entries → $want", ({ entries, want }) => {
    expect(corsPolicy(entries)).toBe(want);
  });

  it("normalises each entry to an origin and drops what is not an http(s) origin", () => {
    expect(corsPolicy(["https://App.Example.com/", "http://localhost:5173/path", "not a url", "ftp://files.example"])).toEqual(
      new Set(["https://app.example.com", "http://localhost:5173"]),
    );
  });
});

describe("corsHeaders", () => {
  const list = corsPolicy(["https://app.example"])!;

  it("echoes an allowed origin, compared as an origin, and says the answer varies by Origin", () => {
    expect(corsHeaders(list, "https://APP.example", false)).toMatchObject({ "Access-Control-Allow-Origin": "https://APP.example", Vary: "Origin" });
  });

  it.each([
    { name: "a refused origin", origin: "https://evil.example" },
    { name: "the allowed host on another scheme", origin: "http://app.example" },
    { name: "the allowed host on another port", origin: "https://app.example:8443" },
    { name: "no Origin header", origin: undefined },
    { name: "Origin: null", origin: "null" },
  ])("gives $name only Vary: Origin", ({ origin }) => {
    expect(corsHeaders(list, origin, false)).toEqual({ Vary: "Origin" });
    expect(corsHeaders(list, origin, true)).toEqual({ Vary: "Origin" });
  });

  it("answers * without Vary and without credentials", () => {
    const h = corsHeaders("*", "https://anywhere.example", true);
    expect(h["Access-Control-Allow-Origin"]).toBe("*");
    expect(h.Vary).toBeUndefined();
    expect(h["Access-Control-Allow-Credentials"]).toBeUndefined();
  });

  it("lists the allowed methods and headers on a preflight, the exposed headers on a response", () => {
    const pre = corsHeaders(list, "https://app.example", true);
    expect(pre).toMatchObject({ "Access-Control-Allow-Methods": expect.stringContaining("DELETE"), "Access-Control-Max-Age": "600" });
    expect(pre["Access-Control-Expose-Headers"]).toBeUndefined();
    const res = corsHeaders(list, "https://app.example", false);
    expect(res["Access-Control-Expose-Headers"]).toContain("X-RateLimit-Remaining");
    expect(res["Access-Control-Allow-Headers"]).toBeUndefined();
  });
});
