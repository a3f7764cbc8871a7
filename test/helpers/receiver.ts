import { env } from "cloudflare:workers";
import { call, waitFor } from "./gateway";

export type Answer = { status: number; delayMs?: number; headers?: Record<string, string>; body?: string; bodyBase64?: string };
export type Received = { at: number; method: string; path: string; headers: Record<string, string>; body: string };

/**
 * A webhook receiver process of this test file's own (test/fakes/receiver.ts, started by the
 * launcher). Each `hook()` is a fresh path with its own scripted answers and its own record.
 */
export async function spawnReceiver() {
  const launcher = env.FAKE_LAUNCHER_URL;
  const res = await fetch(`${launcher}/receivers`, { method: "POST" });
  if (res.status !== 201) throw new Error(`launcher: ${res.status} ${await res.text()}`);
  const { id, url } = (await res.json()) as { id: string; url: string };
  return {
    url,
    /** A callback URL whose requests get `responses` in order, then `fallback` (200 by default). */
    async hook(responses: Answer[] = [], fallback?: Answer) {
      const path = `/hook/${crypto.randomUUID()}`;
      const r = await fetch(`${url}/__receiver/script`, { method: "POST", body: JSON.stringify({ path, responses, fallback }) });
      if (!r.ok) throw new Error(`receiver script: ${r.status}`);
      return {
        url: `${url}${path}`,
        requests: async () => (await (await fetch(`${url}/__receiver/requests?path=${encodeURIComponent(path)}`)).json()) as Received[],
      };
    },
    close: () => fetch(`${launcher}/receivers/${id}`, { method: "DELETE" }).then((r) => r.text()),
  };
}
export type Receiver = Awaited<ReturnType<typeof spawnReceiver>>;
export type Hook = Awaited<ReturnType<Receiver["hook"]>>;

/** The first `n` requests the receiver got, once it has them. */
export const received = (hook: Hook, n: number, timeoutMs = 20_000) =>
  waitFor(async () => {
    const got = await hook.requests();
    return got.length >= n ? got : undefined;
  }, { timeoutMs, everyMs: 50 });

/** The job once its terminal delivery has finished (succeeded or failed). */
export const settledJob = (jobId: string) =>
  waitFor(async () => {
    const j = (await call("GET", `/jobs/${jobId}`)).json;
    return j.webhook?.status === "succeeded" || j.webhook?.status === "failed" ? j : undefined;
  }, { timeoutMs: 20_000, everyMs: 50 });

export const delivery = async (id: string) => (await call("GET", `/webhooks/deliveries/${encodeURIComponent(id)}`)).json;
