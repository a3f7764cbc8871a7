import { describe, expect, it } from "vitest";
import { isAllowedHost, parseAllowedDomains } from "../../../src/webhooks/allowlist";
import { checkCallbackUrl } from "../../../src/webhooks/callback";

describe("WEBHOOK_ALLOWED_DOMAINS", () => {
  it.each([
    { list: undefined, host: "anything.example.net", allowed: true },
    { list: "", host: "anything.example.net", allowed: true },
    { list: "*", host: "anything.example.net", allowed: true },
    { list: "example.com, *", host: "other.net", allowed: true },
    { list: "example.com", host: "example.com", allowed: true },
    { list: "example.com", host: "example.com.", allowed: true },
    { list: "example.com", host: "sub.example.com", allowed: false },
    { list: "example.com", host: "badexample.com", allowed: false },
    { list: "example.com", host: "example.com.evil.net", allowed: false },
    { list: "*.example.com", host: "hooks.example.com", allowed: true },
    { list: "*.example.com", host: "a.b.example.com", allowed: true },
    { list: "*.example.com", host: "example.com", allowed: false },
    { list: "*.example.com", host: "badexample.com", allowed: false },
    { list: "*.example.com", host: "evil-example.com", allowed: false },
    { list: "*.example.com", host: "example.com.evil.net", allowed: false },
    { list: "*.example.com,example.com", host: "example.com", allowed: true },
    { list: " Hooks.Example.COM , *.Zapier.com ", host: "hooks.example.com", allowed: true },
    { list: " Hooks.Example.COM , *.Zapier.com ", host: "hooks.zapier.com", allowed: true },
    { list: "example.com.", host: "example.com", allowed: true },
    { list: "bücher.de", host: "xn--bcher-kva.de", allowed: true },
    { list: "*.bücher.de", host: "shop.xn--bcher-kva.de", allowed: true },
    { list: "203.0.113.7", host: "203.0.113.7", allowed: true },
    // Unusable entries allow nothing: a typo fails closed.
    { list: "exa mple.com", host: "example.com", allowed: false },
    { list: "a.*.example.com", host: "a.b.example.com", allowed: false },
    { list: "https://example.com/", host: "example.com", allowed: false },
    { list: ",,", host: "example.com", allowed: false },
  ])("$list allows $host: $allowed", ({ list, host, allowed }) => {
    expect(isAllowedHost(host, parseAllowedDomains(list))).toBe(allowed);
  });
});

describe("checkCallbackUrl", () => {
  const policy = { allowPrivate: false, allowed: parseAllowedDomains("*.example.com") };

  it.each([
    { url: "https://hooks.example.com/x", want: { ok: true } },
    { url: "https://evil.com/x", want: { ok: false, message: 'Callback domain "evil.com" is not in the allowed domains list' } },
    { url: "https://evil.com./x", want: { ok: false, message: 'Callback domain "evil.com" is not in the allowed domains list' } },
    { url: "http://hooks.example.com/x", want: { ok: false, message: "Callback URL must use https" } },
    { url: "https://127.0.0.1/x", want: { ok: false, message: 'Callback URL host "127.0.0.1" is a private, loopback, link-local or reserved address' } },
    { url: "https://localhost.example.com.localhost/", want: { ok: false, message: expect.stringContaining("local") } },
  ])("$url", ({ url, want }) => {
    expect(checkCallbackUrl(url, policy)).toMatchObject(want);
  });

  it("checks the allowlist with private URLs allowed too", () => {
    const dev = { allowPrivate: true, allowed: parseAllowedDomains("*.example.com") };
    expect(checkCallbackUrl("http://127.0.0.1:9000/x", dev)).toEqual({ ok: false, message: 'Callback domain "127.0.0.1" is not in the allowed domains list' });
  });
});
