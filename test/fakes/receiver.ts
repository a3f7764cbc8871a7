// A webhook receiver for tests: `node test/fakes/receiver.ts` listens on 127.0.0.1 (any free port),
// prints `RECEIVER_LISTENING {"port":…}`, records every request it gets and answers from a script.
// Tests inside workerd reach it through the launcher (POST /receivers), like the fake ComfyUI.
//
//   POST /__receiver/script {path, responses: [{status, delayMs?, headers?, body?}], fallback?}
//        the requests to `path` get these answers in order, then `fallback` (default 200 "ok");
//        `bodyBase64` instead of `body` answers with those raw bytes (an image to serve as a URL input)
//   GET  /__receiver/requests?path=…   → [{at, method, path, headers, body}] (body is the raw text)
//
// Each test uses its own path, so one receiver serves a whole test file.
import http from "node:http";

type Answer = { status: number; delayMs?: number; headers?: Record<string, string>; body?: string; bodyBase64?: string };
type Recorded = { at: number; method: string; path: string; headers: Record<string, string>; body: string };

const scripts = new Map<string, { responses: Answer[]; fallback: Answer }>();
const recorded: Recorded[] = [];

const json = (res: http.ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
};

const server = http.createServer(async (req, res) => {
  const at = Date.now();
  let body = "";
  req.setEncoding("utf8");
  for await (const chunk of req) body += chunk;
  const url = new URL(req.url ?? "/", "http://receiver");
  if (url.pathname === "/__receiver/script" && req.method === "POST") {
    const s = JSON.parse(body) as { path: string; responses?: Answer[]; fallback?: Answer };
    scripts.set(s.path, { responses: [...(s.responses ?? [])], fallback: s.fallback ?? { status: 200, body: "ok" } });
    return json(res, 200, { ok: true });
  }
  if (url.pathname === "/__receiver/requests" && req.method === "GET") {
    const path = url.searchParams.get("path");
    return json(res, 200, recorded.filter((r) => path === null || r.path === path));
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
  recorded.push({ at, method: req.method ?? "", path: url.pathname, headers, body });
  const script = scripts.get(url.pathname);
  const answer = script?.responses.shift() ?? script?.fallback ?? { status: 200, body: "ok" };
  if (answer.delayMs) await new Promise((r) => setTimeout(r, answer.delayMs));
  if (res.destroyed) return;
  res.writeHead(answer.status, { "content-type": "text/plain", ...answer.headers });
  res.end(answer.bodyBase64 !== undefined ? Buffer.from(answer.bodyBase64, "base64") : (answer.body ?? ""));
});

server.listen(0, "127.0.0.1", () => {
  const { port } = server.address() as { port: number };
  process.stdout.write(`RECEIVER_LISTENING ${JSON.stringify({ port })}\n`);
});

// The launcher holds our stdin; when it goes (even by SIGKILL), so do we.
process.stdin.on("end", () => process.exit(0));
process.stdin.on("error", () => process.exit(0));
process.stdin.resume();
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(sig, () => process.exit(0));
