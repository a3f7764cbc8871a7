import type { Context } from "hono";
import { db } from "../db/client";
import { config, s3Credentials, type Env } from "../env";
import { presignR2, signingSecret, workerSignedUrl, type SignedLink } from "../storage/signed-url";
import type { AppEnv } from "./context";

/** How this deployment signs output links: R2 presigned URLs when S3 credentials exist, else Worker-signed. */
export function signerFor(c: Context<AppEnv>): (key: string) => Promise<SignedLink> {
  return linkSigner(c.env, new URL(c.req.url).origin);
}

/** The same, outside a request (webhook bodies): Worker-signed links point at `origin`. */
export function linkSigner(env: Env, origin: string): (key: string) => Promise<SignedLink> {
  const cfg = config(env);
  const creds = s3Credentials(cfg);
  let secret: Promise<string> | undefined;
  return async (key) => {
    const now = Date.now();
    if (creds) return presignR2(creds, key, cfg.SIGNED_URL_TTL_S, now);
    secret ??= signingSecret(db(env.DB), env.DB, cfg.SIGNING_SECRET);
    return workerSignedUrl(origin, await secret, key, cfg.SIGNED_URL_TTL_S, now);
  };
}
