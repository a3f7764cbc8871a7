/**
 * ComfyUI's binary preview frames (`server.py: encode_bytes`): a u32 big-endian event type, then
 * type 1 `PREVIEW_IMAGE`: u32 image format (1 JPEG, 2 PNG) + the image;
 * type 4 `PREVIEW_IMAGE_WITH_METADATA` (after `supports_preview_metadata`): u32 JSON length, the JSON
 * (`prompt_id`, `node_id`, `image_type`, …) + the image. Anything else is not a preview.
 */
export type PreviewFrame = { promptId: string | null; node: string | null; contentType: string; bytes: Uint8Array };

const FORMATS: Record<number, string> = { 1: "image/jpeg", 2: "image/png" };
const ALLOWED = new Set(["image/jpeg", "image/png", "image/webp"]);

export function parsePreviewFrame(data: ArrayBuffer): PreviewFrame | null {
  if (data.byteLength < 8) return null;
  const view = new DataView(data);
  const type = view.getUint32(0);
  if (type === 1) {
    const contentType = FORMATS[view.getUint32(4)];
    return contentType ? { promptId: null, node: null, contentType, bytes: new Uint8Array(data, 8) } : null;
  }
  if (type !== 4) return null;
  const len = view.getUint32(4);
  if (8 + len > data.byteLength) return null;
  let meta: unknown;
  try {
    meta = JSON.parse(new TextDecoder().decode(new Uint8Array(data, 8, len)));
  } catch {
    return null;
  }
  if (!meta || typeof meta !== "object") return null;
  const m = meta as Record<string, unknown>;
  const contentType = typeof m.image_type === "string" && ALLOWED.has(m.image_type) ? m.image_type : "image/jpeg";
  const str = (v: unknown) => (typeof v === "string" ? v : null);
  return { promptId: str(m.prompt_id), node: str(m.display_node_id) ?? str(m.node_id), contentType, bytes: new Uint8Array(data, 8 + len) };
}
