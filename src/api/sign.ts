import type { Context } from "hono";
import { s3Credentials } from "../env";
import { presignR2, signingSecret, workerSignedUrl, type SignedLink } from "../storage/signed-url";
import type { AppEnv } from "./context";

/** How this deployment signs output links: R2 presigned URLs when S3 credentials exist, else Worker-signed. */
export function signerFor(c: Context<AppEnv>): (key: string) => Promise<SignedLink> {
  const cfg = c.get("config");
  const creds = s3Credentials(cfg);
  const origin = new URL(c.req.url).origin;
  let secret: Promise<string> | undefined;
  return async (key) => {
    const now = Date.now();
    if (creds) return presignR2(creds, key, cfg.SIGNED_URL_TTL_S, now);
    secret ??= signingSecret(c.get("db"), c.env.DB, cfg.SIGNING_SECRET);
    return workerSignedUrl(origin, await secret, key, cfg.SIGNED_URL_TTL_S, now);
  };
}
