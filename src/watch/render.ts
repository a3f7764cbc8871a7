import type { Env } from "../env";
import { config } from "../env";
import { db } from "../db/client";
import { base64 } from "../lib/bytes";
import { toJobView } from "../jobs/view";
import { linkSigner, signingSecret, type SignedLink } from "../storage/signed-url";
import type { Stored } from "./events";
import { watchLink } from "./watch-link";

/** A preview larger than this is sent as a link only (GET /jobs/:id/preview), not inlined. */
export const PREVIEW_INLINE_MAX_BYTES = 64 * 1024;

/** How one watcher's events are signed: its own origin, fresh links on every send (and resend). */
export type RenderCtx = { sign: (key: string) => Promise<SignedLink>; watch: (jobId: string) => Promise<SignedLink> };

export function renderCtx(env: Env, origin: string): RenderCtx {
  const cfg = config(env);
  let secret: Promise<string> | undefined;
  return {
    sign: linkSigner(env, origin),
    watch: async (jobId) => watchLink(origin, await (secret ??= signingSecret(db(env.DB), env.DB, cfg.SIGNING_SECRET)), jobId, Date.now()),
  };
}

const iso = (ms: number) => new Date(ms).toISOString();

const dataUri = (contentType: string, bytes: Uint8Array) => `data:${contentType};base64,${base64(bytes)}`;

/** An event's SSE name and JSON data. Every data object carries `jobId`, so one stream can carry many jobs (GET /events). */
export async function renderEvent(s: Stored, ctx: RenderCtx): Promise<{ name: string; data: Record<string, unknown> }> {
  const e = s.event;
  const jobId = s.jobId;
  switch (e.kind) {
    case "queued":
      return { name: "queued", data: { jobId, status: "queued", queuePosition: e.queuePosition } };
    case "running":
      return { name: "running", data: { jobId, status: "running", host: e.host } };
    case "started":
      return { name: "started", data: { jobId, startedAt: iso(e.startedAtMs) } };
    case "progress":
      return { name: "progress", data: { jobId, node: e.node, value: e.value, max: e.max, percent: e.percent, ...(e.nodes ? { nodes: e.nodes } : {}) } };
    case "executing":
      return { name: "executing", data: { jobId, node: e.node } };
    case "preview": {
      const link = await ctx.watch(jobId);
      const url = `${link.url.replace(/\/events\?/, "/preview?")}&at=${e.atMs}`;
      const inline = e.bytes && e.bytes.byteLength <= PREVIEW_INLINE_MAX_BYTES ? { dataUri: dataUri(e.contentType, e.bytes) } : {};
      return { name: "preview", data: { jobId, node: e.node, contentType: e.contentType, bytes: e.size, at: iso(e.atMs), url, ...inline } };
    }
    case "output": {
      const { key, ...o } = e.output;
      if (!key) return { name: "output", data: { jobId, output: o } };
      const link = await ctx.sign(key);
      return { name: "output", data: { jobId, output: { ...o, url: link.url, urlExpiresAt: iso(link.expiresAtMs) } } };
    }
    case "end":
      return { name: e.row.status, data: { jobId, job: await toJobView(e.row, { queuePosition: null, ...ctx }) } };
  }
}
