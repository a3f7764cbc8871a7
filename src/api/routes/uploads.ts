import { Hono } from "hono";
import { uploads, type UploadRow } from "../../db/schema";
import { ApiError } from "../../errors";
import { newId } from "../../lib/ids";
import { z } from "zod";
import { InputError, inputType, parseImageField, uploadName, type ParsedImage } from "../../storage/inputs";
import { jsonBody } from "../validate";
import type { AppEnv } from "../context";

/** The JSON form of an upload: `{ name, image }` with the bytes as base64 or a data: URI. */
export const UploadJson = z.strictObject({ name: z.string().min(1).max(255), image: z.string().min(1).max(100 * 1024 * 1024) });

export const uploadView = (u: UploadRow) => ({ id: u.id, name: u.name, contentType: u.contentType, bytes: u.bytes, createdAt: new Date(u.createdAtMs).toISOString() });

/**
 * POST /uploads: a file put into R2 once and referenced by id from many jobs
 * (`images: [{ name, upload: id }]`). The body is the file itself (Content-Type image/…, optional
 * ?name=), multipart/form-data with a `file` (or `image`) part, or JSON `{ name, image }` (base64). Only its owner (or an admin) may use it.
 */
export const uploadRoutes = new Hono<AppEnv>().post("/uploads", async (c) => {
  const cfg = c.get("config");
  const type = c.req.header("content-type") ?? "";
  let bytes: Uint8Array;
  let declared: string | null;
  let name: string;
  if (/^multipart\/form-data\b/i.test(type)) {
    let form: FormData;
    try {
      form = await c.req.raw.formData();
    } catch (cause) {
      throw new ApiError("VALIDATION_FAILED", "The multipart body could not be read", { cause });
    }
    const part = form.get("file") ?? form.get("image");
    if (!part || typeof part === "string") throw new ApiError("VALIDATION_FAILED", "Invalid request body: file: a multipart part named file (or image) is required");
    bytes = new Uint8Array(await part.arrayBuffer());
    declared = part.type || null;
    name = part.name;
  } else if (/^application\/json\b/i.test(type)) {
    const body = await jsonBody(c, UploadJson);
    let parsed: ParsedImage;
    try {
      parsed = parseImageField(body.image);
      if (parsed.kind === "url") throw new InputError("must be base64 or a data: URI here (URL inputs go straight into a job's images)");
    } catch (e) {
      if (e instanceof InputError) throw new ApiError("VALIDATION_FAILED", `Invalid request body: image: ${e.message}`, { details: { issues: [{ path: "image", message: e.message, code: "invalid_input_file" }] } });
      throw e;
    }
    bytes = parsed.bytes;
    declared = parsed.declared;
    name = body.name;
  } else {
    bytes = new Uint8Array(await c.req.arrayBuffer());
    declared = type || null;
    name = c.req.query("name") ?? "upload";
  }
  if (bytes.length === 0) throw new ApiError("VALIDATION_FAILED", "Invalid request body: the file is empty");
  if (bytes.length > cfg.INPUT_MAX_BYTES) throw new ApiError("PAYLOAD_TOO_LARGE", `The file is ${bytes.length} bytes, over INPUT_MAX_BYTES ${cfg.INPUT_MAX_BYTES}`);
  const contentType = inputType(bytes, declared);
  if (!contentType) throw new ApiError("UNSUPPORTED_MEDIA_TYPE", "Upload an image, video or audio file");
  const id = newId();
  const row: UploadRow = { id, owner: c.get("principal").id, key: `uploads/${id}`, name: uploadName(name), contentType, bytes: bytes.length, createdAtMs: Date.now() };
  await c.env.OUTPUTS.put(row.key, bytes, { httpMetadata: { contentType } });
  await c.get("db").insert(uploads).values(row);
  return c.json(uploadView(row), 201);
});
