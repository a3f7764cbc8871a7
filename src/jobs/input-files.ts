import { eq } from "drizzle-orm";
import type { SubmitJob } from "../schemas/job";
import type { Principal } from "../auth/principal";
import { canSee } from "../auth/roles";
import type { Db } from "../db/client";
import { uploads } from "../db/schema";
import { ApiError } from "../errors";
import { fetchUrlInput, InputError, inputType, parseImageField, storeBytes, type FetchPolicy, type InputFile } from "../storage/inputs";

const invalid = (path: string, message: string) =>
  new ApiError("VALIDATION_FAILED", `Invalid request body: ${path}: ${message}`, { details: { issues: [{ path, message, code: "invalid_input_file" }] } });

/**
 * Turns a job's `images` into R2 objects before the job is written: base64 is decoded and stored by
 * content hash, URLs are fetched once (SSRF-guarded, size-limited, cached), uploads are looked up
 * among the caller's own. The HostDO uploads them to the host before every attempt.
 */
export async function resolveInputFiles(d: Db, bucket: R2Bucket, who: Principal, images: NonNullable<SubmitJob["images"]>, policy: FetchPolicy, nowMs: number): Promise<InputFile[]> {
  const files: InputFile[] = [];
  for (const [i, img] of images.entries()) {
    if (img.upload !== undefined) {
      const row = await d.select().from(uploads).where(eq(uploads.id, img.upload)).get();
      if (!row || !canSee(who, row.owner)) throw invalid(`images.${i}.upload`, `upload "${img.upload}" does not exist`);
      files.push({ name: img.name, key: row.key, contentType: row.contentType, bytes: row.bytes });
      continue;
    }
    try {
      const parsed = parseImageField(img.image!);
      if (parsed.kind === "url") {
        const got = await fetchUrlInput(d, bucket, parsed.url, policy, nowMs);
        files.push({ name: img.name, key: got.key, contentType: got.contentType, bytes: got.bytes });
      } else {
        if (parsed.bytes.length > policy.maxBytes) throw new InputError(`is ${parsed.bytes.length} bytes, over INPUT_MAX_BYTES ${policy.maxBytes}`);
        const contentType = inputType(parsed.bytes, parsed.declared);
        if (!contentType) throw new InputError("is not an image, video or audio file");
        const stored = await storeBytes(d, bucket, parsed.bytes, contentType, nowMs);
        files.push({ name: img.name, key: stored.key, contentType, bytes: stored.bytes });
      }
    } catch (e) {
      if (e instanceof InputError) throw invalid(`images.${i}.image`, e.message);
      throw e;
    }
  }
  return files;
}
