/**
 * The "closed" test project's configuration (vitest.config.ts binds it for test/auth/**): config
 * keys for each role, a JWT secret and a JWKS, a rate limit low enough to exhaust, a pending limit.
 * Tests import the same constants, so the two never drift.
 */
export const ADMIN_KEY = "test-admin-key-0123456789abcdef";
export const USER_KEY = "test-user-a-key-0123456789abcdef";
export const OTHER_USER_KEY = "test-user-b-key-0123456789abcdef";
/** A key shaped like a JWT (two dots) that is none: sent as a Bearer token it must still work as a key. */
export const DOTTED_USER_KEY = "test.user-c-key.0123456789abcdef";
export const JWT_SECRET = "test-jwt-secret-0123456789abcdef-0123456789";
export const JWT_AUDIENCE = "comfy-edge-tests";
export const JWT_ISSUER = "https://issuer.comfy-edge.test";
// Above what routes.security.test.ts sends without a credential from one IP in a minute (it grows with the route table).
export const RATE_LIMIT_MAX = 600;
export const PENDING_LIMIT = 10;
/** CORS_ORIGINS lists these two (a trailing slash and spaces, as a deployer might write them). */
export const ALLOWED_ORIGIN = "https://app.example.test";
export const OTHER_ALLOWED_ORIGIN = "http://localhost:5173";
export const METRICS_TOKEN = "test-metrics-token-0123456789abcdef";

export const closedBindings = (launcherUrl: string) => ({
  API_KEYS: `${ADMIN_KEY}:admin,${USER_KEY}:user,${OTHER_USER_KEY}:user,${DOTTED_USER_KEY}:user`,
  JWT_SECRET,
  JWT_JWKS_URL: `${launcherUrl}/jwks`,
  JWT_AUDIENCE,
  JWT_ISSUER,
  RATE_LIMIT_MAX: String(RATE_LIMIT_MAX),
  RATE_LIMIT_WINDOW_MS: "60000",
  PENDING_LIMIT: String(PENDING_LIMIT),
  CORS_ORIGINS: `${ALLOWED_ORIGIN}/ , ${OTHER_ALLOWED_ORIGIN}`,
  METRICS_TOKEN,
});
