/**
 * An independent AWS Signature V4 query-string check (written from the AWS docs, not from
 * aws4fetch), to verify the gateway's R2 presigned links. Its own correctness is pinned by AWS's
 * published example in test/unit/presign-r2.test.ts.
 */
const enc = new TextEncoder();
const hex = (b: ArrayBuffer) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, "0")).join("");

async function hmac(key: ArrayBuffer | Uint8Array, data: string): Promise<ArrayBuffer> {
  const k = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return crypto.subtle.sign("HMAC", k, enc.encode(data));
}

/** RFC 3986 unreserved characters stay, everything else is %XX (upper case), as SigV4 wants. */
const uriEncode = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** The X-Amz-Signature a GET presigned URL must carry, from its path, host and other query params. */
export async function expectedSignature(url: URL, secretAccessKey: string, region: string, service: string): Promise<string> {
  const q = [...url.searchParams].filter(([k]) => k !== "X-Amz-Signature");
  const canonicalQuery = q.map(([k, v]) => [uriEncode(k), uriEncode(v)] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${v}`).join("&");
  const canonicalPath = decodeURIComponent(url.pathname).split("/").map(uriEncode).join("/");
  const amzDate = url.searchParams.get("X-Amz-Date")!;
  const day = amzDate.slice(0, 8);
  const canonicalRequest = ["GET", canonicalPath, canonicalQuery, `host:${url.host}`, "", "host", "UNSIGNED-PAYLOAD"].join("\n");
  const scope = `${day}/${region}/${service}/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, hex(await crypto.subtle.digest("SHA-256", enc.encode(canonicalRequest)))].join("\n");
  let key = await hmac(enc.encode(`AWS4${secretAccessKey}`), day);
  for (const part of [region, service, "aws4_request"]) key = await hmac(key, part);
  return hex(await hmac(key, toSign));
}

/** X-Amz-Date (`20261205T140309Z`) as epoch ms. */
export const amzDateMs = (amzDate: string) => Date.parse(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, "$1-$2-$3T$4:$5:$6Z"));
