import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, type JWTVerifyGetKey } from "jose";
import type { Config } from "../env";
import { isRole, type Role } from "./roles";

/**
 * JWT bearer tokens. HS256 with JWT_SECRET; RS256/ES256 with the keys at JWT_JWKS_URL. The token's
 * `alg` picks the key source and each source accepts only its own algorithms, so `none`, an HS256
 * token signed with a published RSA key (algorithm confusion) and anything else are refused before
 * a key is even chosen. `iss` + `sub` name the owner (src/auth/owner.ts), `role` the role (default
 * user); `exp` is required.
 */
export type JwtSettings = {
  secret?: Uint8Array;
  jwks?: JWTVerifyGetKey;
  audience?: string[];
  issuer?: string[];
};

export type JwtFailure =
  | { reason: "malformed" }
  | { reason: "algorithm_not_allowed"; alg: unknown }
  | { reason: "bad_signature" }
  | { reason: "expired" }
  | { reason: "not_yet_valid" }
  | { reason: "claim_mismatch"; claim: string }
  | { reason: "missing_claim"; claim: string }
  | { reason: "bad_role" }
  | { reason: "keys_unavailable"; detail: string };

export type JwtResult = { ok: true; iss: string | undefined; sub: string; role: Role } | { ok: false; error: JwtFailure };

const HMAC_ALGS = ["HS256"];
const JWKS_ALGS = ["RS256", "ES256"];

function failureOf(e: unknown): JwtFailure {
  if (e instanceof errors.JWTExpired) return { reason: "expired" };
  if (e instanceof errors.JWTClaimValidationFailed) {
    if (e.claim === "nbf" && e.reason === "check_failed") return { reason: "not_yet_valid" };
    if (e.reason === "missing") return { reason: "missing_claim", claim: e.claim };
    return { reason: "claim_mismatch", claim: e.claim };
  }
  if (e instanceof errors.JWSSignatureVerificationFailed || e instanceof errors.JWKSNoMatchingKey || e instanceof errors.JWKSMultipleMatchingKeys) {
    return { reason: "bad_signature" };
  }
  if (e instanceof errors.JOSEAlgNotAllowed) return { reason: "algorithm_not_allowed", alg: undefined };
  if (e instanceof errors.JWKSTimeout || e instanceof errors.JWKSInvalid || (e instanceof errors.JOSEError && /JSON Web Key Set/.test(e.message))) {
    return { reason: "keys_unavailable", detail: e.message };
  }
  if (e instanceof TypeError && /fetch|network/i.test(e.message)) return { reason: "keys_unavailable", detail: e.message };
  return { reason: "malformed" };
}

/** Verifies a compact JWT against the configured key sources. Never throws. */
export async function verifyJwt(token: string, s: JwtSettings, nowMs = Date.now()): Promise<JwtResult> {
  let alg: unknown;
  try {
    alg = decodeProtectedHeader(token).alg;
  } catch {
    return { ok: false, error: { reason: "malformed" } };
  }
  const opts = {
    audience: s.audience,
    issuer: s.issuer,
    currentDate: new Date(nowMs),
    requiredClaims: ["sub", "exp"],
  };
  try {
    let payload;
    if (typeof alg === "string" && HMAC_ALGS.includes(alg) && s.secret) {
      ({ payload } = await jwtVerify(token, s.secret, { ...opts, algorithms: HMAC_ALGS }));
    } else if (typeof alg === "string" && JWKS_ALGS.includes(alg) && s.jwks) {
      ({ payload } = await jwtVerify(token, s.jwks, { ...opts, algorithms: JWKS_ALGS }));
    } else {
      return { ok: false, error: { reason: "algorithm_not_allowed", alg } };
    }
    if (typeof payload.sub !== "string" || payload.sub.length === 0 || payload.sub.length > 255) {
      return { ok: false, error: { reason: "missing_claim", claim: "sub" } };
    }
    // jose checks `iss` only against JWT_ISSUER; unset, any value passes, and the owner id needs a string.
    if (payload.iss !== undefined && (typeof payload.iss !== "string" || payload.iss.length > 255)) return { ok: false, error: { reason: "claim_mismatch", claim: "iss" } };
    const role = payload.role ?? "user";
    if (!isRole(role)) return { ok: false, error: { reason: "bad_role" } };
    return { ok: true, iss: payload.iss, sub: payload.sub, role };
  } catch (e) {
    return { ok: false, error: failureOf(e) };
  }
}

/**
 * What the client is told. Before the signature is checked the messages say as little as possible;
 * claim messages only ever reach holders of a validly signed token, so they may say what to fix.
 */
export function jwtFailureMessage(f: JwtFailure): string {
  switch (f.reason) {
    case "malformed":
      return "Invalid JWT token";
    case "algorithm_not_allowed":
    case "bad_signature":
      return "Invalid JWT signature";
    case "expired":
      return "JWT token has expired";
    case "not_yet_valid":
      return "JWT token is not valid yet (nbf)";
    case "claim_mismatch":
      return "JWT audience or issuer is not accepted";
    case "missing_claim":
      return "JWT token must carry sub and exp claims";
    case "bad_role":
      return 'JWT role claim must be "user" or "admin"';
    case "keys_unavailable":
      return "JWT signing keys could not be fetched; try again shortly";
  }
}

/** Whether any JWT source is configured (either closes open mode). */
export const jwtConfigured = (cfg: Pick<Config, "JWT_SECRET" | "JWT_JWKS_URL">) => Boolean(cfg.JWT_SECRET || cfg.JWT_JWKS_URL);

const remoteSets = new Map<string, JWTVerifyGetKey>();
const refuseAll: JWTVerifyGetKey = async () => {
  throw new errors.JWKSInvalid("JWT_JWKS_URL is not a valid https/http URL");
};

/** The remote key set is made once per URL per isolate; jose caches its keys (10 min) and refetches on an unknown kid. */
function remoteJwks(url: string): JWTVerifyGetKey {
  let set = remoteSets.get(url);
  if (!set) {
    let parsed: URL | null = null;
    try {
      parsed = new URL(url);
    } catch {
      /* refuse below */
    }
    set = parsed && /^https?:$/.test(parsed.protocol) ? createRemoteJWKSet(parsed, { timeoutDuration: 5_000, cooldownDuration: 30_000, cacheMaxAge: 600_000 }) : refuseAll;
    remoteSets.set(url, set);
  }
  return set;
}

export function jwtSettings(cfg: Pick<Config, "JWT_SECRET" | "JWT_JWKS_URL" | "JWT_AUDIENCE" | "JWT_ISSUER">): JwtSettings {
  return {
    secret: cfg.JWT_SECRET ? new TextEncoder().encode(cfg.JWT_SECRET) : undefined,
    jwks: cfg.JWT_JWKS_URL ? remoteJwks(cfg.JWT_JWKS_URL) : undefined,
    audience: cfg.JWT_AUDIENCE,
    issuer: cfg.JWT_ISSUER,
  };
}
