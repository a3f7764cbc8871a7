import { z } from "zod";
import { Id, isSafeText } from "./common";

const HeaderName = z.string().min(1).max(256).regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "not a valid HTTP header name");
const HeaderValue = z.string().max(8192).regex(/^[^\r\n\0]*$/, "header values may not contain line breaks");

/** Zod runs every check even after z.url() failed, so the later checks must not assume a URL. */
const parsed = (u: string): URL | null => URL.parse(u);

export const HostUrl = z
  .string()
  .max(2048)
  .refine(isSafeText, "url may not contain NUL or unpaired surrogate characters")
  .pipe(z.url({ protocol: /^https?$/, error: "url must be an http(s) URL" }))
  .refine((u) => !parsed(u)?.username && !parsed(u)?.password, "put credentials in headers, not the URL")
  .refine((u) => !parsed(u)?.search && !parsed(u)?.hash, "url must have no query or fragment");

export const CreateHost = z
  .strictObject({
    name: Id.max(64).describe("A unique name, shown on jobs as `host`"),
    url: HostUrl.describe("Base URL of the ComfyUI server, e.g. https://gpu-a.example.com"),
    headers: z
      .record(HeaderName, HeaderValue)
      .refine((h) => Object.keys(h).length <= 32, "at most 32 headers")
      .optional()
      .describe("Sent on every request to the host (Cloudflare Access service-token headers); never returned"),
    slots: z.int().min(1).max(64).optional().describe("Prompts the gateway keeps on the host at once (default DEFAULT_HOST_SLOTS)"),
  })
  ;

export const HostSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    url: z.string(),
    slots: z.number(),
    slotsInUse: z.number(),
    state: z.enum(["online", "busy", "draining", "offline"]),
    hasHeaders: z.boolean(),
    lastError: z.string().nullable(),
    lastSeenAt: z.string().nullable(),
    createdAt: z.string(),
  })
  ;
