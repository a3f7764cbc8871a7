import { ApiError } from "../errors";
import { isAllowedHost, type AllowedDomains } from "./allowlist";
import { checkOutboundUrl } from "../lib/ssrf";

export type CallbackPolicy = { allowPrivate: boolean; allowed: AllowedDomains };
export type CallbackVerdict = { ok: true; url: URL } | { ok: false; message: string };

/**
 * One rule for a callbackUrl, applied when a job is submitted and again before every attempt (the
 * configuration may have changed since, and a row is only as trustworthy as the code that wrote it).
 */
export function checkCallbackUrl(raw: string, policy: CallbackPolicy): CallbackVerdict {
  const verdict = checkOutboundUrl(raw, { allowPrivate: policy.allowPrivate });
  if (!verdict.ok) return { ok: false, message: `Callback URL ${verdict.reason}` };
  const host = verdict.url.hostname.replace(/\.+$/, "");
  if (!isAllowedHost(host, policy.allowed)) return { ok: false, message: `Callback domain "${host}" is not in the allowed domains list` };
  return verdict;
}

/** At submission: a refused callbackUrl is a 400 VALIDATION_FAILED that names the field, and nothing is written. */
export function assertCallbackUrl(raw: string | undefined, policy: CallbackPolicy): void {
  if (raw === undefined) return;
  const verdict = checkCallbackUrl(raw, policy);
  if (!verdict.ok) {
    throw new ApiError("VALIDATION_FAILED", verdict.message, { details: { issues: [{ path: "callbackUrl", message: verdict.message, code: "invalid_callback_url" }] } });
  }
}
