import { Hono } from "hono";
import { parseApiKeys } from "../../auth/api-keys";
import { hostLoads } from "../../scheduler/place";
import type { AppEnv } from "../context";
import { hostView } from "./hosts";

/** Liveness and fleet summary. Open to probes; it carries counts, never credentials. */
export const healthRoutes = new Hono<AppEnv>().get("/health", async (c) => {
  const counts = { online: 0, busy: 0, draining: 0, offline: 0 };
  for (const h of (await hostLoads(c.env)).map(hostView)) counts[h.state]++;
  const queue = await c.env.DB.prepare(
    `SELECT sum(status = 'queued') AS queued, sum(status IN ('running', 'canceling')) AS running FROM jobs`,
  ).first<{ queued: number | null; running: number | null }>();
  return c.json({
    ok: true,
    auth: parseApiKeys(c.get("config").API_KEYS).length > 0 ? "api-keys" : "open",
    comfyui: { reachable: counts.online + counts.busy > 0, hosts: counts },
    jobs: { queued: queue?.queued ?? 0, running: queue?.running ?? 0 },
    time: new Date().toISOString(),
  });
});
