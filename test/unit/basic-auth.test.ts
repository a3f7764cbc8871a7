import { describe, expect, it } from "vitest";
import { acceptsBasicAuth } from "../../src/api/facades/router/routes";
import { basicCredentials } from "../../src/auth/basic";

const basic = (s: string) => `Basic ${btoa(s)}`;

describe("basicCredentials", () => {
  it.each([
    { what: "a key as the username", header: basic("ce_key:"), want: ["ce_key"] },
    { what: "a key as the password", header: basic("admin:ce_key"), want: ["ce_key", "admin"] },
    { what: "the same value in both halves", header: basic("k:k"), want: ["k"] },
    { what: "a password holding a colon", header: basic("u:a:b"), want: ["a:b", "u"] },
    { what: "both halves empty", header: basic(":"), want: [] },
    { what: "a lower-case scheme", header: `basic ${btoa("x:y")}`, want: ["y", "x"] },
  ])("reads $what", ({ header, want }) => {
    expect(basicCredentials(header)).toEqual(want);
  });

  it.each([
    { what: "no header", header: undefined },
    { what: "a bearer token", header: "Bearer abc" },
    { what: "base64 without a colon", header: basic("nocolon") },
    { what: "not base64", header: "Basic !!!" },
    { what: "bytes that are not UTF-8", header: `Basic ${btoa("\xff\xfe:x")}` },
  ])("is null for $what", ({ header }) => {
    expect(basicCredentials(header)).toBeNull();
  });
});

describe("where Basic carries a key", () => {
  it.each([
    ["/router/workflow", true], ["/workflow", true], ["/v1/router/workflow/abc", true], ["/workflow/abc/cancel", true],
    ["/preview/abc", true], ["/router/doc", true], ["/health_check", true],
    ["/workflows", false], ["/workflows/sd15", false], ["/jobs", false], ["/v1/jobs/abc", false], ["/router/jobs", false], ["/hosts", false], ["/documents", false],
  ])("%s: %s", (path, want) => {
    expect(acceptsBasicAuth(path)).toBe(want);
  });
});
