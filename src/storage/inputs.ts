import { and, eq, sql } from "drizzle-orm";
import { PENDING, sqlList } from "../schemas/job";
import type { Db } from "../db/client";
import { inputCache } from "../db/schema";
import { toHex } from "../lib/bytes";
import { checkOutboundUrl } from "../lib/ssrf";

/** One input file of a job, as the job row keeps it: the graph's name for it and its bytes in R2. */
export type InputFile = { name: string; key: string; contentType: string; bytes: number };

/** Why an input could not be used: the API turns this into a 400 naming the field. */
export class InputError extends Error {
  override name = "InputError";
}

const MAGIC: [number[], string][] = [
  [[0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], "image/png"],
  [[0xff, 0xd8, 0xff], "image/jpeg"],
  [[0x47, 0x49, 0x46, 0x38], "image/gif"],
  [[0x42, 0x4d], "image/bmp"],
];

/** The media type the bytes themselves say, from their first bytes; null when unknown. Pure. */
export function sniffType(b: Uint8Array): string | null {
  for (const [sig, type] of MAGIC) if (sig.every((x, i) => b[i] === x)) return type;
  const ascii = (from: number, to: number) => String.fromCharCode(...b.subarray(from, to));
  if (ascii(0, 4) === "RIFF" && ascii(8, 12) === "WEBP") return "image/webp";
  if (ascii(0, 4) === "RIFF" && ascii(8, 12) === "WAVE") return "audio/wav";
  if (ascii(0, 4) === "fLaC") return "audio/flac";
  if (ascii(0, 4) === "OggS") return "audio/ogg";
  if (ascii(4, 8) === "ftyp") return "video/mp4";
  if (b[0] === 0x1a && b[1] === 0x45 && b[2] === 0xdf && b[3] === 0xa3) return "video/webm";
  return null;
}

/** Media ComfyUI takes through /upload/image: images, and video and audio for their loader nodes. */
export const acceptableType = (t: string) => /^(image|video|audio)\/[\w.+-]+$/i.test(t.split(";")[0]!.trim());

/** The type to record: what the bytes say, else a declared media type; null = refuse the file. Pure. */
export function inputType(bytes: Uint8Array, declared: string | null): string | null {
  const sniffed = sniffType(bytes);
  if (sniffed) return sniffed;
  const d = declared?.split(";")[0]!.trim().toLowerCase();
  return d && acceptableType(d) ? d : null;
}

export type ParsedImage = { kind: "url"; url: string } | { kind: "bytes"; bytes: Uint8Array; declared: string | null };

/** `image` of an input: an http(s) URL, a data: URI, or bare base64. Pure; throws InputError. */
export function parseImageField(raw: string): ParsedImage {
  const s = raw.trim();
  if (/^https?:\/\//i.test(s)) return { kind: "url", url: s };
  let declared: string | null = null;
  let b64 = s;
  const data = /^data:([^;,]*)(;[^,]*)?,/i.exec(s);
  if (data) {
    if (!/;base64/i.test(data[2] ?? "")) throw new InputError("a data: URI must be base64 (data:image/png;base64,…)");
    declared = data[1] || null;
    b64 = s.slice(data[0].length);
  }
  b64 = b64.replace(/\s+/g, "").replaceAll("-", "+").replaceAll("_", "/");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length === 0) throw new InputError("must be an https URL, a data: URI or base64");
  try {
    return { kind: "bytes", bytes: Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)), declared };
  } catch {
    throw new InputError("is not valid base64");
  }
}

/**
 * The name a file is uploaded to ComfyUI as: the last path segment, with anything outside a
 * plain file-name alphabet replaced, so no `..`, slash or drive letter ever reaches the host. Pure.
 */
export function uploadName(name: string): string {
  const last = name.split(/[\\/]/).filter(Boolean).at(-1) ?? "";
  const clean = last.replace(/[^A-Za-z0-9._ ()-]/g, "_").replace(/^\.+/, "").slice(-200);
  return clean || "input.png";
}

/** A copy of the graph with every input whose value is exactly `from` set to `to`. Pure. */
export function rewriteReferences<G extends Record<string, { inputs: Record<string, unknown> }>>(graph: G, from: string, to: string): G {
  if (from === to) return graph;
  const out = structuredClone(graph);
  for (const node of Object.values(out)) {
    for (const [field, value] of Object.entries(node.inputs)) if (value === from) node.inputs[field] = to;
  }
  return out;
}

export const sha256Bytes = async (b: Uint8Array) => toHex(await crypto.subtle.digest("SHA-256", b));

/** Puts bytes given inline under inputs/sha256/<hash>: the same file sent twice is stored once. */
export async function storeBytes(d: Db, bucket: R2Bucket, bytes: Uint8Array, contentType: string, nowMs: number): Promise<{ key: string; bytes: number }> {
  const key = `inputs/sha256/${await sha256Bytes(bytes)}`;
  const known = await d.select({ key: inputCache.key }).from(inputCache).where(eq(inputCache.key, key)).get();
  if (!known || !(await bucket.head(key))) await bucket.put(key, bytes, { httpMetadata: { contentType } });
  await d.insert(inputCache).values({ key, url: "inline", contentType, bytes: bytes.length, createdAtMs: nowMs, lastUsedAtMs: nowMs })
    .onConflictDoUpdate({ target: inputCache.key, set: { lastUsedAtMs: nowMs } });
  return { key, bytes: bytes.length };
}

const MAX_REDIRECTS = 3;

export type FetchPolicy = { allowPrivate: boolean; maxBytes: number; timeoutMs: number };

/**
 * A URL input, fetched at most once: the R2 copy under inputs/url/<sha256 of the URL> is used while
 * it lasts. Every hop (redirects are followed by hand, at most 3) passes the webhook SSRF guard; the
 * body is size-limited while it streams and must be an image, video or audio file.
 */
export async function fetchUrlInput(d: Db, bucket: R2Bucket, rawUrl: string, policy: FetchPolicy, nowMs: number): Promise<{ key: string; bytes: number; contentType: string; cached: boolean }> {
  const first = checkOutboundUrl(rawUrl, { allowPrivate: policy.allowPrivate });
  if (!first.ok) throw new InputError(`URL ${first.reason}`);
  const key = `inputs/url/${await sha256Bytes(new TextEncoder().encode(first.url.href))}`;
  const hit = await d.select().from(inputCache).where(eq(inputCache.key, key)).get();
  if (hit && (await bucket.head(key))) {
    await d.update(inputCache).set({ lastUsedAtMs: nowMs }).where(eq(inputCache.key, key)).run();
    return { key, bytes: hit.bytes, contentType: hit.contentType, cached: true };
  }
  let url = first.url;
  let res: Response | undefined;
  for (let hop = 0; ; hop++) {
    try {
      res = await fetch(url.href, { redirect: "manual", signal: AbortSignal.timeout(policy.timeoutMs), headers: { accept: "image/*,video/*,audio/*" } });
    } catch (e) {
      throw new InputError(`URL could not be fetched: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (res.status < 300 || res.status >= 400) break;
    await res.body?.cancel();
    const next = res.headers.get("location");
    if (!next || hop >= MAX_REDIRECTS) throw new InputError(`URL redirected ${next ? "too many times" : "without a Location"}`);
    const verdict = checkOutboundUrl(new URL(next, url).href, { allowPrivate: policy.allowPrivate });
    if (!verdict.ok) throw new InputError(`URL redirected to a URL that ${verdict.reason}`);
    url = verdict.url;
  }
  if (res.status !== 200) {
    await res.body?.cancel();
    throw new InputError(`URL answered HTTP ${res.status}`);
  }
  const declared = res.headers.get("content-type");
  if (declared && !acceptableType(declared) && !/^application\/octet-stream\b/i.test(declared)) {
    await res.body?.cancel();
    throw new InputError(`URL is ${declared.split(";")[0]}, not an image, video or audio file`);
  }
  const length = Number(res.headers.get("content-length") ?? NaN);
  if (length > policy.maxBytes) {
    await res.body?.cancel();
    throw new InputError(`URL's file is ${length} bytes, over INPUT_MAX_BYTES ${policy.maxBytes}`);
  }
  const bytes = await readLimited(res.body, policy.maxBytes);
  const contentType = inputType(bytes, declared);
  if (!contentType) throw new InputError("URL's file is not an image, video or audio file");
  await bucket.put(key, bytes, { httpMetadata: { contentType }, customMetadata: { url: url.href } });
  await d.insert(inputCache).values({ key, url: first.url.href, contentType, bytes: bytes.length, createdAtMs: nowMs, lastUsedAtMs: nowMs })
    .onConflictDoUpdate({ target: inputCache.key, set: { lastUsedAtMs: nowMs, bytes: bytes.length, contentType } });
  return { key, bytes: bytes.length, contentType, cached: false };
}

async function readLimited(body: ReadableStream<Uint8Array> | null, max: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (body) {
    for await (const chunk of body) {
      total += chunk.length;
      if (total > max) throw new InputError(`URL's file is over INPUT_MAX_BYTES ${max}`);
      chunks.push(chunk);
    }
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * Keeps the input cache under `maxBytes`: least recently used first, never a file a queued or
 * running job still needs. Bounded work per call (the sweep calls it every minute).
 */
export async function evictInputs(d: Db, d1: D1Database, bucket: R2Bucket, maxBytes: number, batch = 50): Promise<number> {
  const total = (await d.select({ n: sql<number>`coalesce(sum(${inputCache.bytes}), 0)` }).from(inputCache).get())?.n ?? 0;
  let over = Number(total) - maxBytes;
  if (over <= 0) return 0;
  const oldest = await d.select().from(inputCache).orderBy(inputCache.lastUsedAtMs).limit(batch).all();
  let evicted = 0;
  for (const row of oldest) {
    if (over <= 0) break;
    const inUse = await d1
      .prepare(`SELECT 1 FROM jobs WHERE status IN (${sqlList(PENDING)}) AND instr(input_files_json, ?1) > 0 LIMIT 1`)
      // The whole `"key":"…"` member, so a key that is a prefix of another's never matches it.
      .bind(`"key":${JSON.stringify(row.key)}`)
      .first();
    if (inUse) continue;
    await bucket.delete(row.key);
    await d.delete(inputCache).where(and(eq(inputCache.key, row.key), eq(inputCache.lastUsedAtMs, row.lastUsedAtMs))).run();
    over -= row.bytes;
    evicted++;
  }
  return evicted;
}
