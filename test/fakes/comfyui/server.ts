// CLI entry: `node test/fakes/comfyui/server.ts --port 0 [flags]`. Prints exactly one line,
// `FAKE_COMFYUI_LISTENING {"port":…,"url":…}`, which the launcher (index.ts) waits for.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseCli } from "./config.ts";
import { createFakeComfy } from "./app.ts";
import { claimFreshDir } from "./fresh-dir.ts";

const cli = parseCli(process.argv.slice(2));
const dataDir = cli.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "fake-comfyui-"));
if (cli.freshDataDir) {
  try {
    claimFreshDir(dataDir);
  } catch (e) {
    // Before the exit hook below exists: a folder another fake owns must survive this exit.
    process.stderr.write(`fake-comfyui failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  }
}
const ownDir = cli.dataDir === null || cli.freshDataDir;

// The temp dir is this instance's disk; it goes with the process unless the caller owns it.
process.on("exit", () => {
  if (ownDir) fs.rmSync(dataDir, { recursive: true, force: true });
});
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(sig, () => process.exit(0));

if (cli.exitWithParent) {
  // The launcher holds our stdin; when it dies (even by SIGKILL) the pipe closes.
  const parentGone = () => {
    if (cli.removeDataDirWithParent) fs.rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  };
  process.stdin.on("end", parentGone);
  process.stdin.on("error", parentGone);
  process.stdin.resume();
}

try {
  const inst = await createFakeComfy({
    port: cli.port,
    host: cli.host,
    dataDir,
    config: cli.config,
    onCrash: () => process.exit(1),
  });
  process.stdout.write(`FAKE_COMFYUI_LISTENING ${JSON.stringify({ port: inst.port, url: inst.url })}\n`);
} catch (e) {
  process.stderr.write(`fake-comfyui failed to start: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(2);
}
