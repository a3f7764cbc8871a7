import type { Env } from "../env";
import { config } from "../env";
import { errorFields, log } from "../lib/log";
import type { FleetAlert } from "../scheduler/fleet-alert";
import { checkCallbackUrl } from "./callback";
import { webhookSettings } from "./settings";
import { signatureHeaders } from "./sign";

/** The alert state kept between sweeps (in `counters`), so that only a change is announced. */
const STATE = "fleet_alert_state";
const CODES = { clear: 0, no_host_online: 1, no_host_has_model: 2 } as const;

/**
 * Records the fleet's alert state and, when it changed since the last sweep and ALERT_WEBHOOK_URL
 * is set, POSTs it there once, signed like every webhook (a missed one is followed by the next
 * change; the log warns every minute while an alert lasts). Returns whether it changed.
 */
export async function announceAlertChange(env: Env, alert: FleetAlert | null, nowMs: number): Promise<boolean> {
  const code = CODES[alert?.reason ?? "clear"];
  // Written only when different; RETURNING says whether it was (a first-ever clear state is not news).
  const changed = await env.DB.prepare(
    `INSERT INTO counters (name, value) SELECT ?1, ?2 WHERE ?2 != 0 OR EXISTS (SELECT 1 FROM counters WHERE name = ?1)
       ON CONFLICT (name) DO UPDATE SET value = excluded.value WHERE counters.value != excluded.value RETURNING value`,
  ).bind(STATE, code).first();
  if (!changed) return false;
  log.info(alert ? "fleet.alert_raised" : "fleet.alert_cleared", alert ?? {});
  const url = config(env).ALERT_WEBHOOK_URL;
  if (!url) return true;
  const s = webhookSettings(config(env));
  const target = checkCallbackUrl(url, s.callbacks);
  if (!target.ok) {
    log.warn("fleet.alert_webhook_refused", { reason: target.message });
    return true;
  }
  const body = JSON.stringify({ type: alert ? "fleet.alert" : "fleet.alert_cleared", timestamp: new Date(nowMs).toISOString(), data: alert ?? { reason: null } });
  const headers = { "content-type": "application/json", ...(await signatureHeaders({ current: s.current, previous: s.previous, msgId: `msg_alert_${nowMs}`, timestampS: Math.floor(nowMs / 1000), body })) };
  try {
    const res = await fetch(target.url, { method: "POST", headers, body, redirect: "manual", signal: AbortSignal.timeout(s.timeoutMs) });
    await res.body?.cancel();
    log.info("fleet.alert_webhook", { status: res.status });
  } catch (e) {
    log.warn("fleet.alert_webhook_failed", errorFields(e));
  }
  return true;
}
