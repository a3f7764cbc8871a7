import { env } from "cloudflare:workers";
import { call } from "./gateway";

/**
 * A fake ComfyUI process of this test's own, started by the launcher in global setup. Faults are
 * injected through the fake's control API (/__fake/…), process deaths through the launcher.
 */
export async function spawnFake(args: string[] = []) {
  const launcher = env.FAKE_LAUNCHER_URL;
  const res = await fetch(`${launcher}/fakes`, { method: "POST", body: JSON.stringify({ args }) });
  if (res.status !== 201) throw new Error(`launcher: ${res.status} ${await res.text()}`);
  const { id, url } = (await res.json()) as { id: string; url: string };
  const control = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${url}/__fake/${path}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }) });
    if (!r.ok) throw new Error(`fake ${path}: ${r.status} ${await r.text()}`);
    return r.headers.get("content-type")?.includes("json") ? ((await r.json()) as any) : await r.text();
  };
  return {
    url,
    faults: (f: Record<string, unknown>) => control("POST", "faults", f),
    clearFaults: () => control("DELETE", "faults"),
    configure: (c: Record<string, unknown>) => control("POST", "config", c),
    stats: () => control("GET", "stats"),
    fileSha256: async (type: string, name: string) => (await control("GET", `files/${type}/${name}?sha256=1`)) as any,
    kill: () => fetch(`${launcher}/fakes/${id}/kill`, { method: "POST" }).then((r) => r.text()),
    start: () => fetch(`${launcher}/fakes/${id}/start`, { method: "POST" }).then((r) => r.text()),
    freeze: () => fetch(`${launcher}/fakes/${id}/freeze`, { method: "POST" }).then((r) => r.text()),
    thaw: () => fetch(`${launcher}/fakes/${id}/thaw`, { method: "POST" }).then((r) => r.text()),
    close: () => fetch(`${launcher}/fakes/${id}`, { method: "DELETE" }).then((r) => r.text()),
  };
}
export type Fake = Awaited<ReturnType<typeof spawnFake>>;

/** Registers a fake as a gateway host with a fresh unique name. */
export async function addHost(fake: Fake, slots = 2, name = `gpu-${crypto.randomUUID().slice(0, 8)}`) {
  const r = await call("POST", "/hosts", { name, url: fake.url, slots });
  if (r.status !== 201) throw new Error(`POST /hosts: ${r.status} ${r.text}`);
  return r.json as { id: string; name: string };
}

/**
 * For a test file whose tests each want a fleet of their own: `fake()` spawns a fake closed after
 * the file, and before each test every host left by an earlier one is removed (or drained, when
 * it still holds a job), so no test's jobs land on another's host.
 */
export function ownFleet(hooks: { beforeEach: (fn: () => Promise<void>) => void; afterAll: (fn: () => Promise<unknown>) => void }) {
  const fakes: Fake[] = [];
  hooks.afterAll(() => Promise.all(fakes.map((f) => f.close())));
  hooks.beforeEach(async () => {
    for (const h of (await call("GET", "/hosts")).json.items) {
      if ((await call("DELETE", `/hosts/${h.id}`)).status !== 204) await call("POST", `/hosts/${h.id}/drain`);
    }
  });
  return async () => {
    const f = await spawnFake();
    fakes.push(f);
    return f;
  };
}
