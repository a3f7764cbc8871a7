import { exports } from "cloudflare:workers";

/** The origin RunPod's SDK (and any other client that fetches by URL) is pointed at in tests. */
export const GATEWAY_ORIGIN = "http://gw.test";

const urlOf = (input: RequestInfo | URL) => (typeof input === "string" ? input : input instanceof URL ? input.href : input.url);

/**
 * Inside workerd the Worker under test listens on no port, so a client that only knows URLs (RunPod's
 * SDK, through xior) cannot reach it. While installed, a global fetch to GATEWAY_ORIGIN goes to the
 * Worker's own fetch handler (what call() uses: router, middleware, bindings, all real); every other
 * URL (the fake ComfyUI, the launcher, webhook receivers) goes out as before. Returns the uninstaller.
 */
export function routeGatewayFetch(): () => void {
  const original = globalThis.fetch;
  globalThis.fetch = (input: RequestInfo | URL, init?: RequestInit) =>
    new URL(urlOf(input)).origin === GATEWAY_ORIGIN ? exports.default.fetch(new Request(input, init)) : original(input, init);
  return () => {
    globalThis.fetch = original;
  };
}
