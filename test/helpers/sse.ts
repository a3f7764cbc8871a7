import { exports } from "cloudflare:workers";

export type SseEvent = { id: string; event: string; data: any };

/** Opens a stream through the Worker's real fetch handler (no buffering: the body is read as it comes). */
export async function openStream(pathOrUrl: string, headers: Record<string, string> = {}) {
  const url = pathOrUrl.startsWith("http") ? pathOrUrl : `http://gw.test${pathOrUrl}`;
  const res = await exports.default.fetch(new Request(url, { headers }));
  return { res, events: res.body ? sseEvents(res.body) : null };
}

/** Parses text/event-stream: `next()` is the next event (comments and `retry:` skipped), `null` once the stream ended. */
export function sseEvents(body: ReadableStream<Uint8Array>) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  let comments = 0;
  const next = async (): Promise<SseEvent | null> => {
    for (;;) {
      const end = buf.indexOf("\n\n");
      if (end >= 0) {
        const block = buf.slice(0, end);
        buf = buf.slice(end + 2);
        const fields: Record<string, string> = {};
        for (const line of block.split("\n")) {
          if (line.startsWith(":")) comments++;
          const m = /^(\w+): ?(.*)$/.exec(line);
          if (m) fields[m[1]!] = m[2]!;
        }
        if (fields.event && fields.data !== undefined) return { id: fields.id ?? "", event: fields.event, data: JSON.parse(fields.data) };
        continue;
      }
      const r = await reader.read();
      if (r.done) return null;
      buf += r.value;
    }
  };
  return {
    next,
    /** Events until (and including) the first that `stop` accepts, or until the stream ends. */
    async until(stop: (e: SseEvent) => boolean): Promise<SseEvent[]> {
      const out: SseEvent[] = [];
      for (let e = await next(); e; e = await next()) {
        out.push(e);
        if (stop(e)) break;
      }
      return out;
    },
    /** Whether the server ended the stream (no further event). */
    ended: async () => (await next()) === null,
    cancel: () => reader.cancel(),
    get comments() {
      return comments;
    },
  };
}

export const TERMINAL_EVENTS = ["succeeded", "failed", "canceled", "expired"];
export const isTerminalEvent = (e: SseEvent) => TERMINAL_EVENTS.includes(e.event);
/** The number in an event id `<epoch>-<seq>`. */
export const seqOf = (e: SseEvent) => Number(e.id.split("-")[1]);
export const epochOf = (e: SseEvent) => e.id.split("-")[0];
