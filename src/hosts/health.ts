import { and, eq, ne } from "drizzle-orm";
import type { Db } from "../db/client";
import { hosts } from "../db/schema";
import { log } from "../lib/log";

/**
 * Records a health check: reachable hosts come (back) online unless an admin is draining them. An
 * `error` on a reachable host is kept as its last error (it answers, but refused work).
 */
export async function markHost(d: Db, hostId: string, r: { ok: boolean; nowMs: number; error?: string }) {
  if (r.ok) {
    await d.update(hosts).set({ lastSeenAtMs: r.nowMs, lastError: r.error?.slice(0, 500) ?? null }).where(eq(hosts.id, hostId)).run();
    const back = await d.update(hosts).set({ state: "online" }).where(and(eq(hosts.id, hostId), eq(hosts.state, "offline"))).returning({ name: hosts.name }).all();
    for (const h of back) log.info("host.state_changed", { host: h.name, from: "offline", to: "online" });
  } else {
    const gone = await d
      .update(hosts)
      .set({ state: "offline", lastError: (r.error ?? "unreachable").slice(0, 500) })
      .where(and(eq(hosts.id, hostId), ne(hosts.state, "draining"), ne(hosts.state, "offline")))
      .returning({ name: hosts.name })
      .all();
    for (const h of gone) log.info("host.state_changed", { host: h.name, to: "offline", error: r.error ?? "unreachable" });
  }
}

/**
 * `busy`: online, but its running prompt has held up the one waiting behind it past
 * HOST_QUEUE_WAIT_MS; it takes no new work until a prompt of its ends (finishMove sets it online).
 */
export async function markHostBusy(d: Db, hostId: string) {
  const held = await d.update(hosts).set({ state: "busy" }).where(and(eq(hosts.id, hostId), eq(hosts.state, "online"))).returning({ name: hosts.name }).all();
  for (const h of held) log.info("host.state_changed", { host: h.name, from: "online", to: "busy" });
}
