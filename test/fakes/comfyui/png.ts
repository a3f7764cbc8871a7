// Real, decodable images: gateway tests store and re-serve outputs, and a broken PNG would only
// surface much later (thumbnails, content sniffing). Solid colours keep deflate cheap.
import { createWriteStream } from "node:fs";
import { once } from "node:events";
import zlib from "node:zlib";

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Keeps memory bounded for huge requested sizes (16384² would be 800 MB raw). */
export const MAX_PIXELS = 2048 * 2048;

export function fitSize(width: number, height: number): { width: number; height: number } {
  const w = Math.max(1, Math.floor(width));
  const h = Math.max(1, Math.floor(height));
  if (w * h <= MAX_PIXELS) return { width: w, height: h };
  const f = Math.sqrt(MAX_PIXELS / (w * h));
  return { width: Math.max(1, Math.floor(w * f)), height: Math.max(1, Math.floor(h * f)) };
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(td) >>> 0);
  return Buffer.concat([len, td, crc]);
}

export interface PngSpec {
  width: number;
  height: number;
  /** 0xRRGGBB like ComfyUI's EmptyImage `color`. */
  rgb: number;
  /** tEXt chunks in order, e.g. [["prompt", json]]. Latin-1; callers pass ASCII JSON. */
  texts?: [string, string][];
}

function headChunks(spec: PngSpec): Buffer[] {
  const { width, height } = fitSize(spec.width, spec.height);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // truecolour RGB
  const row = Buffer.alloc(1 + width * 3);
  const r = (spec.rgb >> 16) & 0xff;
  const g = (spec.rgb >> 8) & 0xff;
  const b = spec.rgb & 0xff;
  for (let x = 0; x < width; x++) {
    row[1 + x * 3] = r;
    row[2 + x * 3] = g;
    row[3 + x * 3] = b;
  }
  const raw = Buffer.alloc(row.length * height);
  for (let y = 0; y < height; y++) row.copy(raw, y * row.length);
  const out = [SIGNATURE, chunk("IHDR", ihdr)];
  for (const [k, v] of spec.texts ?? []) out.push(chunk("tEXt", Buffer.from(`${k}\0${v}`, "latin1")));
  out.push(chunk("IDAT", zlib.deflateSync(raw, { level: 6 })));
  return out;
}

const IEND = chunk("IEND", Buffer.alloc(0));

export function encodePng(spec: PngSpec): Buffer {
  return Buffer.concat([...headChunks(spec), IEND]);
}

/**
 * Writes a PNG of exactly `totalBytes` (when larger than the natural size) by inserting a private
 * ancillary `faKe` chunk that decoders skip. Streams zeros so 50 MB+ outputs never sit in memory.
 */
export async function writePngFile(path: string, spec: PngSpec, totalBytes = 0): Promise<number> {
  const head = Buffer.concat(headChunks(spec));
  const natural = head.length + IEND.length;
  const ws = createWriteStream(path);
  const write = async (b: Buffer) => {
    if (!ws.write(b)) await once(ws, "drain");
  };
  await write(head);
  let size = natural;
  if (totalBytes > natural + 12) {
    const pad = totalBytes - natural - 12;
    const len = Buffer.alloc(4);
    len.writeUInt32BE(pad);
    const type = Buffer.from("faKe", "latin1");
    await write(Buffer.concat([len, type]));
    let crc = zlib.crc32(type);
    const block = Buffer.alloc(Math.min(pad, 1 << 20));
    let left = pad;
    while (left > 0) {
      const part = left >= block.length ? block : block.subarray(0, left);
      crc = zlib.crc32(part, crc);
      await write(part);
      left -= part.length;
    }
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc >>> 0);
    await write(c);
    size = totalBytes;
  }
  await write(IEND);
  ws.end();
  await once(ws, "finish");
  return size;
}

/** Width/height from an IHDR, or null when the bytes are not a PNG. */
export function readPngSize(buf: Buffer): { width: number; height: number } | null {
  if (buf.length < 24 || !buf.subarray(0, 8).equals(SIGNATURE)) return null;
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

/**
 * Minimal baseline JPEG (8×8 grey, one DC-only block, one-symbol Huffman tables): ComfyUI
 * previews are JPEG, and a valid tiny one is enough for clients that decode or forward them.
 */
export function tinyJpeg(grey: number): Buffer {
  const level = Math.max(0, Math.min(255, Math.round(grey)));
  const dc = (level - 128) * 8; // quant table of 1s: DC = 8 × mean of level-shifted samples
  const mag = Math.abs(dc);
  const cat = mag === 0 ? 0 : Math.floor(Math.log2(mag)) + 1;
  const seg = (marker: number, body: number[]) => [0xff, marker, ((body.length + 2) >> 8) & 0xff, (body.length + 2) & 0xff, ...body];
  const bytes: number[] = [0xff, 0xd8];
  bytes.push(...seg(0xe0, [0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]));
  bytes.push(...seg(0xdb, [0x00, ...new Array(64).fill(1)]));
  bytes.push(...seg(0xc0, [8, 0, 8, 0, 8, 1, 1, 0x11, 0]));
  const oneSymbol = (cls: number, sym: number) => [cls, 1, ...new Array(15).fill(0), sym];
  bytes.push(...seg(0xc4, oneSymbol(0x00, cat)));
  bytes.push(...seg(0xc4, oneSymbol(0x10, 0x00)));
  bytes.push(...seg(0xda, [1, 1, 0x00, 0, 63, 0]));
  // Bitstream: DC code "0", `cat` magnitude bits, AC EOB code "0", pad with 1s.
  let bits = "0";
  if (cat > 0) {
    const v = dc >= 0 ? dc : dc + (1 << cat) - 1;
    bits += v.toString(2).padStart(cat, "0");
  }
  bits += "0";
  while (bits.length % 8) bits += "1";
  for (let k = 0; k < bits.length; k += 8) {
    const b = parseInt(bits.slice(k, k + 8), 2);
    bytes.push(b);
    if (b === 0xff) bytes.push(0);
  }
  bytes.push(0xff, 0xd9);
  return Buffer.from(bytes);
}
