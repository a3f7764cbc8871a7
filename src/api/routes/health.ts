import { Hono } from "hono";
import { ACTIVE, sqlList, STATUS } from "../../jobs/states";
import { configWarnings } from "../../env";
import { hostLoads } from "../../scheduler/place";
import { webhookSettings } from "../../webhooks/settings";
import type { AppEnv } from "../context";
import { rejectBadCredentials } from "../middleware/auth";
import { hostView } from "./hosts";
import { readFleetAlert } from "../../scheduler/fleet-alert";

/**
 * Liveness and fleet summary. Open to probes: without a credential it answers only `{ ok, auth }`
 * (the gateway is up); any valid credential (or open mode) adds the fleet, and `ok` then also says
 * whether queued work has a host that can take it (`alert` says why not). A bad credential is
 * refused like anywhere else.
 * It carries counts, never credentials.
 */
export const healthRoutes = new Hono<AppEnv>().get("/health", rejectBadCredentials(), async (c) => {
  const auth = c.get("authMode") === "open" ? "open" : "required";
  if (!c.get("caller")) return c.json({ ok: true, auth });
  const counts = { online: 0, busy: 0, draining: 0, offline: 0 };
  for (const h of (await hostLoads(c.env)).map(hostView)) counts[h.state]++;
  const [queue, alert] = await Promise.all([
    c.env.DB.prepare(`SELECT sum(status = ${sqlList([STATUS.queued])}) AS queued, sum(status IN (${sqlList(ACTIVE)})) AS running FROM jobs`).first<{ queued: number | null; running: number | null }>(),
    readFleetAlert(c.get("db"), Date.now()),
  ]);
  return c.json({
    // The gateway is up either way; `ok: false` says queued work has no host that can take it.
    ok: alert === null,
    ...(alert ? { alert } : {}),
    auth,
    comfyui: { reachable: counts.online + counts.busy > 0, hosts: counts },
    jobs: { queued: queue?.queued ?? 0, running: queue?.running ?? 0 },
    // Settings that are fine for local development and wrong in production (also logged once per isolate).
    warnings: [...configWarnings(c.get("config")), ...webhookSettings(c.get("config")).warnings],
    time: new Date().toISOString(),
  });
});
