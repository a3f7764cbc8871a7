import { createApp } from "./app";
import type { Env } from "./env";
import { errorFields, log } from "./lib/log";
import { placeSoon } from "./scheduler/place";
import { sweep } from "./scheduler/sweep";
import { consumeWebhooks, WEBHOOKS_QUEUE } from "./webhooks/consumer";

export { HostDO } from "./hosts/host-do";
export { RateLimiterDO } from "./rate-limit/rate-limiter-do";
export { JobWatchDO } from "./watch/job-watch-do";
export { OwnerFeedDO } from "./watch/owner-feed-do";

const app = createApp();

export default {
  fetch: app.fetch,

  /**
   * Two queues, told apart by name. JOBS messages are wake-ups: placement always takes the oldest
   * highest-priority job, whatever the message named. WEBHOOKS messages each name one delivery attempt.
   */
  async queue(batch: MessageBatch<unknown>, env: Env) {
    if (batch.queue === WEBHOOKS_QUEUE) return consumeWebhooks(batch, env);
    try {
      // A claim with nothing queued writes nothing: it costs the same one round trip a probe would.
      await placeSoon(env);
      batch.ackAll();
    } catch (e) {
      log.error("queue.place_failed", errorFields(e));
      batch.retryAll({ delaySeconds: 2 });
    }
  },

  async scheduled(_controller: ScheduledController, env: Env, ctx: ExecutionContext) {
    ctx.waitUntil(sweep(env));
  },
} satisfies ExportedHandler<Env>;
