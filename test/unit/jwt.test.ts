import { createLocalJWKSet, errors, exportJWK, exportSPKI, generateKeyPair, SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { jwtFailureMessage, verifyJwt, type JwtFailure, type JwtSettings } from "../../src/auth/jwt";
import { base64url } from "../../src/lib/bytes";

/** The verifier on its own, with a local JWKS injected in place of JWT_JWKS_URL (a JWKS-only deployment). */
const NOW = Date.UTC(2026, 10, 1, 12);
const s = (ms: number) => Math.floor(ms / 1000);
const enc = (v: unknown) => base64url(new TextEncoder().encode(JSON.stringify(v)));
const base = { sub: "owner-1", exp: s(NOW) + 60, aud: "aud-1", iss: "iss-1" };

let rsa: CryptoKeyPair;
let jwksOnly: JwtSettings;
let rsaPem: string;

beforeAll(async () => {
  rsa = await generateKeyPair("RS256", { extractable: true });
  rsaPem = await exportSPKI(rsa.publicKey);
  jwksOnly = { jwks: createLocalJWKSet({ keys: [{ ...(await exportJWK(rsa.publicKey)), kid: "k1", alg: "RS256" }] }), audience: ["aud-1"], issuer: ["iss-1"] };
});

const rs256 = (body: Record<string, unknown>) => new SignJWT(body).setProtectedHeader({ alg: "RS256", kid: "k1" }).sign(rsa.privateKey);

describe("verifyJwt with only a JWKS configured", () => {
  it("accepts an RS256 token from the key set, with iss and sub for the owner and role user by default", async () => {
    expect(await verifyJwt(await rs256(base), jwksOnly, NOW)).toEqual({ ok: true, iss: "iss-1", sub: "owner-1", role: "user" });
  });

  it("refuses HS256 signed with the public key (algorithm confusion) before choosing a key", async () => {
    const forged = await new SignJWT({ ...base, role: "admin" }).setProtectedHeader({ alg: "HS256", kid: "k1" }).sign(new TextEncoder().encode(rsaPem));
    expect(await verifyJwt(forged, jwksOnly, NOW)).toEqual({ ok: false, error: { reason: "algorithm_not_allowed", alg: "HS256" } });
  });

  it("refuses HS256 even when the JWK's raw modulus is used as the secret", async () => {
    const n = (await exportJWK(rsa.publicKey)).n!;
    const forged = await new SignJWT(base).setProtectedHeader({ alg: "HS256" }).sign(new TextEncoder().encode(n));
    expect((await verifyJwt(forged, jwksOnly, NOW)).ok).toBe(false);
  });

  it.each<{ name: string; token: () => Promise<string>; want: JwtFailure["reason"] }>([
    { name: "alg none", token: async () => `${enc({ alg: "none" })}.${enc(base)}.`, want: "algorithm_not_allowed" },
    { name: "expired", token: () => rs256({ ...base, exp: s(NOW) - 1 }), want: "expired" },
    { name: "nbf in the future", token: () => rs256({ ...base, nbf: s(NOW) + 60 }), want: "not_yet_valid" },
    { name: "wrong audience", token: () => rs256({ ...base, aud: "aud-2" }), want: "claim_mismatch" },
    { name: "wrong issuer", token: () => rs256({ ...base, iss: "iss-2" }), want: "claim_mismatch" },
    { name: "no exp", token: () => rs256({ ...base, exp: undefined }), want: "missing_claim" },
    { name: "no sub", token: () => rs256({ ...base, sub: undefined }), want: "missing_claim" },
    { name: "a role that is not a role", token: () => rs256({ ...base, role: ["admin"] }), want: "bad_role" },
    {
      name: "a tampered payload",
      token: async () => {
        const [h, , sig] = (await rs256(base)).split(".");
        return `${h}.${enc({ ...base, role: "admin" })}.${sig}`;
      },
      want: "bad_signature",
    },
    { name: "an unknown kid", token: () => new SignJWT(base).setProtectedHeader({ alg: "RS256", kid: "k2" }).sign(rsa.privateKey), want: "bad_signature" },
    { name: "not a JWT", token: async () => "xyz", want: "malformed" },
  ])("refuses $name: $want", async ({ token, want }) => {
    const r = await verifyJwt(await token(), jwksOnly, NOW);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.reason).toBe(want);
  });

  it("says the keys are unavailable when the JWKS cannot be fetched", async () => {
    const down: JwtSettings = { jwks: async () => { throw new errors.JWKSTimeout(); } };
    const r = await verifyJwt(await rs256(base), down, NOW);
    expect(r).toMatchObject({ ok: false, error: { reason: "keys_unavailable" } });
  });
});

describe("verifyJwt with only a secret configured", () => {
  const secret = new TextEncoder().encode("a-secret-of-at-least-thirty-two-bytes!!");
  it("refuses RS256 tokens: there is no key set to check them against", async () => {
    expect(await verifyJwt(await rs256(base), { secret }, NOW)).toMatchObject({ ok: false, error: { reason: "algorithm_not_allowed" } });
  });
  it("accepts HS256 with role admin", async () => {
    const t = await new SignJWT({ ...base, role: "admin" }).setProtectedHeader({ alg: "HS256" }).sign(secret);
    expect(await verifyJwt(t, { secret }, NOW)).toEqual({ ok: true, iss: "iss-1", sub: "owner-1", role: "admin" });
  });

  // With JWT_ISSUER unset jose lets any `iss` through; the owner id is built from it, so it must be a string.
  const hs = (body: Record<string, unknown>) => new SignJWT(body).setProtectedHeader({ alg: "HS256" }).sign(secret);
  it("passes on a token without iss as such", async () => {
    expect(await verifyJwt(await hs({ ...base, iss: undefined }), { secret }, NOW)).toEqual({ ok: true, iss: undefined, sub: "owner-1", role: "user" });
  });
  it.each([
    { name: "a number", iss: 42 },
    { name: "an array", iss: ["iss-1"] },
    { name: "longer than 255 characters", iss: "i".repeat(256) },
  ])("refuses an iss that is $name", async ({ iss }) => {
    expect(await verifyJwt(await hs({ ...base, iss }), { secret }, NOW)).toEqual({ ok: false, error: { reason: "claim_mismatch", claim: "iss" } });
  });
});

describe("jwtFailureMessage", () => {
  it.each<[JwtFailure, string]>([
    [{ reason: "expired" }, "JWT token has expired"],
    [{ reason: "bad_signature" }, "Invalid JWT signature"],
    [{ reason: "algorithm_not_allowed", alg: "none" }, "Invalid JWT signature"],
    [{ reason: "malformed" }, "Invalid JWT token"],
  ])("%j → %s", (f, msg) => {
    expect(jwtFailureMessage(f)).toBe(msg);
  });
});
