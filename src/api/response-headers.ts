import type { Context } from "hono";
import type { AppEnv } from "./context";

/** Sets headers on the response a middleware got back from `next()`, whatever produced it. */
export function setResponseHeaders(c: Context<AppEnv>, headers: Record<string, string>) {
  try {
    for (const [k, v] of Object.entries(headers)) c.res.headers.set(k, v);
  } catch {
    // A response with immutable headers (passed through from a fetch, or Response.redirect) is copied once to add them.
    c.res = new Response(c.res.body, c.res);
    for (const [k, v] of Object.entries(headers)) c.res.headers.set(k, v);
  }
}
