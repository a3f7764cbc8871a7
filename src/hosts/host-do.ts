import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { errorFields, log } from "../lib/log";
import type { HostTarget, Placement } from "../scheduler/place";
import { HostCore } from "./core";

/**
 * One Durable Object per ComfyUI host: the only writer of its running jobs' progress. It keeps
 * an alarm armed while it has work, because an outbound WebSocket does not keep it alive.
 */
export class HostDO extends DurableObject<Env> {
  #core: HostCore | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // Waking after an eviction or restart: the alarm (which survives both) resumes the work.
  }

  dispatch(p: Placement) {
    return this.#with((h) => h.dispatch(p));
  }

  cancel(jobId: string) {
    return this.#with((h) => h.cancel(jobId));
  }

  /** Resolves when the job leaves this host (finished, failed, re-queued) or after `timeoutMs`. */
  waitFor(jobId: string, timeoutMs: number) {
    return this.#with((h) => h.waitFor(jobId, timeoutMs));
  }

  /** Whether this host still holds an attempt; the sweep uses it to find jobs no host took. */
  knows(attemptId: string) {
    return this.#with(async (h) => h.knows(attemptId));
  }

  /** A health check and reconcile pass now; the cron sweep calls this on every host. */
  check(host: HostTarget) {
    return this.#with((h) => h.check(host));
  }

  override async alarm() {
    try {
      await this.#with((h) => h.tick());
    } catch (e) {
      log.error("host.tick_failed", errorFields(e));
      await this.ctx.storage.setAlarm(Date.now() + 5_000);
    }
  }

  async #with<T>(fn: (h: HostCore) => Promise<T>): Promise<T> {
    this.#core ??= new HostCore(this.ctx.storage.sql, this.env, async (atMs) => {
      const current = await this.ctx.storage.getAlarm();
      if (current === null || current > atMs) await this.ctx.storage.setAlarm(atMs);
    });
    return fn(this.#core);
  }
}
