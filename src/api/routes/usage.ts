import { Hono } from "hono";
import { canSee } from "../../auth/roles";
import { ApiError } from "../../errors";
import { usageRange, usageReport, usageRows } from "../../jobs/usage";
import type { AppEnv } from "../context";
import { UsageQuery } from "../../schemas/usage";
import { query } from "../validate";

/** Your own usage; an admin may ask for anyone's with `?owner=`. */
export const usageRoutes = new Hono<AppEnv>().get("/usage", async (c) => {
  const q = query(c, UsageQuery);
  const who = c.get("principal");
  const owner = q.owner ?? who.id;
  if (!canSee(who, owner)) throw new ApiError("FORBIDDEN", "Admin role required for this operation", { reason: "usage_of_other_owner" });
  const range = usageRange(q.from, q.to, Date.now());
  const rows = await usageRows(c.env.DB, owner, range.fromMs, range.toMs);
  return c.json({ owner, from: range.from, to: range.to, ...usageReport(rows, range) });
});
