import type { Context } from "hono";
import type { z } from "zod";
import { ApiError } from "../errors";

export type Issue = { path: string; message: string; code: string };

export function issuesOf(error: z.ZodError): Issue[] {
  return error.issues.slice(0, 50).map((i) => ({ path: i.path.map(String).join("."), message: i.message, code: i.code }));
}

function fail(where: string, error: z.ZodError): never {
  const issues = issuesOf(error);
  const first = issues[0];
  const summary = first ? `${first.path ? `${first.path}: ` : ""}${first.message}` : "invalid";
  throw new ApiError("VALIDATION_FAILED", `Invalid ${where}: ${summary}`, { details: { issues } });
}

/** Reads a JSON body and validates it; malformed JSON and wrong content types get the envelope, never a 500. */
export async function jsonBody<T extends z.ZodType>(c: Context, schema: T): Promise<z.infer<T>> {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/([\w.+-]+\+)?json\b/i.test(type)) {
    throw new ApiError("UNSUPPORTED_MEDIA_TYPE", "Send the body as JSON with Content-Type: application/json");
  }
  let raw: unknown;
  try {
    raw = JSON.parse(await c.req.text());
  } catch (cause) {
    throw new ApiError("VALIDATION_FAILED", "Request body is not valid JSON", { cause });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) fail("request body", parsed.error);
  return parsed.data;
}

export function query<T extends z.ZodType>(c: Context, schema: T): z.infer<T> {
  const parsed = schema.safeParse(c.req.query());
  if (!parsed.success) fail("query", parsed.error);
  return parsed.data;
}

export function param<T extends z.ZodType>(value: string | undefined, schema: T, name: string): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ApiError("NOT_FOUND", `${name} not found`);
  return parsed.data;
}
