import { eq } from "drizzle-orm";
import { PENDING, sqlList } from "../../jobs/states";
import { Hono, type Context } from "hono";
import { canSee } from "../../auth/roles";
import { uploads, type UploadRow } from "../../db/schema";
import { ApiError, notFound } from "../../errors";
import { log } from "../../lib/log";
import { newId } from "../../lib/ids";
import { z } from "zod";
import { InputError, inputType, parseImageField, uploadName, type ParsedImage } from "../../storage/inputs";
import { jsonBody, param } from "../validate";
import type { AppEnv } from "../context";
import { SafeName, Uuid } from "../../schemas/common";

const UploadName = SafeName.min(1).max(255);

/** The JSON form of an upload: `{ name, image }` with the bytes as base64 or a data: URI. */
export const UploadJson = z.strictObject({ name: UploadName, image: z.string().min(1).max(100 * 1024 * 1024) });

/** An upload the caller may see: another owner's answers 404, the same as a missing one. */
async function visibleUpload(c: Context<AppEnv>, rawId: string | undefined): Promise<UploadRow> {
  const id = param(rawId, Uuid, "Upload");
  const row = await c.get("db").select().from(uploads).where(eq(uploads.id, id)).get();
  if (!row || !canSee(c.get("principal"), row.owner)) throw notFound("Upload");
  return row;
}

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
  // Multipart and ?name= names are checked like the JSON one: uploadName() would quietly rename them.
  const checked = UploadName.safeParse(name);
  if (!checked.success) throw new ApiError("VALIDATION_FAILED", `Invalid request body: name: ${checked.error.issues[0]!.message}`, { details: { issues: [{ path: "name", message: checked.error.issues[0]!.message, code: "invalid_name" }] } });
  if (bytes.length === 0) throw new ApiError("VALIDATION_FAILED", "Invalid request body: the file is empty");
  if (bytes.length > cfg.INPUT_MAX_BYTES) throw new ApiError("PAYLOAD_TOO_LARGE", `The file is ${bytes.length} bytes, over INPUT_MAX_BYTES ${cfg.INPUT_MAX_BYTES}`);
  const contentType = inputType(bytes, declared);
  if (!contentType) throw new ApiError("UNSUPPORTED_MEDIA_TYPE", "Upload an image, video or audio file");
  const id = newId();
  const row: UploadRow = { id, owner: c.get("principal").id, key: `uploads/${id}`, name: uploadName(name), contentType, bytes: bytes.length, createdAtMs: Date.now() };
  await c.env.OUTPUTS.put(row.key, bytes, { httpMetadata: { contentType } });
  await c.get("db").insert(uploads).values(row);
  return c.json(uploadView(row), 201);
})
  .get("/uploads/:id", async (c) => c.json(uploadView(await visibleUpload(c, c.req.param("id")))))
  .delete("/uploads/:id", async (c) => {
    const row = await visibleUpload(c, c.req.param("id"));
    // A job keeps the upload's own R2 key in input_files_json (resolveInputFiles copies nothing) and
    // its HostDO reads it before every attempt, so deleting it under an unfinished job would fail
    // that job's next attempt. Same match as evictInputs: the whole `"key":"…"` member.
    const inUse = await c.env.DB
      .prepare(`SELECT 1 FROM jobs WHERE status IN (${sqlList(PENDING)}) AND instr(input_files_json, ?1) > 0 LIMIT 1`)
      .bind(`"key":${JSON.stringify(row.key)}`)
      .first();
    if (inUse) throw new ApiError("CONFLICT", "A queued or running job uses this upload; delete it after the job finishes (or cancel it)");
    await c.env.OUTPUTS.delete(row.key);
    await c.get("db").delete(uploads).where(eq(uploads.id, row.id)).run();
    log.info("upload.deleted", { uploadId: row.id, by: c.get("principal").id });
    return c.body(null, 204);
  });
