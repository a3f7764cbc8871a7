import { and, desc, eq, isNull } from "drizzle-orm";
import { Hono } from "hono";
import { keyDigest, newKeySecret, type StoredKeyRow } from "../../auth/api-keys";
import { noteStoredKey } from "../../auth/mode";
import { apiKeys } from "../../db/schema";
import { notFound } from "../../errors";
import { newId } from "../../lib/ids";
import { log } from "../../lib/log";
import { requireRole } from "../middleware/auth";
import type { AppEnv } from "../context";
import { Uuid } from "../../schemas/common";
import { CreateKey } from "../../schemas/key";
import { jsonBody, param } from "../validate";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A key as the API shows it: never its secret, never its hash. */
export const keyView = (k: StoredKeyRow) => ({
  id: k.id, name: k.name, role: k.role, prefix: k.prefix, rateLimitMax: k.rateLimitMax, pendingLimit: k.pendingLimit,
  expiresAt: iso(k.expiresAtMs), createdAt: iso(k.createdAtMs)!, lastUsedAt: iso(k.lastUsedAtMs), revokedAt: iso(k.revokedAtMs),
});

/** API keys stored in D1 (admin). The secret is returned once, by POST; only its SHA-256 is kept. */
export const keyRoutes = new Hono<AppEnv>()
  .use("/keys", requireRole("admin"))
  .use("/keys/*", requireRole("admin"))
  .post("/keys", async (c) => {
    const body = await jsonBody(c, CreateKey);
    const { secret, prefix } = newKeySecret();
    const row: StoredKeyRow = {
      id: newId(), name: body.name, role: body.role, secretHash: await keyDigest(secret), prefix,
      rateLimitMax: body.rateLimitMax ?? null, pendingLimit: body.pendingLimit ?? null,
      expiresAtMs: body.expiresAt ? Date.parse(body.expiresAt) : null, createdAtMs: Date.now(), revokedAtMs: null, lastUsedAtMs: null,
    };
    await c.get("db").insert(apiKeys).values(row);
    const wasOpen = c.get("authMode") === "open";
    noteStoredKey(c.env.DB);
    log.info("key.created", { keyId: row.id, prefix, role: row.role, by: c.get("principal").id });
    if (wasOpen) log.warn("auth.open_mode_closed", { keyId: row.id, note: "a stored key now exists: every request needs a credential" });
    c.header("Cache-Control", "no-store");
    return c.json({ ...keyView(row), secret }, 201);
  })
  .get("/keys", async (c) => {
    const items = (await c.get("db").select().from(apiKeys).orderBy(desc(apiKeys.createdAtMs)).all()).map(keyView);
    return c.json({ items, count: items.length });
  })
  .delete("/keys/:id", async (c) => {
    const id = param(c.req.param("id"), Uuid, "Key");
    const d = c.get("db");
    const row = await d.select().from(apiKeys).where(eq(apiKeys.id, id)).get();
    if (!row) throw notFound("Key");
    if (row.revokedAtMs !== null) return c.json(keyView(row));
    const revokedAtMs = Date.now();
    await d.update(apiKeys).set({ revokedAtMs }).where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAtMs))).run();
    log.info("key.revoked", { keyId: id, prefix: row.prefix, by: c.get("principal").id });
    return c.json(keyView({ ...row, revokedAtMs }));
  });
