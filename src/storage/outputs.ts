import type { ComfyClient, HistoryEntry, HistoryFile } from "../comfy/client";
import { contentTypeFor, kindOf } from "./content-types";
import { outputKey, safeOutputName, uniqueName } from "./keys";

/** What the gateway keeps per output in the job row; `key` is internal and never shown. */
export type StoredOutput = {
  name: string;
  node: string;
  kind: "image" | "video" | "audio" | "3d" | "text" | "file";
  contentType: string;
  bytes: number;
  key?: string;
  text?: string;
};

export type PlannedOutput =
  | { kind: "file"; node: string; historyKey: string; file: HistoryFile; name: string; animated: boolean }
  | { kind: "text"; node: string; name: string; text: string };

const isFile = (v: unknown): v is HistoryFile =>
  !!v && typeof v === "object" && typeof (v as HistoryFile).filename === "string" && (v as HistoryFile).filename.length > 0;

/**
 * Every output of a finished prompt, files and inline text, with a unique safe name each. Pure.
 * `includePreviews` also keeps temp-type files (PreviewImage and other previews).
 */
export function planOutputs(entry: HistoryEntry, opts: { includePreviews?: boolean } = {}): PlannedOutput[] {
  const taken = new Set<string>();
  const out: PlannedOutput[] = [];
  for (const [node, ui] of Object.entries(entry.outputs ?? {})) {
    if (!ui || typeof ui !== "object") continue;
    const animated = Array.isArray(ui.animated) && ui.animated.some(Boolean);
    for (const [historyKey, value] of Object.entries(ui)) {
      if (!Array.isArray(value)) continue;
      value.forEach((item, i) => {
        if (historyKey === "text" && typeof item === "string") {
          const name = uniqueName(`text_${node}_${i + 1}.txt`, taken);
          taken.add(name);
          out.push({ kind: "text", node, name, text: item });
        } else if (isFile(item) && (item.type === "output" || (opts.includePreviews === true && item.type === "temp"))) {
          // temp (PreviewImage) entries are not results of the job unless asked for; input entries never are.
          const name = uniqueName(safeOutputName(item.filename, item.subfolder), taken);
          taken.add(name);
          out.push({ kind: "file", node, historyKey, file: { filename: item.filename, subfolder: item.subfolder ?? "", type: item.type ?? "output" }, name, animated });
        }
      });
    }
  }
  return out;
}

const PART_BYTES = 10 * 1024 * 1024;

/** Uploads a stream of unknown length in parts, so nothing larger than one part is ever held in memory. */
async function putMultipart(bucket: R2Bucket, key: string, body: ReadableStream<Uint8Array>, contentType: string): Promise<number> {
  const upload = await bucket.createMultipartUpload(key, { httpMetadata: { contentType } });
  const parts: R2UploadedPart[] = [];
  let buf = new Uint8Array(PART_BYTES);
  let fill = 0;
  let total = 0;
  const flush = async () => {
    parts.push(await upload.uploadPart(parts.length + 1, buf.slice(0, fill)));
    fill = 0;
  };
  try {
    for await (const chunk of body) {
      let offset = 0;
      while (offset < chunk.length) {
        const n = Math.min(PART_BYTES - fill, chunk.length - offset);
        buf.set(chunk.subarray(offset, offset + n), fill);
        fill += n;
        offset += n;
        total += n;
        if (fill === PART_BYTES) await flush();
      }
    }
    if (fill > 0 || parts.length === 0) await flush();
    await upload.complete(parts);
    return total;
  } catch (e) {
    await upload.abort().catch(() => undefined);
    throw e;
  } finally {
    buf = new Uint8Array(0);
  }
}

/** Streams one file from /view into R2; with a Content-Length the body is piped straight through. */
export async function copyOutput(client: ComfyClient, bucket: R2Bucket, jobId: string, o: Extract<PlannedOutput, { kind: "file" }>): Promise<StoredOutput> {
  const res = await client.view(o.file);
  const key = outputKey(jobId, o.name);
  const contentType = contentTypeFor(o.file.filename) !== "application/octet-stream" ? contentTypeFor(o.file.filename) : (res.headers.get("content-type") ?? "application/octet-stream");
  const lengthHeader = res.headers.get("content-length");
  let bytes: number;
  if (lengthHeader !== null && /^\d+$/.test(lengthHeader) && res.body) {
    const length = Number(lengthHeader);
    const { readable, writable } = new FixedLengthStream(length);
    await Promise.all([bucket.put(key, readable, { httpMetadata: { contentType } }), res.body.pipeTo(writable)]);
    bytes = length;
  } else if (res.body) {
    bytes = await putMultipart(bucket, key, res.body, contentType);
  } else {
    await bucket.put(key, new Uint8Array(0), { httpMetadata: { contentType } });
    bytes = 0;
  }
  return { name: o.name, node: o.node, kind: kindOf(o.historyKey, o.file.filename, o.animated), contentType, bytes, key };
}

/**
 * Text outputs up to this many bytes per job are kept in the job's D1 row; the rest go to R2 like
 * files, so a chatty node cannot push the row past D1's 2 MB.
 */
export const INLINE_TEXT_MAX_BYTES = 64 * 1024;

/** A text output inline when it fits `inlineLeft` bytes, else as a text/plain object in R2. */
export async function storeTextOutput(bucket: R2Bucket, jobId: string, o: Extract<PlannedOutput, { kind: "text" }>, inlineLeft: number): Promise<StoredOutput> {
  const inline = textOutput(o);
  if (inline.bytes <= inlineLeft) return inline;
  const key = outputKey(jobId, o.name);
  await bucket.put(key, o.text, { httpMetadata: { contentType: inline.contentType } });
  return { name: inline.name, node: inline.node, kind: "text", contentType: inline.contentType, bytes: inline.bytes, key };
}

export function textOutput(o: Extract<PlannedOutput, { kind: "text" }>): StoredOutput {
  return { name: o.name, node: o.node, kind: "text", contentType: "text/plain; charset=utf-8", bytes: new TextEncoder().encode(o.text).length, text: o.text };
}
