import { errorFields, log } from "../lib/log";
import type { Stored } from "./events";
import { EventLog } from "./log";
import { renderEvent, type RenderCtx } from "./render";
import { SSE_HEADERS, sseComment, sseEvent, sseRetry } from "./sse";

/** A comment this often keeps proxies and idle-timeouts from closing a quiet stream. */
export const HEARTBEAT_MS = 15_000;
/** A watcher this far behind (events not yet taken by its connection) is dropped; it may resume. */
const MAX_BEHIND = 256;
const RECONNECT_MS = 2_000;

type Watcher = { writer: WritableStreamDefaultWriter<Uint8Array>; ctx: RenderCtx; chain: Promise<void>; behind: number; closed: boolean };

/**
 * The watchers of one stream and the numbered log they are served from. Each watcher gets every
 * event in order (rendered for it: its own origin and fresh signed links), a heartbeat comment every
 * HEARTBEAT_MS, and is dropped when its connection goes away or falls too far behind.
 */
export class Fanout {
  readonly log: EventLog;
  readonly #watchers = new Set<Watcher>();
  #timer: ReturnType<typeof setInterval> | undefined;
  readonly #onHeartbeat: () => void;

  constructor(capacity: number, onHeartbeat: () => void = () => {}) {
    this.log = new EventLog(capacity);
    this.#onHeartbeat = onHeartbeat;
  }

  get watched(): boolean {
    return this.#watchers.size > 0;
  }

  /** A new watcher: `initial` first, then everything broadcast; closed at once when `end`, or after `maxMs`. */
  open(ctx: RenderCtx, initial: Stored[], opts: { end?: boolean; maxMs?: number } = {}): Response {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const w: Watcher = { writer: writable.getWriter(), ctx, chain: Promise.resolve(), behind: 0, closed: false };
    this.#watchers.add(w);
    this.#write(w, async () => sseRetry(RECONNECT_MS));
    for (const s of initial) this.#send(w, s);
    if (opts.end) this.#close(w);
    else if (opts.maxMs) setTimeout(() => this.#close(w), opts.maxMs);
    this.#startHeartbeat();
    return new Response(readable, { headers: SSE_HEADERS });
  }

  broadcast(s: Stored, end = false) {
    for (const w of this.#watchers) {
      this.#send(w, s);
      if (end) this.#close(w);
    }
  }

  #send(w: Watcher, s: Stored) {
    this.#write(w, async () => {
      const r = await renderEvent(s, w.ctx);
      return sseEvent(this.log.id(s), r.name, r.data);
    });
  }

  /** Writes in order: each write waits for the one before (and for the connection to take it). */
  #write(w: Watcher, frame: () => Promise<Uint8Array>) {
    if (w.closed) return;
    if (++w.behind > MAX_BEHIND) return this.#drop(w, "behind");
    w.chain = w.chain
      .then(async () => {
        if (w.closed) return;
        await w.writer.write(await frame());
        w.behind--;
      })
      .catch((e: unknown) => this.#drop(w, e));
  }

  #close(w: Watcher) {
    if (w.closed || !this.#watchers.delete(w)) return;
    w.chain = w.chain.then(() => w.writer.close()).catch(() => undefined);
  }

  #drop(w: Watcher, why: unknown) {
    if (w.closed) return;
    w.closed = true;
    this.#watchers.delete(w);
    if (why !== "behind") log.debug("watch.watcher_gone", errorFields(why));
    w.writer.abort().catch(() => undefined);
  }

  #startHeartbeat() {
    this.#timer ??= setInterval(() => {
      if (!this.#watchers.size) {
        if (this.#timer !== undefined) clearInterval(this.#timer);
        this.#timer = undefined;
        return;
      }
      for (const w of this.#watchers) this.#write(w, async () => sseComment("keepalive"));
      this.#onHeartbeat();
    }, HEARTBEAT_MS);
  }
}
