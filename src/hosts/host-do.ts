import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import type { Claim, HostTarget } from "../jobs/moves";
import { errorFields, log } from "../lib/log";
import { HostCore } from "./core";

/**
 * One Durable Object per ComfyUI host: the only writer of its running jobs, and the live source of
 * their progress. It keeps an alarm armed (deadlines, ticks, idle checks), because an outbound
 * WebSocket does not keep it alive.
 */
export class HostDO extends DurableObject<Env> {
  #core: HostCore | undefined;

  /** Returns once the attempt is stored; the prompt goes out after. */
  dispatch(c: Claim) {
    return this.#with((h) => h.dispatch(c));
  }

  cancel(jobId: string) {
    return this.#with((h) => h.cancel(jobId));
  }

  /** The finished row when the job leaves this host; `null` on timeout; `undefined` when the host does not hold it. */
  waitFor(jobId: string, timeoutMs: number, attemptId?: string) {
    return this.#with((h) => h.waitFor(jobId, timeoutMs, attemptId));
  }

  /** A running job's start time and progress, which D1 gets only now and then. */
  live(jobId: string) {
    return this.#with(async (h) => h.live(jobId));
  }

  /** A job's stream has watchers: report the job to it for a while, and say what it missed. */
  watch(jobId: string) {
    return this.#with(async (h) => h.watch(jobId));
  }

  /** A feed (GET /events) has watchers: report its jobs to it until `untilMs`. */
  feed(name: string, untilMs: number) {
    return this.#with(async (h) => h.feed(name, untilMs));
  }

  /** The latest preview of a job running here (GET /jobs/:id/preview). */
  preview(jobId: string) {
    return this.#with(async (h) => h.preview(jobId));
  }

  /** When the job's last attempt here passed each step (for `npm run bench`'s per-phase trace). */
  trace(jobId: string) {
    return this.#with(async (h) => h.trace(jobId));
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
    this.#core ??= new HostCore(
      this.ctx.storage.sql,
      this.env,
      async (atMs) => {
        const current = await this.ctx.storage.getAlarm();
        if (current === null || current > atMs) await this.ctx.storage.setAlarm(atMs);
      },
      (p) => void p.catch((e: unknown) => log.error("host.background_failed", errorFields(e))),
    );
    return fn(this.#core);
  }
}
