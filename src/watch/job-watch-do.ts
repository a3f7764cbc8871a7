import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";

/** How long a placement is remembered for a long-poll that registers just after it. */
const PLACED_KEPT_MS = 60_000;

/**
 * One object per queued job a client is waiting on: the rendezvous between the long-poll and
 * whoever places the job, so a waiting client learns where its job went the moment it is claimed
 * instead of polling D1. Memory only: if the object is evicted, the long-poll's D1 re-read (every
 * few seconds) still finds the job.
 */
export class JobWatchDO extends DurableObject<Env> {
  #placed: { hostId: string; atMs: number } | null = null;
  #waiters: ((hostId: string | null) => void)[] = [];

  /** The host the job was placed on, as soon as it is; `null` after `timeoutMs`. */
  waitPlaced(timeoutMs: number): Promise<string | null> {
    if (this.#placed && Date.now() - this.#placed.atMs < PLACED_KEPT_MS) return Promise.resolve(this.#placed.hostId);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== wake);
        resolve(null);
      }, timeoutMs);
      const wake = (hostId: string | null) => {
        clearTimeout(timer);
        resolve(hostId);
      };
      this.#waiters.push(wake);
    });
  }

  placed(hostId: string): void {
    this.#placed = { hostId, atMs: Date.now() };
    for (const wake of this.#waiters) wake(hostId);
    this.#waiters = [];
  }
}
