import { Hono, type MiddlewareHandler } from "hono";
import { timingSafeEqualStr } from "../../lib/bytes";
import { collectFleetStats } from "../../metrics/collect";
import { formatPrometheus, PROMETHEUS_CONTENT_TYPE } from "../../metrics/exposition";
import { metricFamilies } from "../../metrics/families";
import { hostLoads } from "../../scheduler/place";
import type { AppEnv } from "../context";
import { requireRole } from "../middleware/auth";
import { hostView } from "./hosts";

/**
 * A scraper may hold METRICS_TOKEN (`Authorization: Bearer <token>`) instead of an admin key, so
 * the key that can delete hosts need not sit in a Prometheus config. Anyone else: the admin rule.
 */
export const metricsAccess = (): MiddlewareHandler<AppEnv> =>
  async function metricsAccess(c, next) {
    const token = c.get("config").METRICS_TOKEN;
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "")?.[1];
    if (token && bearer && timingSafeEqualStr(bearer, token)) return next();
    return requireRole("admin")(c, next);
  };

/** The fleet in Prometheus text format (docs/metrics.md): one D1 batch and one hosts read per scrape. */
export const metricsRoutes = new Hono<AppEnv>().get("/metrics", metricsAccess(), async (c) => {
  const now = Date.now();
  const [stats, hosts] = await Promise.all([collectFleetStats(c.env.DB, now), hostLoads(c.env)]);
  const body = formatPrometheus(metricFamilies(stats, hosts.map(hostView), now));
  return c.body(body, 200, { "content-type": PROMETHEUS_CONTENT_TYPE, "cache-control": "no-store" });
});
