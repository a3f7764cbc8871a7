import { Hono } from "hono";
import { ApiError } from "../../errors";
import { parseRange } from "../../storage/range";
import { signingSecret, verifySignature } from "../../storage/signed-url";
import type { AppEnv } from "../context";

/**
 * Serves outputs behind Worker-signed links. The link is the credential: no API key is needed,
 * so it works in a browser, a webhook receiver or curl.
 */
export const fileRoutes = new Hono<AppEnv>().on(["GET", "HEAD"], "/files/outputs/:jobId/:name", async (c) => {
  const key = `outputs/${c.req.param("jobId")}/${c.req.param("name")}`;
  const secret = await signingSecret(c.get("db"), c.env.DB, c.get("config").SIGNING_SECRET);
  const verdict = await verifySignature(secret, key, c.req.query("exp"), c.req.query("sig"), Date.now());
  if (!verdict.ok) {
    if (verdict.reason === "expired") throw new ApiError("SIGNATURE_EXPIRED", "This download link has expired; ask the API for the job again to get a fresh link");
    throw new ApiError("SIGNATURE_INVALID", "This download link is not valid (it was altered or is incomplete)");
  }
  // A plain GET (no Range, no If-None-Match: nearly every download) is one R2 call; the rest need the size or ETag first.
  const plain = c.req.method === "GET" && c.req.header("range") === undefined && c.req.header("if-none-match") === undefined;
  const whole = plain ? await c.env.OUTPUTS.get(key) : null;
  const head = whole ?? (await c.env.OUTPUTS.head(key));
  if (!head) throw new ApiError("NOT_FOUND", "Output not found");
  const headers = new Headers({
    "content-type": head.httpMetadata?.contentType ?? "application/octet-stream",
    etag: head.httpEtag,
    "accept-ranges": "bytes",
    "cache-control": "private, max-age=300",
    "content-disposition": `inline; filename="${c.req.param("name").replace(/["\\]/g, "_")}"`,
    "x-content-type-options": "nosniff",
  });
  if (c.req.header("if-none-match") === head.httpEtag) return new Response(null, { status: 304, headers });
  const range = parseRange(c.req.header("range"), head.size);
  if (range === "unsatisfiable") {
    headers.set("content-range", `bytes */${head.size}`);
    throw new ApiError("RANGE_NOT_SATISFIABLE", `Range not satisfiable for an object of ${head.size} bytes`, { headers: Object.fromEntries(headers) });
  }
  const isHead = c.req.method === "HEAD";
  if (range) {
    headers.set("content-range", `bytes ${range.offset}-${range.offset + range.length - 1}/${head.size}`);
    headers.set("content-length", String(range.length));
    if (isHead) return new Response(null, { status: 206, headers });
    const obj = await c.env.OUTPUTS.get(key, { range });
    if (!obj) throw new ApiError("NOT_FOUND", "Output not found");
    return new Response(obj.body, { status: 206, headers });
  }
  headers.set("content-length", String(head.size));
  if (isHead) return new Response(null, { status: 200, headers });
  const obj = whole ?? (await c.env.OUTPUTS.get(key));
  if (!obj) throw new ApiError("NOT_FOUND", "Output not found");
  return new Response(obj.body, { status: 200, headers });
});
