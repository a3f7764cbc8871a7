import { signKey, verifySignature, type SignedLink, type Verdict } from "../storage/signed-url";

/**
 * Links to a job's event stream that carry their own credential, for browsers (an EventSource
 * cannot set headers). The signature covers `watch/<jobId>` and the expiry, so it opens that job's
 * stream and its preview, nothing else (output links sign `outputs/…`). Short-lived on purpose: it
 * is checked when a stream opens, and an open stream runs on after it expires.
 */
export const WATCH_LINK_TTL_S = 900;

const watchKey = (jobId: string) => `watch/${jobId}`;

export async function watchLink(origin: string, secret: string, jobId: string, nowMs: number, ttlS = WATCH_LINK_TTL_S): Promise<SignedLink> {
  const expS = Math.floor(nowMs / 1000) + ttlS;
  const sig = await signKey(secret, watchKey(jobId), expS);
  return { url: `${origin}/jobs/${jobId}/events?exp=${expS}&sig=${sig}`, expiresAtMs: expS * 1000 };
}

export function checkWatchLink(secret: string, jobId: string, exp: string | undefined, sig: string | undefined, nowMs: number): Promise<Verdict> {
  return verifySignature(secret, watchKey(jobId), exp, sig, nowMs);
}
