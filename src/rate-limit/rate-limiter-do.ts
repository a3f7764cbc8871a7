import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { errorFields, log } from "../lib/log";
import { addToCounter, RATE_LIMIT_REFUSALS } from "../metrics/counters";
import { countHit, type RateLimitResult, type RateLimitRule, type WindowState } from "./limiter";

const KEY = "window";
/** Refusals not yet added to the deployment's total in D1 (GET /metrics). */
const REFUSED = "refused";
const FLUSH_RETRY_MS = 60_000;

/**
 * One object per bucket (principal or client IP), so counting is exact across the whole
 * deployment: a Durable Object runs one request at a time, and `hit` reads and writes its window
 * synchronously. The window lives in memory and in storage (an eviction keeps the count); the
 * alarm at the window's reset deletes the storage, so idle buckets cost nothing. Refusals are
 * tallied here and added to D1 once per window, never once per refusal: a client hammering past
 * its limit must not turn into a D1 write per request.
 */
export class RateLimiterDO extends DurableObject<Env> {
  #window: WindowState | undefined;
  #loaded = false;
  #flushing: Promise<void> | undefined;

  hit(rule: RateLimitRule): RateLimitResult {
    if (!this.#loaded) {
      this.#window = this.ctx.storage.kv.get<WindowState>(KEY);
      this.#loaded = true;
    }
    const before = this.#window;
    const { state, result } = countHit(before, rule, Date.now());
    if (state !== before) {
      this.#window = state;
      this.ctx.storage.kv.put(KEY, state);
      if (state.startMs !== before?.startMs) {
        // A new window arms the alarm at its reset; the storage write and the alarm commit together.
        void this.ctx.storage.setAlarm(state.resetAtMs);
        // Re-arming replaces the alarm that would have flushed: a bucket busy across windows flushes here.
        if (this.#refused() > 0) this.ctx.waitUntil(this.#flush().catch((e: unknown) => log.warn("rate_limit.flush_failed", errorFields(e))));
      }
    }
    if (!result.allowed) this.ctx.storage.kv.put(REFUSED, this.#refused() + 1);
    return result;
  }

  override async alarm() {
    try {
      await this.#flush();
    } catch (e) {
      log.warn("rate_limit.flush_failed", errorFields(e));
      await this.ctx.storage.setAlarm(Date.now() + FLUSH_RETRY_MS);
      return;
    }
    const w = this.#loaded ? this.#window : this.ctx.storage.kv.get<WindowState>(KEY);
    if (w && Date.now() < w.resetAtMs) {
      await this.ctx.storage.setAlarm(w.resetAtMs);
      return;
    }
    this.#window = undefined;
    this.#loaded = true;
    await this.ctx.storage.deleteAll();
  }

  #refused(): number {
    return this.ctx.storage.kv.get<number>(REFUSED) ?? 0;
  }

  /** Adds the tallied refusals to D1, then takes off what was added (more may have come in meanwhile). */
  #flush(): Promise<void> {
    this.#flushing ??= (async () => {
      const n = this.#refused();
      if (n === 0) return;
      await addToCounter(this.env.DB, RATE_LIMIT_REFUSALS, n);
      const left = this.#refused() - n;
      if (left > 0) this.ctx.storage.kv.put(REFUSED, left);
      else this.ctx.storage.kv.delete(REFUSED);
    })().finally(() => {
      this.#flushing = undefined;
    });
    return this.#flushing;
  }
}
