import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { hosts } from "../../db/schema";
import { ApiError, notFound } from "../../errors";
import { newId } from "../../lib/ids";
import { errorFields, log } from "../../lib/log";
import { hostLoads, hostTarget, placeQueued } from "../../scheduler/place";
import { requireRole } from "../middleware/auth";
import type { Env } from "../../env";
import type { AppEnv } from "../context";
import { CreateHost } from "../../schemas/host";
import { Id } from "../../schemas/common";
import { jsonBody, param } from "../validate";
import { hostObject } from "../../hosts/object";

type Loaded = Awaited<ReturnType<typeof hostLoads>>[number];

/** By id or by name, since admins think in names. */
async function findHost(env: Env, raw: string | undefined): Promise<Loaded> {
  const id = param(raw, Id, "Host");
  const h = (await hostLoads(env)).find((x) => x.id === id || x.name === id);
  if (!h) throw notFound("Host");
  return h;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The host as the API shows it: its credentials (headers) never leave the gateway. */
export function hostView(h: Loaded) {
  const headers = JSON.parse(h.headersJson) as Record<string, string>;
  return {
    id: h.id, name: h.name, url: h.url, slots: h.slots, slotsInUse: h.inUse,
    state: h.state === "online" && h.inUse >= h.slots ? ("busy" as const) : h.state,
    hasHeaders: Object.keys(headers).length > 0, lastError: h.lastError, lastSeenAt: iso(h.lastSeenAtMs), createdAt: iso(h.createdAtMs)!,
  };
}

export const hostRoutes = new Hono<AppEnv>()
  .use("/hosts", requireRole("admin"))
  .use("/hosts/*", requireRole("admin"))
  .post("/hosts", async (c) => {
    const body = await jsonBody(c, CreateHost);
    const d = c.get("db");
    if (await d.select({ id: hosts.id }).from(hosts).where(eq(hosts.name, body.name)).get()) {
      throw new ApiError("CONFLICT", `A host named "${body.name}" already exists`);
    }
    const row = {
      id: newId(), name: body.name, url: body.url.replace(/\/+$/, ""), headersJson: JSON.stringify(body.headers ?? {}),
      slots: body.slots ?? c.get("config").DEFAULT_HOST_SLOTS, state: "online" as const, lastError: null,
      lastSeenAtMs: null, lastAssignedAtMs: 0, createdAtMs: Date.now(), modelsJson: null, modelsAtMs: null,
    };
    try {
      await d.insert(hosts).values(row);
    } catch (e) {
      if (/UNIQUE/i.test(String(e))) throw new ApiError("CONFLICT", `A host named "${body.name}" already exists`);
      throw e;
    }
    log.info("host.created", { host: row.name, hostId: row.id });
    // Check on it and give it the work that was waiting, without making the admin wait.
    c.executionCtx.waitUntil(
      hostObject(c.env, row.id).check(hostTarget(row))
        .then(() => placeQueued(c.env))
        .catch((e: unknown) => log.warn("host.first_check_failed", { host: row.name, ...errorFields(e) })),
    );
    return c.json(hostView({ ...row, inUse: 0 }), 201);
  })
  .get("/hosts", async (c) => {
    const items = (await hostLoads(c.env)).sort((a, b) => a.name.localeCompare(b.name)).map(hostView);
    return c.json({ items, count: items.length });
  })
  .get("/hosts/:id", async (c) => c.json(hostView(await findHost(c.env, c.req.param("id")))))
  .post("/hosts/:id/drain", async (c) => {
    const h = await findHost(c.env, c.req.param("id"));
    await c.get("db").update(hosts).set({ state: "draining" }).where(eq(hosts.id, h.id)).run();
    log.info("host.draining", { host: h.name, inUse: h.inUse });
    return c.json(hostView({ ...h, state: "draining" }));
  })
  .post("/hosts/:id/resume", async (c) => {
    const h = await findHost(c.env, c.req.param("id"));
    await c.get("db").update(hosts).set({ state: "online" }).where(eq(hosts.id, h.id)).run();
    c.executionCtx.waitUntil(placeQueued(c.env).catch((e: unknown) => log.warn("host.resume_place_failed", errorFields(e))));
    return c.json(hostView({ ...h, state: "online" }));
  })
  .delete("/hosts/:id", async (c) => {
    const h = await findHost(c.env, c.req.param("id"));
    if (h.inUse > 0) throw new ApiError("CONFLICT", `Host "${h.name}" has ${h.inUse} job(s) in flight; wait for them to finish before removing it`);
    await c.get("db").delete(hosts).where(eq(hosts.id, h.id)).run();
    log.info("host.deleted", { host: h.name, hostId: h.id });
    return c.body(null, 204);
  });
