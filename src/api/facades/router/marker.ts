import type { JobRow } from "../../../db/schema";

/**
 * Jobs made through the facade carry this in their metadata. /preview/:id is public (the task id
 * is the capability, as in Comfy Router), so it shows only these: a job submitted through our own
 * API never has its images served to someone without a key just because its id got around.
 */
export const ROUTER_METADATA = { facade: "comfy-router" } as const;

export function madeByRouter(row: Pick<JobRow, "metadataJson">): boolean {
  try {
    const m = JSON.parse(row.metadataJson) as unknown;
    return typeof m === "object" && m !== null && (m as Record<string, unknown>).facade === ROUTER_METADATA.facade;
  } catch {
    return false;
  }
}
