// aiohttp's response shapes: what an empty `web.Response()`, `json_response`, an unhandled
// exception or an unknown route look like on the wire (headers and bodies the gateway sees).
import type { IncomingMessage, ServerResponse } from "node:http";
import { dumps } from "./json.ts";

export class BodyTooLarge extends Error {
  readonly max: number;
  readonly actual: number;
  constructor(max: number, actual: number) {
    super("body too large");
    this.max = max;
    this.actual = actual;
  }
}

export async function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"] ?? "0");
  if (declared > max) {
    req.resume();
    throw new BodyTooLarge(max, declared);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > max) throw new BodyTooLarge(max, size);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

export function sendJson(res: ServerResponse, value: unknown, status = 200): void {
  const body = Buffer.from(dumps(value), "utf8");
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": body.length });
  res.end(body);
}

/** `web.Response(status=…)` with no body: aiohttp labels it application/octet-stream. */
export function sendEmpty(res: ServerResponse, status = 200): void {
  res.writeHead(status, { "Content-Type": "application/octet-stream", "Content-Length": 0 });
  res.end();
}

export function sendText(res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  const body = Buffer.from(text, "utf8");
  res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": body.length, ...extra });
  res.end(body);
}

/** What aiohttp answers when a handler raises. */
export function send500(res: ServerResponse): void {
  sendText(res, 500, "500 Internal Server Error\n\nServer got itself in trouble");
}

export function send404(res: ServerResponse): void {
  sendText(res, 404, "404: Not Found");
}

export function send405(res: ServerResponse, allow: string[]): void {
  sendText(res, 405, "405: Method Not Allowed", { Allow: allow.join(",") });
}

export function send413(res: ServerResponse, e: BodyTooLarge): void {
  sendText(res, 413, `Maximum request body size ${e.max} exceeded, actual body size ${e.actual}`);
}

/** Plain JSON (not Python-styled) for the fake's own control API. */
export function sendControl(res: ServerResponse, value: unknown, status = 200): void {
  const body = Buffer.from(JSON.stringify(value), "utf8");
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": body.length });
  res.end(body);
}

export interface Part {
  name: string;
  filename: string | null;
  contentType: string | null;
  data: Buffer;
}

export class MultipartError extends Error {}

/** Small multipart/form-data parser; throws MultipartError where aiohttp's `post()` would fail. */
export function parseMultipart(body: Buffer, contentType: string): Part[] {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  if (!m) throw new MultipartError("no boundary");
  const boundary = Buffer.from(`--${m[1] ?? m[2].trim()}`);
  const parts: Part[] = [];
  let pos = body.indexOf(boundary);
  if (pos < 0) throw new MultipartError("no opening boundary");
  for (;;) {
    pos += boundary.length;
    if (body.subarray(pos, pos + 2).toString() === "--") return parts;
    if (body.subarray(pos, pos + 2).toString() !== "\r\n") throw new MultipartError("bad boundary line");
    pos += 2;
    const headEnd = body.indexOf("\r\n\r\n", pos);
    if (headEnd < 0) throw new MultipartError("unterminated headers");
    const headers = body.subarray(pos, headEnd).toString("utf8").split("\r\n");
    const next = body.indexOf(Buffer.concat([Buffer.from("\r\n"), boundary]), headEnd + 4);
    if (next < 0) throw new MultipartError("unterminated part");
    const data = body.subarray(headEnd + 4, next);
    let name = "";
    let filename: string | null = null;
    let ctype: string | null = null;
    for (const h of headers) {
      const [k, ...rest] = h.split(":");
      const v = rest.join(":").trim();
      if (k.toLowerCase() === "content-disposition") {
        name = /\bname="([^"]*)"/i.exec(v)?.[1] ?? "";
        const fn = /\bfilename="([^"]*)"/i.exec(v);
        filename = fn ? fn[1] : null;
      } else if (k.toLowerCase() === "content-type") ctype = v;
    }
    parts.push({ name, filename, contentType: ctype, data: Buffer.from(data) });
    pos = next + 2;
  }
}
