// The browser tests' own world, in Node: the console built, a real `wrangler dev` gateway (local D1,
// R2, Queues and Durable Objects in a fresh temp folder) on a free 127.0.0.1 port, closed with one
// admin and one user key, fake ComfyUI processes from the same launcher the workerd tests use, and
// headless Debian Chromium driven by playwright-core.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser } from "playwright-core";
import { buildConsole } from "../../scripts/build-console.ts";
import { startLauncher } from "../fakes/launcher.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const wrangler = path.join(root, "node_modules", ".bin", "wrangler");
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** Screenshots land here (gitignored). */
export const SHOTS = path.join(root, "test-output", "browser");
export const ADMIN_KEY = "console-admin-key-0123456789";
export const USER_KEY = "console-user-key-0123456789";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

const quietEnv = () => ({ ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", NO_COLOR: "1" });

/** Starts wrangler dev in its own process group, so stopping it takes its workerd along. */
async function startGateway(persist: string) {
  const migrate = spawnSync(wrangler, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", persist], { cwd: root, encoding: "utf8", env: quietEnv() });
  if (migrate.status !== 0) throw new Error(`applying migrations failed:\n${migrate.stdout}${migrate.stderr}`);
  const port = await freePort();
  // Not wrangler's default 9229: the RunPod project starts a gateway at the same time (see gateway-process.ts).
  const inspectorPort = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let output = "";
  const child = spawn(
    wrangler,
    ["dev", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspectorPort), "--persist-to", persist, "--show-interactive-dev-session=false", "--test-scheduled",
      "--var", "TRUST_CF_CONNECTING_IP:false", "--var", `API_KEYS:${ADMIN_KEY}:admin,${USER_KEY}:user`, "--var", "HOST_TICK_MS:500",
      // Webhooks to the local test receiver (http, loopback): development only, as in `npm run dev` setups.
      "--var", "ALLOW_PRIVATE_URLS:true"],
    { cwd: root, env: quietEnv(), stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  const keep = (d: Buffer) => (output = (output + d.toString()).slice(-20_000));
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const until = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited (${child.exitCode}):\n${output}`);
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > until) throw new Error(`the gateway did not answer on ${url} within 60 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, child, output: () => output };
}

function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    const hard = setTimeout(() => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        /* gone */
      }
    }, 5000);
    child.once("exit", () => (clearTimeout(hard), resolve()));
    try {
      process.kill(-child.pid!, "SIGTERM");
    } catch {
      resolve();
    }
  });
}

export type World = Awaited<ReturnType<typeof startWorld>>;

export async function startWorld() {
  await buildConsole();
  mkdirSync(SHOTS, { recursive: true });
  const persist = mkdtempSync(path.join(os.tmpdir(), "comfy-edge-console-"));
  const launcher = await startLauncher();
  const gateway = await startGateway(persist);
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
  return {
    gateway: gateway.url,
    browser,
    gatewayOutput: gateway.output,
    /** A fresh fake ComfyUI process; `args` go to test/fakes/comfyui/server.ts. */
    async fake(args: string[] = []): Promise<string> {
      const res = await fetch(`${launcher.url}/fakes`, { method: "POST", body: JSON.stringify({ args }) });
      return ((await res.json()) as { url: string }).url;
    },
    /** A webhook receiver process (test/fakes/receiver.ts): its base URL. */
    async receiver(): Promise<string> {
      const res = await fetch(`${launcher.url}/receivers`, { method: "POST" });
      return ((await res.json()) as { url: string }).url;
    },
    /** The API as the admin (for arranging state the UI is then checked against). */
    async admin<T>(method: string, route: string, body?: unknown): Promise<T> {
      const res = await fetch(`${gateway.url}${route}`, { method, headers: { "x-api-key": ADMIN_KEY, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
      if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${await res.text()}`);
      return (res.status === 204 ? undefined : await res.json()) as T;
    },
    async close() {
      await browser.close().catch(() => undefined);
      await stopGroup(gateway.child);
      await launcher.close();
      rmSync(persist, { recursive: true, force: true });
    },
  };
}
