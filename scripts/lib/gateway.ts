// Where the local gateway is, and how to say it is not there. Plain functions with no Node imports,
// so test/unit/try-gateway.test.ts runs them as they are; scripts/dev.ts and scripts/try.ts do the I/O.

/** `npm run dev` writes `{ url, pid }` here once the gateway answers, and removes it when it stops. */
export const DEV_STATE_FILE = ".wrangler/comfy-edge-dev.json";
export const DEFAULT_PORT = 8787;

export type DevState = { url: string; pid: number };
export type Found = { url: string; from: "GATEWAY_URL" | "PORT" | typeof DEV_STATE_FILE | "default" };

const localUrl = (port: number) => `http://127.0.0.1:${port}`;

/**
 * GATEWAY_URL, then PORT, then the port a running `npm run dev` chose (its state file, if that
 * process is still alive), then 8787. A bad GATEWAY_URL or PORT throws a one-line message.
 */
export function findGateway(env: { GATEWAY_URL?: string; PORT?: string }, state: DevState | undefined, alive: (pid: number) => boolean): Found {
  const url = env.GATEWAY_URL?.trim();
  if (url) {
    if (!/^https?:\/\/[^/]/.test(url)) throw new Error(`GATEWAY_URL must be an http(s) URL such as http://127.0.0.1:8787, not "${url}"`);
    return { url: url.replace(/\/+$/, ""), from: "GATEWAY_URL" };
  }
  const port = env.PORT?.trim();
  if (port) {
    const n = Number(port);
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`PORT must be a port number (1-65535), not "${port}"`);
    return { url: localUrl(n), from: "PORT" };
  }
  if (state && alive(state.pid)) return { url: state.url, from: DEV_STATE_FILE };
  return { url: localUrl(DEFAULT_PORT), from: "default" };
}

const SOURCE: Record<Found["from"], string> = {
  GATEWAY_URL: "from GATEWAY_URL",
  PORT: "from PORT",
  [DEV_STATE_FILE]: `the port \`npm run dev\` wrote to ${DEV_STATE_FILE}`,
  default: "the default port",
};

export const unreachableMessage = (g: Found) =>
  `No gateway answers at ${g.url} (${SOURCE[g.from]}). Start one with \`npm run dev\`, or set GATEWAY_URL (or PORT) to where it runs.`;

/**
 * A key from .dev.vars API_KEYS (`key:role,key:role`; no role = user): the first admin key, or for
 * `any` the first key at all. Undefined when there is none (open mode needs none).
 */
export function keyFromDevVars(text: string, role: "admin" | "any"): string | undefined {
  const raw = /^API_KEYS\s*=\s*"?([^"\n]*)"?/m.exec(text)?.[1] ?? "";
  const entries = raw.split(",").map((e) => e.trim()).filter(Boolean);
  const entry = role === "admin" ? entries.find((e) => /:admin$/i.test(e)) : entries[0];
  return entry?.replace(/:(admin|user)$/i, "");
}

/** An error as one line for a terminal: fetch's "fetch failed" gains its cause's code (ECONNREFUSED). */
export function oneLine(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const code = (e.cause as { code?: unknown } | undefined)?.code;
  return typeof code === "string" ? `${e.message} (${code})` : e.message;
}
