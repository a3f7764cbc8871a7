import type { JobEvent, Stored } from "./events";

/**
 * A stream's numbered events. Ids are `<epoch>-<seq>`: the epoch names this object's lifetime, so
 * a Last-Event-ID from before a restart (memory lost) is recognised as such instead of being
 * mistaken for a position in the new numbering. The last `capacity` events are kept for resumes.
 */
export class EventLog {
  readonly epoch: string;
  #seq = 0;
  #ring: Stored[] = [];
  readonly #capacity: number;

  constructor(capacity: number, epoch = Date.now().toString(36)) {
    this.#capacity = capacity;
    this.epoch = epoch;
  }

  append(jobId: string, event: JobEvent): Stored {
    const s = { seq: ++this.#seq, jobId, event };
    this.#ring.push(s);
    if (this.#ring.length > this.#capacity) this.#ring.shift();
    return s;
  }

  id(s: Stored): string {
    return `${this.epoch}-${s.seq}`;
  }

  /** The events after `lastEventId`, or `null` when they cannot all be given (other epoch, or fallen out of the ring). */
  since(lastEventId: string | undefined): Stored[] | null {
    const m = /^([0-9a-z]+)-(\d{1,15})$/.exec(lastEventId ?? "");
    if (!m || m[1] !== this.epoch) return null;
    const after = Number(m[2]);
    if (after > this.#seq) return null;
    const first = this.#ring[0]?.seq ?? this.#seq + 1;
    if (after + 1 < first) return null;
    return this.#ring.filter((s) => s.seq > after);
  }
}
