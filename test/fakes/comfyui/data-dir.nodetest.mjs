// `node --test test/fakes/comfyui/data-dir.nodetest.mjs`: `--fresh-data-dir`, the fixed folder
// `npm run dev` gives the fake so that a killed run's files are gone on the next start.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { SERVER_PATH } from "./index.ts";

/** Starts server.ts as `npm run dev` does; resolves once it listens (or with its exit code). */
function startServer(dataDir) {
  const child = spawn(process.execPath, [SERVER_PATH, "--port", "0", "--fresh-data-dir", dataDir], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise((r) => child.once("exit", (code) => r(code)));
  const listening = new Promise((resolve) => {
    readline.createInterface({ input: child.stdout }).on("line", (line) => {
      const m = /^FAKE_COMFYUI_LISTENING (.*)$/.exec(line);
      if (m) resolve({ url: JSON.parse(m[1]).url });
    });
    exited.then((code) => resolve({ exitCode: code, stderr }));
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
  };
  return { child, listening, exited, stop };
}

function tempParent(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fresh-data-dir-test-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test("a stale folder left by a killed run is emptied on the next start", async (t) => {
  const dataDir = path.join(tempParent(t), "8188");
  const killed = startServer(dataDir);
  const a = await killed.listening;
  assert.ok(a.url, `the fake did not start: ${a.stderr}`);
  await fetch(`${a.url}/__fake/files/output/stale_00001_.png`, { method: "PUT", body: "old" });
  killed.child.kill("SIGKILL");
  await killed.exited;
  // SIGKILL runs no exit hook: this is what a killed `npm run dev` leaves behind.
  assert.equal(fs.readFileSync(path.join(dataDir, "output", "stale_00001_.png"), "utf8"), "old");

  const s = startServer(dataDir);
  t.after(s.stop);
  const b = await s.listening;
  assert.ok(b.url, `the fake did not start: ${b.stderr}`);
  assert.equal(fs.existsSync(path.join(dataDir, "output", "stale_00001_.png")), false);
  assert.equal(fs.readFileSync(path.join(dataDir, "owner.pid"), "utf8"), String(s.child.pid));
  // The fresh folder is the new fake's disk.
  await fetch(`${b.url}/__fake/files/output/new.txt`, { method: "PUT", body: "hi" });
  assert.equal(fs.readFileSync(path.join(dataDir, "output", "new.txt"), "utf8"), "hi");
});

test("the folder goes with the process on a normal stop", async (t) => {
  const dataDir = path.join(tempParent(t), "8188");
  const s = startServer(dataDir);
  const started = await s.listening;
  assert.ok(started.url, `the fake did not start: ${started.stderr}`);
  await s.stop();
  assert.equal(fs.existsSync(dataDir), false);
});

test("a folder a live fake still owns is left alone, and the second start says why", async (t) => {
  const dataDir = path.join(tempParent(t), "8188");
  const first = startServer(dataDir);
  t.after(first.stop);
  const a = await first.listening;
  assert.ok(a.url, `the fake did not start: ${a.stderr}`);
  await fetch(`${a.url}/__fake/files/output/mine.txt`, { method: "PUT", body: "mine" });

  const second = startServer(dataDir);
  t.after(second.stop);
  const b = await second.listening;
  assert.notEqual(b.exitCode, 0);
  assert.match(b.stderr, new RegExp(`in use by process ${first.child.pid}`));
  assert.equal(fs.readFileSync(path.join(dataDir, "output", "mine.txt"), "utf8"), "mine");
});
