export type HostLoad = { id: string; state: string; slots: number; inUse: number; lastAssignedAtMs: number };

/**
 * Orders hosts for placement: only online or busy hosts with a free slot, the most free slots
 * first, ties to the least recently used, so work spreads across the fleet.
 */
export function placementOrder<H extends HostLoad>(hosts: readonly H[]): H[] {
  return hosts
    .filter((h) => (h.state === "online" || h.state === "busy") && h.inUse < h.slots)
    .sort((a, b) => b.slots - b.inUse - (a.slots - a.inUse) || a.lastAssignedAtMs - b.lastAssignedAtMs || a.id.localeCompare(b.id));
}
