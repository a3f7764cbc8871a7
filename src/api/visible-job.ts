import { eq } from "drizzle-orm";
import type { Context } from "hono";
import { canSee } from "../auth/roles";
import { jobs, type JobRow } from "../db/schema";
import { notFound } from "../errors";
import { Uuid } from "../schemas/common";
import type { AppEnv } from "./context";
import { param } from "./validate";

/** A job the caller may see: another owner's job answers 404, the same as a missing one. */
export async function visibleJob(c: Context<AppEnv>, rawId: string | undefined): Promise<JobRow> {
  const id = param(rawId, Uuid, "Job");
  const who = c.get("principal");
  const row = await c.get("db").select().from(jobs).where(eq(jobs.id, id)).get();
  if (!row || !canSee(who, row.owner)) throw notFound("Job");
  return row;
}
