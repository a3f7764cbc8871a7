import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const wrangler = path.join(root, "node_modules", ".bin", "wrangler");

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * The gateway as users run it locally: `wrangler dev` on 127.0.0.1 (open mode), with its own state
 * folder, migrated first, so a client that only speaks HTTP (RunPod's SDK) reaches a real URL.
 */
export async function startGateway(timeoutMs = 120_000): Promise<{ url: string; stop: () => Promise<void> }> {
  const state = fs.mkdtempSync(path.join(os.tmpdir(), "comfy-edge-runpod-http-"));
  const env = { ...process.env, CI: "true", CLOUDFLARE_CF_FETCH_ENABLED: "false" };
  const migrated = spawnSync(wrangler, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", state], { cwd: root, encoding: "utf8", env });
  if (migrated.status !== 0) throw new Error(`migrations: ${migrated.stdout}${migrated.stderr}`);
  const port = await freePort();
  // wrangler's inspector defaults to 9229 when that looks free: two gateways started at once (this
  // project and the browser one run side by side) both take it and one dies "Address already in use".
  const inspectorPort = await freePort();
  // Its own process group, so stopping it ends the workerd it starts too.
  const child: ChildProcess = spawn(
    wrangler,
    ["dev", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspectorPort), "--persist-to", state, "--show-interactive-dev-session=false", "--var", "TRUST_CF_CONNECTING_IP:false"],
    { cwd: root, env, stdio: ["ignore", "ignore", "pipe"], detached: true },
  );
  // Kept for the error below; wrangler's warnings would otherwise fill every passing run's output.
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-8_000);
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.pid) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      process.kill(-child.pid, "SIGTERM");
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
      if (child.exitCode === null) process.kill(-child.pid, "SIGKILL");
    }
    fs.rmSync(state, { recursive: true, force: true });
  };
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) break;
    const up = await fetch(`${url}/health`).then((r) => r.ok, () => false);
    if (up) return { url, stop };
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  await stop();
  throw new Error(`wrangler dev did not answer on ${url} within ${timeoutMs / 1000} s:\n${stderr}`);
}
