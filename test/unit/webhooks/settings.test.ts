import { describe, expect, it } from "vitest";
import { config, type Env } from "../../../src/env";
import { webhookSettings } from "../../../src/webhooks/settings";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const settingsFor = (vars: Record<string, string | undefined>) => webhookSettings(config(vars as unknown as Env));

describe("webhook settings", () => {
  it.each([
    { name: "no secret", vars: {}, warnings: [/WEBHOOK_SECRET is not set/] },
    { name: "a secret without whsec_", vars: { WEBHOOK_SECRET: "hunter2hunter2hunter2" }, warnings: [/not of the form whsec_/] },
    { name: "a good secret", vars: { WEBHOOK_SECRET: SECRET }, warnings: [] },
    { name: "a malformed previous secret", vars: { WEBHOOK_SECRET: SECRET, WEBHOOK_SECRET_PREVIOUS: "old" }, warnings: [/WEBHOOK_SECRET_PREVIOUS .* ignored/] },
    { name: "private URLs allowed", vars: { WEBHOOK_SECRET: SECRET, ALLOW_PRIVATE_URLS: "true" }, warnings: [/ALLOW_PRIVATE_URLS=true/] },
  ])("$name → warnings $warnings", ({ vars, warnings }) => {
    const w = settingsFor(vars).warnings;
    expect(w).toHaveLength(warnings.length);
    warnings.forEach((re, i) => expect(w[i]).toMatch(re));
  });

  it.each([
    { value: undefined, allowPrivate: false },
    { value: "false", allowPrivate: false },
    { value: "TRUE", allowPrivate: false },
    { value: "1", allowPrivate: false },
    { value: "true", allowPrivate: true },
  ])("ALLOW_PRIVATE_URLS=$value allows private URLs: $allowPrivate", ({ value, allowPrivate }) => {
    expect(settingsFor(value === undefined ? {} : { ALLOW_PRIVATE_URLS: value }).callbacks.allowPrivate).toBe(allowPrivate);
  });

  it("signs with the previous secret only alongside a current one", () => {
    expect(settingsFor({ WEBHOOK_SECRET_PREVIOUS: SECRET })).toMatchObject({ current: null, previous: null });
    expect(settingsFor({ WEBHOOK_SECRET: SECRET, WEBHOOK_SECRET_PREVIOUS: SECRET }).previous).not.toBeNull();
  });

  it.each([
    { value: "", want: null },
    { value: "https://gw.example.com/some/path", want: "https://gw.example.com" },
    { value: "ftp://gw.example.com", want: null },
    { value: "not a url", want: null },
  ])("PUBLIC_URL=$value → $want", ({ value, want }) => {
    expect(settingsFor({ PUBLIC_URL: value }).publicUrl).toBe(want);
  });

  it("falls back to safe defaults for unusable numbers", () => {
    expect(settingsFor({ WEBHOOK_TIMEOUT_MS: "soon", WEBHOOK_MAX_ATTEMPTS: "0" })).toMatchObject({ timeoutMs: 10_000, maxAttempts: 10 });
  });
});
