import { spawn, type ChildProcess } from "node:child_process";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";

const SERVER = path.join(path.dirname(fileURLToPath(import.meta.url)), "comfyui", "server.ts");
const RECEIVER = path.join(path.dirname(fileURLToPath(import.meta.url)), "receiver.ts");

type Fake = { id: string; port: number; args: string[]; child: ChildProcess | null };

/** Starts one fake ComfyUI process and resolves once it says where it listens. */
function startProcess(port: number, args: string[]): Promise<{ child: ChildProcess; port: number }> {
  return spawnListening(SERVER, ["--port", String(port), "--exit-with-parent", ...args], "FAKE_COMFYUI_LISTENING", "fake ComfyUI");
}

/** Spawns a Node child that prints `<marker> {"port":…}` once it listens (and exits when our stdin pipe closes). */
function spawnListening(script: string, args: string[], marker: string, what: string): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ["pipe", "pipe", "inherit"] });
    let buf = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${what} did not start within 15 s`));
    }, 15_000);
    child.stdout!.on("data", (chunk: Buffer) => {
      buf += chunk.toString();
      const m = new RegExp(`${marker} (\\{.*\\})`).exec(buf);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: (JSON.parse(m[1]!) as { port: number }).port });
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code} before listening`));
    });
  });
}

function stop(child: ChildProcess | null, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => {
    child.once("exit", () => r());
    child.kill(signal);
  });
}

/**
 * A small HTTP service on 127.0.0.1 that tests inside workerd call to get their own fake ComfyUI
 * processes, and to kill or restart them (a host dying, a host coming back empty):
 *   POST /fakes {args}  → {id, url, port}     POST /fakes/:id/kill     POST /fakes/:id/start
 *   DELETE /fakes/:id
 * Webhook tests get a receiver process (test/fakes/receiver.ts) the same way:
 *   POST /receivers → {id, url, port}     DELETE /receivers/:id
 * It also serves a JSON Web Key Set for JWT tests (workerd cannot listen): tests add public keys
 * with `POST /jwks {keys}` (merged by kid) and the gateway fetches them from `GET /jwks`.
 */
export async function startLauncher() {
  const fakes = new Map<string, Fake>();
  const jwks = new Map<string, unknown>();
  const receivers = new Map<string, ChildProcess>();
  let next = 1;
  const server = http.createServer(async (req, res) => {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    try {
      let raw = "";
      for await (const chunk of req) raw += chunk;
      const parts = (req.url ?? "/").split("?")[0]!.split("/").filter(Boolean);
      if (parts.length === 1 && parts[0] === "jwks") {
        if (req.method === "POST") {
          for (const k of ((raw ? JSON.parse(raw) : {}) as { keys?: { kid?: string }[] }).keys ?? []) jwks.set(k.kid ?? String(jwks.size), k);
          return reply(200, { count: jwks.size });
        }
        if (req.method === "GET") return reply(200, { keys: [...jwks.values()] });
      }
      if (parts[0] === "receivers") {
        if (req.method === "POST" && parts.length === 1) {
          const { child, port } = await spawnListening(RECEIVER, [], "RECEIVER_LISTENING", "webhook receiver");
          const id = String(next++);
          receivers.set(id, child);
          return reply(201, { id, port, url: `http://127.0.0.1:${port}` });
        }
        if (req.method === "DELETE" && parts.length === 2) {
          await stop(receivers.get(parts[1]!) ?? null);
          receivers.delete(parts[1]!);
          return reply(200, { id: parts[1] });
        }
      }
      if (req.method === "POST" && parts.length === 1 && parts[0] === "fakes") {
        const args = ((raw ? JSON.parse(raw) : {}) as { args?: string[] }).args ?? [];
        const { child, port } = await startProcess(0, args);
        const fake: Fake = { id: String(next++), port, args, child };
        fakes.set(fake.id, fake);
        return reply(201, { id: fake.id, port, url: `http://127.0.0.1:${port}` });
      }
      const fake = parts[0] === "fakes" && parts[1] ? fakes.get(parts[1]) : undefined;
      if (!fake) return reply(404, { error: "no such fake" });
      if (req.method === "POST" && parts[2] === "kill") {
        await stop(fake.child);
        fake.child = null;
        return reply(200, { id: fake.id });
      }
      if (req.method === "POST" && (parts[2] === "freeze" || parts[2] === "thaw")) {
        // SIGSTOP/SIGCONT: a host that hangs whole (a frozen VM, a stalled GPU driver) and later wakes.
        fake.child?.kill(parts[2] === "freeze" ? "SIGSTOP" : "SIGCONT");
        return reply(200, { id: fake.id });
      }
      if (req.method === "POST" && parts[2] === "start") {
        await stop(fake.child);
        fake.child = (await startProcess(fake.port, fake.args)).child;
        return reply(200, { id: fake.id, port: fake.port });
      }
      if (req.method === "DELETE" && parts.length === 2) {
        await stop(fake.child);
        fakes.delete(fake.id);
        return reply(200, { id: fake.id });
      }
      reply(404, { error: "no such route" });
    } catch (e) {
      reply(500, { error: e instanceof Error ? e.message : String(e) });
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      await Promise.all([...fakes.values()].map((f) => stop(f.child)));
      await Promise.all([...receivers.values()].map((r) => stop(r)));
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
