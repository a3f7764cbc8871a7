/** Server-Sent Events framing (text/event-stream): one `id`, `event` and JSON `data` line per event. */
export const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-store",
  // Proxies that buffer (nginx) would hold events back.
  "x-accel-buffering": "no",
};

const encoder = new TextEncoder();

export const sseEvent = (id: string, event: string, data: unknown) => encoder.encode(`id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
export const sseComment = (text: string) => encoder.encode(`: ${text}\n\n`);
/** Tells an EventSource how long to wait before it reconnects (with Last-Event-ID). */
export const sseRetry = (ms: number) => encoder.encode(`retry: ${ms}\n\n`);
