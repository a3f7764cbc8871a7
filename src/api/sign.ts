import type { Context } from "hono";
import { linkSigner, signingSecret, type SignedLink } from "../storage/signed-url";
import { watchLink } from "../watch/watch-link";
import type { AppEnv } from "./context";

/** How this deployment signs output links: R2 presigned URLs when S3 credentials exist, else Worker-signed. */
export function signerFor(c: Context<AppEnv>): (key: string) => Promise<SignedLink> {
  return linkSigner(c.env, new URL(c.req.url).origin);
}

/** The signers a job view needs: its outputs' download links and its watch link. */
export function viewSigners(c: Context<AppEnv>) {
  const origin = new URL(c.req.url).origin;
  let secret: Promise<string> | undefined;
  return {
    sign: linkSigner(c.env, origin),
    watch: async (jobId: string) => watchLink(origin, await (secret ??= signingSecret(c.get("db"), c.env.DB, c.get("config").SIGNING_SECRET)), jobId, Date.now()),
  };
}
