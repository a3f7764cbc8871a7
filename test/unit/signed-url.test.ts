import { describe, expect, it } from "vitest";
import { signKey, verifySignature, workerSignedUrl } from "../../src/storage/signed-url";

const secret = "test-secret-that-is-long-enough";
const key = "outputs/11111111-1111-4111-8111-111111111111/a.png";
const now = 1_800_000_000_000;

describe("Worker-signed URLs", () => {
  it("verifies its own links", async () => {
    const link = await workerSignedUrl("https://gw", secret, key, 60, now);
    const u = new URL(link.url);
    expect(u.pathname).toBe(`/files/${key}`);
    expect(await verifySignature(secret, key, u.searchParams.get("exp")!, u.searchParams.get("sig")!, now)).toEqual({ ok: true });
    expect(link.expiresAtMs).toBe(now + 60_000);
  });

  it.each([
    { name: "another job's key", mutate: (k: string, e: string, s: string) => [k.replace("1111-4111", "2222-4222"), e, s] },
    { name: "a later expiry", mutate: (k: string, e: string, s: string) => [k, String(Number(e) + 3600), s] },
    { name: "a flipped signature character", mutate: (k: string, e: string, s: string) => [k, e, (s[0] === "A" ? "B" : "A") + s.slice(1)] },
    { name: "another secret's signature", mutate: (k: string, e: string, _s: string) => [k, e, "x".repeat(43)] },
  ])("refuses $name", async ({ mutate }) => {
    const exp = String(Math.floor(now / 1000) + 60);
    const sig = await signKey(secret, key, Number(exp));
    const [k, e, s] = mutate(key, exp, sig) as [string, string, string];
    expect(await verifySignature(secret, k, e, s, now)).toEqual({ ok: false, reason: "mismatch" });
  });

  it("reports a genuine but old link as expired", async () => {
    const exp = Math.floor(now / 1000) - 1;
    expect(await verifySignature(secret, key, String(exp), await signKey(secret, key, exp), now)).toEqual({ ok: false, reason: "expired" });
  });

  it.each([
    { exp: undefined, sig: "abc", reason: "missing" },
    { exp: "abc", sig: "a".repeat(43), reason: "malformed" },
    { exp: "123", sig: "<script>", reason: "malformed" },
  ])("refuses exp=$exp sig=$sig as $reason", async ({ exp, sig, reason }) => {
    expect(await verifySignature(secret, key, exp, sig, now)).toEqual({ ok: false, reason });
  });
});
