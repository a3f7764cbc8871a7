import { z } from "zod";
import { JOB_STATUSES } from "./job";

const Day = z.iso.date().describe("A UTC day, YYYY-MM-DD");

export const UsageQuery = z.strictObject({
  // A JWT owner id holds its issuer (up to 255 characters, escaped up to threefold) and its sub (up to 255).
  owner: z.string().min(1).max(2048).optional().describe("Admin only: whose usage, by owner id (e.g. key:<id>, cfg:<hex>, jwt:<issuer>:<sub>); default your own"),
  from: Day.optional().describe("First day (default: 29 days before `to`)"),
  to: Day.optional().describe("Last day, inclusive (default: today, UTC)"),
});

const ByStatus = z.object(Object.fromEntries(JOB_STATUSES.map((s) => [s, z.number()])) as Record<(typeof JOB_STATUSES)[number], z.ZodNumber>);

const UsageDay = z.object({
  date: z.string(),
  jobs: ByStatus.extend({ total: z.number() }),
  gpuSeconds: z.number().describe("Sum of the jobs' execution time, in seconds"),
});

export const UsageSchema = z.object({
  owner: z.string(),
  from: z.string(),
  to: z.string(),
  days: z.array(UsageDay).describe("Every day of the range, by the day (UTC) each job was submitted"),
  totals: UsageDay.omit({ date: true }),
});
