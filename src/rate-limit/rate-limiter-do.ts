import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { countHit, type RateLimitResult, type RateLimitRule, type WindowState } from "./limiter";

const KEY = "window";

/**
 * One object per bucket (principal or client IP), so counting is exact across the whole
 * deployment: a Durable Object runs one request at a time, and `hit` reads and writes its window
 * synchronously. The window lives in memory and in storage (an eviction keeps the count); the
 * alarm at the window's reset deletes the storage, so idle buckets cost nothing.
 */
export class RateLimiterDO extends DurableObject<Env> {
  #window: WindowState | undefined;
  #loaded = false;

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
      // A new window arms the alarm at its reset; the storage write and the alarm commit together.
      if (state.startMs !== before?.startMs) void this.ctx.storage.setAlarm(state.resetAtMs);
    }
    return result;
  }

  override async alarm() {
    const w = this.#loaded ? this.#window : this.ctx.storage.kv.get<WindowState>(KEY);
    if (w && Date.now() < w.resetAtMs) {
      await this.ctx.storage.setAlarm(w.resetAtMs);
      return;
    }
    this.#window = undefined;
    this.#loaded = true;
    await this.ctx.storage.deleteAll();
  }
}
