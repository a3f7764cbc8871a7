/**
 * Owner ids: what jobs, uploads, deliveries, idempotency records, usage and rate-limit buckets are
 * keyed by. Each starts with where the identity came from, so a credential of one kind can never
 * name an owner of another (a JWT's `sub` is the token issuer's to choose, not ours):
 *
 *   open:anonymous          open mode (no credential configured anywhere)
 *   cfg:<16 hex>            a key from API_KEYS: the start of its SHA-256, never the key
 *   key:<id>                a key stored with POST /keys
 *   jwt:<issuer>:<sub>      a JWT; <issuer> is its `iss` with `%` and `:` percent-encoded, or `-` without one
 *
 * The issuer part never holds a `:`, so the first `:` after `jwt:` ends it and `sub` may hold anything.
 */
export const OPEN_OWNER = "open:anonymous";

export const configKeyOwner = (digest: string) => `cfg:${digest.slice(0, 16)}`;

export const storedKeyOwner = (id: string) => `key:${id}`;

/** No `iss` at all; an `iss` of exactly "-" is written `%2D`, so the two stay apart. */
const NO_ISSUER = "-";
/** Migration 0006 could not know which issuer an old bare `sub` came from; no token's issuer part is ever `?`. */
const UNKNOWN_ISSUER = "?";

function issuerPart(iss: string | undefined): string {
  if (iss === undefined) return NO_ISSUER;
  const escaped = iss.replace(/[%:]/g, (c) => (c === "%" ? "%25" : "%3A"));
  if (escaped === NO_ISSUER) return "%2D";
  if (escaped === UNKNOWN_ISSUER) return "%3F";
  return escaped;
}

export const jwtOwner = (iss: string | undefined, sub: string) => `jwt:${issuerPart(iss)}:${sub}`;

/** Where migration 0006 put the rows of a JWT `sub` written before owners had namespaces. */
export const legacyJwtOwner = (sub: string) => `jwt:${UNKNOWN_ISSUER}:${sub}`;
