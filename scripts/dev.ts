// `npm run dev`: the whole gateway on this machine, with nothing to set up. It applies the D1
// migrations locally, starts the bundled fake ComfyUI, starts `wrangler dev` (local D1, R2, Queues
// and Durable Objects under .wrangler/; it builds the console first, [build] in wrangler.toml),
// registers the fake as a host and prints the console's URL and a job to try.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DEV_STATE_FILE, keyFromDevVars, oneLine } from "./lib/gateway.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name: string) => path.join(root, "node_modules", ".bin", name);
const GATEWAY_PORT = Number(process.env.PORT ?? 8787);
const FAKE_PORT = Number(process.env.FAKE_COMFY_PORT ?? 8188);
const gateway = `http://127.0.0.1:${GATEWAY_PORT}`;
// One fixed folder per port, emptied by the fake on start: a killed run leaves no pile of temp dirs.
const FAKE_DATA_DIR = path.join(os.tmpdir(), "comfy-edge-fake", String(FAKE_PORT));
const children: ChildProcess[] = [];
let stopping = false;
let ready = false;

/** With API_KEYS in .dev.vars the gateway is closed: the host is registered with the first admin key there. */
function devVars(): string {
  try {
    return readFileSync(path.join(root, ".dev.vars"), "utf8");
  } catch {
    return "";
  }
}
const closed = keyFromDevVars(devVars(), "any") !== undefined;
const adminKey = process.env.API_KEY ?? keyFromDevVars(devVars(), "admin");
const auth: Record<string, string> = adminKey ? { "x-api-key": adminKey } : {};
const stateFile = path.join(root, DEV_STATE_FILE);

/** Tells `npm run try` (scripts/lib/gateway.ts) which port this gateway is on. */
function writeState() {
  mkdirSync(path.dirname(stateFile), { recursive: true });
  writeFileSync(stateFile, JSON.stringify({ url: gateway, pid: process.pid }) + "\n");
}
function removeState() {
  try {
    if ((JSON.parse(readFileSync(stateFile, "utf8")) as { pid?: number }).pid === process.pid) rmSync(stateFile);
  } catch {
    /* never written, or another dev took it over */
  }
}

function shutdown(code = 0) {
  stopping = true;
  removeState();
  for (const c of children) if (c.exitCode === null) c.kill("SIGTERM");
  setTimeout(() => process.exit(code), 300).unref();
}
process.on("SIGINT", () => shutdown(0));
process.on("SIGTERM", () => shutdown(0));

function startFake(): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, "test/fakes/comfyui/server.ts"), "--port", String(FAKE_PORT), "--step-ms", "40", "--preview-method", "latent2rgb", "--fresh-data-dir", FAKE_DATA_DIR, "--exit-with-parent"], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    children.push(child);
    let buf = "";
    child.stdout!.on("data", (d: Buffer) => {
      buf += d.toString();
      const m = /FAKE_COMFYUI_LISTENING (\{.*\})/.exec(buf);
      if (m) resolve((JSON.parse(m[1]!) as { url: string }).url);
    });
    child.once("exit", (code) => reject(new Error(`fake ComfyUI exited (${code}); is port ${FAKE_PORT} free? Set FAKE_COMFY_PORT to use another.`)));
  });
}

async function waitForGateway(timeoutMs = 90_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      const r = await fetch(`${gateway}/health`);
      if (r.ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`the gateway did not answer on ${gateway} within ${timeoutMs / 1000} s`);
}

async function registerHost(url: string) {
  const res = await fetch(`${gateway}/hosts`, { headers: auth });
  if (!res.ok) throw new Error(`GET /hosts answered ${res.status}: set API_KEY to an admin key (or put one in .dev.vars API_KEYS as key:admin)`);
  const list = (await res.json()) as { items: { id: string; name: string; url: string }[] };
  const existing = list.items.find((h) => h.name === "local-fake");
  if (existing && existing.url === url) return;
  if (existing) await fetch(`${gateway}/hosts/${existing.id}`, { method: "DELETE", headers: auth });
  const r = await fetch(`${gateway}/hosts`, { method: "POST", headers: { "content-type": "application/json", ...auth }, body: JSON.stringify({ name: "local-fake", url, slots: 2 }) });
  if (r.status !== 201) throw new Error(`registering the fake host failed: ${r.status} ${await r.text()}`);
}

/**
 * wrangler reprints the whole migrations table after each file it applies; show its last table
 * (or its one-line "nothing to apply") and the full output only when it fails.
 */
function migrate() {
  const r = spawnSync(bin("wrangler"), ["d1", "migrations", "apply", "DB", "--local"], { cwd: root, encoding: "utf8", env: { ...process.env, CI: "true" } });
  const out = `${r.stdout ?? ""}${r.stderr ?? ""}`;
  if (r.status !== 0) {
    process.stderr.write(out);
    console.error("Applying the D1 migrations locally failed (output above).");
    process.exit(1);
  }
  const lastTable = out.lastIndexOf("┌");
  console.log(lastTable >= 0 ? `Local D1 migrations:\n${out.slice(lastTable).trimEnd()}` : "Local D1 migrations: none to apply.");
}

async function main() {
  migrate();
  const fakeUrl = await startFake();
  const wrangler = spawn(bin("wrangler"), ["dev", "--ip", "127.0.0.1", "--port", String(GATEWAY_PORT), "--test-scheduled", "--show-interactive-dev-session=false",
    // Locally nothing overwrites a client's CF-Connecting-IP: meter anonymous callers as one (src/api/middleware/rate-limit.ts).
    "--var", "TRUST_CF_CONNECTING_IP:false"], {
    cwd: root,
    stdio: ["ignore", "inherit", "inherit"],
    // Request.cf is a placeholder locally anyway; offline, fetching it prints a stack trace on every start.
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: process.env.CLOUDFLARE_CF_FETCH_ENABLED ?? "false" },
  });
  children.push(wrangler);
  wrangler.once("exit", (code) => {
    if (stopping) return;
    console.error(`wrangler dev exited (${code})${ready ? "" : `; is port ${GATEWAY_PORT} free? Set PORT to use another.`}`);
    shutdown(code ?? 1);
  });

  await waitForGateway();
  ready = true;
  await registerHost(fakeUrl);
  writeState();
  // Local cron triggers do not fire by themselves; run the sweep every minute as production would.
  setInterval(() => void fetch(`${gateway}/__scheduled?cron=*+*+*+*+*`).catch(() => undefined), 60_000).unref();
  console.log(banner(fakeUrl));
}

function banner(fakeUrl: string) {
  const job = JSON.stringify({
    workflow: {
      "1": { class_type: "EmptyImage", inputs: { width: 512, height: 512, batch_size: 1, color: 3368601 } },
      "2": { class_type: "SaveImage", inputs: { images: ["1", 0], filename_prefix: "comfy-edge" } },
    },
  });
  const key = closed || adminKey ? ` -H "x-api-key: $API_KEY"` : "";
  const keyNote = key
    ? `\n  The gateway is closed (API_KEYS in .dev.vars), so each command sends $API_KEY; set it to one of those keys first:\n    export API_KEY=<a key from .dev.vars>\n`
    : "";
  const signIn = closed || adminKey ? "sign in with a key from .dev.vars API_KEYS" : "open mode: sign in with an empty key";
  return `
  Comfy Edge is running on ${gateway} with a fake ComfyUI at ${fakeUrl} registered as host "local-fake".

  Console:  ${gateway}/admin   (${signIn})
${keyNote}
  Run a job:
    curl -s ${gateway}/jobs${key} -H 'content-type: application/json' -d '${job}'
  Watch it (use the id from the answer):
    curl -s ${gateway}/jobs/<id>${key}
  or live, as Server-Sent Events until it ends:
    curl -N ${gateway}/jobs/<id>/events${key}
  Download its image (follows the signed link):
    curl -sL -o out.png ${gateway}/jobs/<id>/outputs/<name>${key}

  Or all at once:  npm run try   (it finds this gateway on port ${GATEWAY_PORT} and reads the key from .dev.vars)
  Press Ctrl-C to stop.
`;
}

main().catch((e: unknown) => {
  console.error(`npm run dev: ${oneLine(e)}`);
  shutdown(1);
});
