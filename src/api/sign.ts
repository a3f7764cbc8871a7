import type { Context } from "hono";
import { linkSigner, type SignedLink } from "../storage/signed-url";
import { renderCtx } from "../watch/render";
import type { AppEnv } from "./context";

/** How this deployment signs output links: R2 presigned URLs when S3 credentials exist, else Worker-signed. */
export function signerFor(c: Context<AppEnv>): (key: string) => Promise<SignedLink> {
  return linkSigner(c.env, new URL(c.req.url).origin);
}

/** The signers a job view needs: its outputs' download links and its watch link. */
export const viewSigners = (c: Context<AppEnv>) => renderCtx(c.env, new URL(c.req.url).origin);
