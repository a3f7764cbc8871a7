import { env } from "cloudflare:workers";
import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { base64url } from "../../src/lib/bytes";
import { call, tinyGraph } from "../helpers/gateway";
import { JWT_AUDIENCE, JWT_ISSUER, JWT_SECRET } from "./closed-config";
import { bearer, expectAuthFailed, jwtSubOwner, mintJwt } from "./helpers";

/**
 * JWT bearer tokens against the closed project's config: HS256 with JWT_SECRET, and RS256/ES256
 * with a JWKS the gateway fetches over HTTP from the test launcher (JWT_JWKS_URL).
 */
const enc = (v: unknown) => base64url(new TextEncoder().encode(JSON.stringify(v)));
const nowS = () => Math.floor(Date.now() / 1000);
const claims = (over: Record<string, unknown> = {}) => ({ sub: `u-${crypto.randomUUID()}`, aud: JWT_AUDIENCE, iss: JWT_ISSUER, exp: nowS() + 300, ...over });
/** Who the gateway thinks the bearer is: GET /usage answers with the caller's owner id. */
const whoami = (token: string) => call("GET", "/usage", undefined, bearer(token));

let rsa: CryptoKeyPair;
let ec: CryptoKeyPair;
let rsaPem: string;
const RSA_KID = `rsa-${crypto.randomUUID()}`;
const EC_KID = `ec-${crypto.randomUUID()}`;

async function signWith(alg: "RS256" | "ES256", key: CryptoKey, kid: string, body: Record<string, unknown>) {
  return new SignJWT(body).setProtectedHeader({ alg, kid, typ: "JWT" }).sign(key);
}

beforeAll(async () => {
  rsa = await generateKeyPair("RS256", { extractable: true });
  ec = await generateKeyPair("ES256", { extractable: true });
  rsaPem = await exportSPKI(rsa.publicKey);
  const keys = [
    { ...(await exportJWK(rsa.publicKey)), kid: RSA_KID, alg: "RS256", use: "sig" },
    { ...(await exportJWK(ec.publicKey)), kid: EC_KID, alg: "ES256", use: "sig" },
  ];
  const r = await fetch(`${env.FAKE_LAUNCHER_URL}/jwks`, { method: "POST", body: JSON.stringify({ keys }) });
  expect(r.status).toBe(200);
});

describe("JWT bearer tokens", () => {
  it("accepts a valid HS256 token; its issuer and sub name the owner, role defaults to user", async () => {
    const sub = `alice-${crypto.randomUUID()}`;
    const token = await mintJwt({ sub });
    const r = await whoami(token);
    expect(r.status).toBe(200);
    expect(r.json.owner).toBe(`jwt:https%3A//issuer.comfy-edge.test:${sub}`);
    expect((await call("GET", "/keys", undefined, bearer(token))).status).toBe(403);
  });

  it("gives role admin to a token that says so", async () => {
    expect((await call("GET", "/keys", undefined, bearer(await mintJwt({ role: "admin" })))).status).toBe(200);
  });

  it("records sub as the owner of the jobs it submits, and hides them from another sub", async () => {
    const a = await mintJwt();
    const b = await mintJwt();
    const job = await call("POST", "/jobs", { workflow: tinyGraph() }, bearer(a));
    expect(job.status).toBe(202);
    expect((await call("GET", `/jobs/${job.json.id}`, undefined, bearer(a))).status).toBe(200);
    expect((await call("GET", `/jobs/${job.json.id}`, undefined, bearer(b))).status).toBe(404);
  });

  it.each([
    { alg: "RS256" as const, kid: () => RSA_KID, key: () => rsa.privateKey },
    { alg: "ES256" as const, kid: () => EC_KID, key: () => ec.privateKey },
  ])("accepts an $alg token signed by a key in the JWKS", async ({ alg, kid, key }) => {
    const body = claims();
    const r = await whoami(await signWith(alg, key(), kid(), body));
    expect(r.status, r.text).toBe(200);
    expect(r.json.owner).toBe(jwtSubOwner(body.sub));
  });

  it.each<{ attack: string; token: () => Promise<string>; message: string }>([
    { attack: "an expired token", token: () => mintJwt({}, { expiresIn: nowS() - 1 }), message: "JWT token has expired" },
    { attack: "a token not valid yet (nbf in the future)", token: () => new SignJWT(claims({ nbf: nowS() + 600 })).setProtectedHeader({ alg: "HS256" }).sign(new TextEncoder().encode(JWT_SECRET)), message: "JWT token is not valid yet (nbf)" },
    { attack: "a token for another audience", token: () => mintJwt({}, { aud: "someone-else" }), message: "JWT audience or issuer is not accepted" },
    { attack: "a token from another issuer", token: () => mintJwt({}, { iss: "https://evil.example" }), message: "JWT audience or issuer is not accepted" },
    { attack: "a token signed with another secret", token: () => mintJwt({}, { secret: "not-the-secret-not-the-secret-000" }), message: "Invalid JWT signature" },
    {
      attack: "a tampered payload (role raised to admin, signature kept)",
      token: async () => {
        const [h, , s] = (await mintJwt()).split(".");
        return `${h}.${enc(claims({ role: "admin" }))}.${s}`;
      },
      message: "Invalid JWT signature",
    },
    { attack: "alg none", token: async () => `${enc({ alg: "none", typ: "JWT" })}.${enc(claims({ role: "admin" }))}.`, message: "Invalid JWT signature" },
    { attack: "alg None (case games)", token: async () => `${enc({ alg: "None", typ: "JWT" })}.${enc(claims({ role: "admin" }))}.`, message: "Invalid JWT signature" },
    {
      attack: "HS256 signed with the RSA public key (algorithm confusion)",
      token: () => new SignJWT(claims({ role: "admin" })).setProtectedHeader({ alg: "HS256", kid: RSA_KID }).sign(new TextEncoder().encode(rsaPem)),
      message: "Invalid JWT signature",
    },
    { attack: "HS512 (not an allowed algorithm)", token: () => new SignJWT(claims()).setProtectedHeader({ alg: "HS512" }).sign(new TextEncoder().encode(JWT_SECRET)), message: "Invalid JWT signature" },
    { attack: "RS256 with a kid the JWKS does not have", token: async () => signWith("RS256", rsa.privateKey, "unknown-kid", claims()), message: "Invalid JWT signature" },
    {
      attack: "RS256 signed by a key outside the JWKS under a known kid",
      token: async () => signWith("RS256", (await generateKeyPair("RS256")).privateKey, RSA_KID, claims()),
      message: "Invalid JWT signature",
    },
    { attack: "a token without sub", token: () => new SignJWT(claims({ sub: undefined })).setProtectedHeader({ alg: "HS256" }).sign(new TextEncoder().encode(JWT_SECRET)), message: "JWT token must carry sub and exp claims" },
    { attack: "a token without exp", token: () => new SignJWT(claims({ exp: undefined })).setProtectedHeader({ alg: "HS256" }).sign(new TextEncoder().encode(JWT_SECRET)), message: "JWT token must carry sub and exp claims" },
    { attack: "an unknown role", token: () => mintJwt({ role: "superadmin" }), message: 'JWT role claim must be "user" or "admin"' },
    { attack: "garbage", token: async () => "not.a.jwt", message: "Invalid JWT token" },
  ])("refuses $attack with 401", async ({ token, message }) => {
    const t = await token();
    for (const path of ["/usage", "/keys", "/jobs"]) expectAuthFailed(await call("GET", path, undefined, bearer(t)), message);
  });
});
