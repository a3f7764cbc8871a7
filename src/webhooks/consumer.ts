import { z } from "zod";
import { db } from "../db/client";
import { config, type Env } from "../env";
import { errorFields, log } from "../lib/log";
import { attemptDelivery } from "./deliver";
import { sendAttempt, type WebhookMessage } from "./enqueue";
import { maxAttemptsFor, webhookSettings } from "./settings";
import { claimAttempt, getDelivery, giveUp } from "./store";

/** Must match the WEBHOOKS queue in wrangler.toml: src/index.ts routes its batches here by name. */
export const WEBHOOKS_QUEUE = "comfy-edge-webhooks";

const Message = z.object({ deliveryId: z.string().min(1).max(200), attempt: z.int().min(1).max(1000) });

/** A lease past the attempt's own timeout, for the time it takes to record it. */
const LEASE_MARGIN_MS = 30_000;
/** Queue delays are whole seconds; the last fraction of a wait is slept here rather than sent round again. */
const WAIT_INLINE_MS = 1_000;

/**
 * The WEBHOOKS consumer. Each message says "attempt n of delivery x is due"; the messages of a
 * batch run side by side. A message is acknowledged once D1 says what happened; only a crash
 * (D1 unreachable) retries it, and even then D1 still holds the delivery for the sweep.
 */
export async function consumeWebhooks(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  await Promise.all(
    batch.messages.map(async (m) => {
      const parsed = Message.safeParse(m.body);
      if (!parsed.success) {
        log.warn("webhook.message_malformed", { messageId: m.id });
        return m.ack();
      }
      try {
        await runMessage(env, parsed.data);
        m.ack();
      } catch (e) {
        log.error("webhook.consume_failed", { deliveryId: parsed.data.deliveryId, attempt: parsed.data.attempt, ...errorFields(e) });
        m.retry({ delaySeconds: 10 });
      }
    }),
  );
}

export async function runMessage(env: Env, msg: WebhookMessage): Promise<"attempted" | "stale" | "later" | "gave_up"> {
  const d = db(env.DB);
  const s = webhookSettings(config(env));
  const row = await getDelivery(d, msg.deliveryId);
  // Not pending, or not at this attempt: a duplicate or late message whose work is done or taken.
  if (!row || row.status !== "pending" || row.attempts !== msg.attempt - 1) return "stale";
  if (msg.attempt > maxAttemptsFor(row.event, s)) {
    await giveUp(d, row, `gave up after ${row.attempts} attempts (the last one was lost before it could be recorded)`, Date.now());
    return "gave_up";
  }
  const wait = (row.nextAttemptAtMs ?? 0) - Date.now();
  if (wait > WAIT_INLINE_MS) {
    await sendAttempt(env, msg, wait);
    return "later";
  }
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const now = Date.now();
  const claimed = await claimAttempt(d, row.id, msg.attempt, now + s.timeoutMs + LEASE_MARGIN_MS, now);
  if (!claimed) return "stale";
  const step = await attemptDelivery(env, claimed, msg.attempt);
  if (step.kind === "retry") await sendAttempt(env, { deliveryId: row.id, attempt: msg.attempt + 1 }, step.delayMs);
  return "attempted";
}
