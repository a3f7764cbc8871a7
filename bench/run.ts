// `npm run bench`: what the gateway costs over talking to ComfyUI directly, measured side by side
// on this machine, loopback only, bounded in count and time. Starts `wrangler dev` (fresh local
// state) and eight fake ComfyUI processes, then runs the scenarios below and writes
// bench/results/latest.json plus a table on stdout. Timings are reported, never asserted.
import { execSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startFakeComfy, type FakeComfyHandle } from "../test/fakes/comfyui/index.ts";
import { attachProfiler, summarize } from "./profile.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BUDGET_MS = 5 * 60_000;
const started = Date.now();
const children: ChildProcess[] = [];
const fakes: FakeComfyHandle[] = [];
const left = () => BUDGET_MS - (Date.now() - started);

// wrangler runs workerd as a child of its own: each gateway gets a process group, killed whole, so
// no workerd outlives the bench (orphans would skew every later measurement on this machine).
const killGroup = (c: ChildProcess) => {
  try {
    if (c.pid) process.kill(-c.pid, "SIGKILL");
  } catch {
    /* already gone */
  }
};
process.on("exit", () => children.forEach(killGroup));
for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => process.exit(130));
setTimeout(() => {
  console.error("bench: time budget exhausted");
  process.exit(2);
}, BUDGET_MS + 30_000).unref();

// ---------- small helpers ----------
const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return +s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!.toFixed(2);
};
const summary = (xs: number[]) => ({ n: xs.length, p50: pct(xs, 50), p95: pct(xs, 95), p99: pct(xs, 99) });
async function pool<T>(n: number, concurrency: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, async () => {
    while (next < n) {
      const i = next++;
      out[i] = await fn(i);
    }
  }));
  return out;
}

const instant = () => ({
  "1": { class_type: "EmptyImage", inputs: { width: 64, height: 64, batch_size: 1, color: Math.floor(Math.random() * 0xffffff) } },
  "2": { class_type: "SaveImage", inputs: { images: ["1", 0], filename_prefix: "bench" } },
});
const timed = (ms: number) => {
  const g: Record<string, unknown> = instant();
  g["3"] = { class_type: "HarnessSteps", inputs: { images: ["1", 0], steps: 10, step_ms: ms / 10 } };
  (g["2"] as { inputs: Record<string, unknown> }).inputs.images = ["3", 0];
  return g;
};

// ---------- the direct client: what a careful app does against ComfyUI itself ----------
class Direct {
  #waiters = new Map<string, () => void>();
  #ws!: WebSocket;
  readonly clientId = `bench-${randomUUID()}`;
  readonly url: string;
  constructor(url: string) {
    this.url = url;
  }
  async open() {
    this.#ws = new WebSocket(`${this.url.replace(/^http/, "ws")}/ws?clientId=${this.clientId}`);
    await new Promise<void>((resolve, reject) => {
      this.#ws.onopen = () => resolve();
      this.#ws.onerror = () => reject(new Error("direct ws failed"));
    });
    this.#ws.send(JSON.stringify({ type: "feature_flags", data: { supports_preview_metadata: true } }));
    this.#ws.onmessage = (ev) => {
      if (typeof ev.data !== "string") return;
      const m = JSON.parse(ev.data) as { type: string; data: { node?: string | null; prompt_id?: string } };
      if (m.type === "executing" && m.data.node === null && m.data.prompt_id) this.#waiters.get(m.data.prompt_id)?.();
    };
  }
  async run(graph: unknown): Promise<number> {
    const id = randomUUID();
    const t0 = performance.now();
    const done = new Promise<void>((r) => this.#waiters.set(id, r));
    const res = await fetch(`${this.url}/prompt`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ prompt: graph, client_id: this.clientId, prompt_id: id }) });
    if (res.status !== 200) throw new Error(`direct /prompt ${res.status}`);
    await res.arrayBuffer();
    await done;
    this.#waiters.delete(id);
    const hist = (await (await fetch(`${this.url}/history/${id}`)).json()) as Record<string, { outputs: Record<string, { images?: { filename: string; subfolder: string; type: string }[] }> }>;
    const file = Object.values(hist[id]!.outputs).flatMap((o) => o.images ?? [])[0]!;
    const q = new URLSearchParams({ filename: file.filename, subfolder: file.subfolder, type: file.type });
    await (await fetch(`${this.url}/view?${q}`)).arrayBuffer();
    return performance.now() - t0;
  }
  close() {
    this.#ws.close();
  }
}

// ---------- the gateway ----------
let gateway = "";
async function api(method: string, p: string, body?: unknown) {
  const res = await fetch(`${gateway}${p}`, { method, headers: body === undefined ? {} : { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}
/** What a client does: submit, long-poll to the end, download the output (as the direct client does with /view). */
async function viaGateway(graph: unknown, marks?: Record<string, number | string>): Promise<number> {
  const t0 = performance.now();
  const sub = await api("POST", "/jobs", { workflow: graph });
  if (sub.status !== 202) throw new Error(`POST /jobs ${sub.status} ${JSON.stringify(sub.json)}`);
  if (marks) marks.submitAnswered = Date.now();
  for (;;) {
    const r = await api("GET", `/jobs/${sub.json.id}?wait=30`);
    if (["succeeded", "failed", "canceled", "expired"].includes(r.json.status)) {
      if (r.json.status !== "succeeded") throw new Error(`job ${r.json.status}: ${JSON.stringify(r.json.error)}`);
      if (marks) marks.clientSawIt = Date.now();
      const out = r.json.outputs[0];
      if (out?.url) await (await fetch(out.url.startsWith("http") ? out.url : `${gateway}${out.url}`)).arrayBuffer();
      if (marks) Object.assign(marks, { downloaded: Date.now(), jobId: sub.json.id, hostName: r.json.host });
      return performance.now() - t0;
    }
  }
}
const d1RoundTrips = async () => ((await (await fetch(`${gateway}/__bench/d1`)).json()) as { roundTrips: number }).roundTrips;
let hostIds: string[] = [];
async function useHosts(k: number) {
  for (const [i, id] of hostIds.entries()) await api("POST", `/hosts/${id}/${i < k ? "resume" : "drain"}`);
}

function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}
function descendants(pid: number): number[] {
  const out: number[] = [];
  const walk = (p: number) => {
    let kids: number[] = [];
    try {
      kids = fs.readdirSync(`/proc/${p}/task`).flatMap((t) => fs.readFileSync(`/proc/${p}/task/${t}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number));
    } catch {
      /* gone */
    }
    for (const k of kids) {
      out.push(k);
      walk(k);
    }
  };
  walk(pid);
  return out;
}
const workerdPids = (wranglerPid: number) => descendants(wranglerPid).filter((p) => {
  try {
    return fs.readFileSync(`/proc/${p}/cmdline`, "utf8").includes("workerd");
  } catch {
    return false;
  }
});

// ---------- run ----------
const results: Record<string, unknown> = {
  date: new Date().toISOString(),
  machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model ?? "unknown", memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
  commit: (() => {
    try {
      return execSync("git rev-parse --short HEAD", { cwd: root }).toString().trim();
    } catch {
      return "unknown";
    }
  })(),
};

const persist = fs.mkdtempSync(path.join(os.tmpdir(), "comfy-edge-bench-"));
const port = await freePort();
gateway = `http://127.0.0.1:${port}`;
const wranglerBin = path.join(root, "node_modules", ".bin", "wrangler");
const mig = spawnSync(wranglerBin, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", persist], { cwd: root, stdio: "ignore", env: { ...process.env, CI: "true" } });
if (mig.status !== 0) throw new Error("migrations failed");
let inspectorPort = 0;
/** The gateway under `wrangler dev`, through bench/worker.ts (the real Worker with a counting D1 binding). */
async function startGateway(gwPort: number, dir: string, d1DelayMs: number) {
  // Its own inspector port: wrangler's default 9229 is taken whenever `npm run dev` is running.
  inspectorPort = await freePort();
  const child = spawn(wranglerBin, ["dev", "bench/worker.ts", "--ip", "127.0.0.1", "--port", String(gwPort), "--inspector-port", String(inspectorPort), "--persist-to", dir, "--log-level", "error", "--show-interactive-dev-session=false", "--var", "LOG_LEVEL:warn", "--var", `BENCH_D1_DELAY_MS:${d1DelayMs}`], { cwd: root, stdio: ["ignore", "ignore", "inherit"], detached: true });
  children.push(child);
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${gwPort}/health`)).ok) return child;
    } catch {
      /* starting */
    }
    if (i > 300) throw new Error("gateway did not start");
    await sleep(200);
  }
}
const wrangler = await startGateway(port, persist, 0);
console.error(`bench: gateway on ${gateway}; starting fakes`);
for (let i = 0; i < 8; i++) fakes.push(await startFakeComfy({ stepMs: 0, nodeDelayMs: 0, stderr: "ignore" }));
for (const [i, f] of fakes.entries()) hostIds.push((await api("POST", "/hosts", { name: `bench-${i + 1}`, url: f.url, slots: 2 })).json.id);
await useHosts(1);
await viaGateway(instant()); // warm up isolates, D1, the HostDO and its socket

// `npm run bench -- --profile`: only a CPU profile of 400 zero-time jobs at concurrency 8 on 4 hosts.
if (process.argv.includes("--profile")) {
  await useHosts(4);
  await pool(40, 8, () => viaGateway(instant()));
  const profiler = await attachProfiler(inspectorPort);
  await profiler.start();
  const t0 = performance.now();
  await pool(400, 8, () => viaGateway(instant()));
  const jobsPerS = 400 / ((performance.now() - t0) / 1000);
  const profile = await profiler.stop();
  const text = `400 jobs, concurrency 8, 4 hosts: ${jobsPerS.toFixed(1)} jobs/s (profiler attached)\n${summarize(profile)}\n`;
  fs.mkdirSync(path.join(root, "bench", "results"), { recursive: true });
  // Opens in Chrome DevTools' Performance panel (or speedscope) for the call tree.
  fs.writeFileSync(path.join(root, "bench", "results", "gateway.cpuprofile"), JSON.stringify(profile));
  fs.writeFileSync(path.join(root, "bench", "results", "profile.txt"), text);
  console.log(text);
  for (const f of fakes) await f.close();
  killGroup(wrangler);
  fs.rmSync(persist, { recursive: true, force: true });
  process.exit(0);
}

// 1. Added latency, sequential, one host; D1 round trips counted over the run; one job traced per phase.
const latency: Record<string, unknown> = {};
for (const runMs of [0, 200]) {
  const n = runMs === 0 ? 60 : 20;
  const direct = new Direct(fakes[0]!.url);
  await direct.open();
  const d: number[] = [];
  const g: number[] = [];
  let trips = 0;
  for (let i = 0; i < n && left() > 60_000; i++) {
    d.push(await direct.run(runMs ? timed(runMs) : instant()));
    const before = await d1RoundTrips();
    g.push(await viaGateway(runMs ? timed(runMs) : instant()));
    trips += (await d1RoundTrips()) - before;
  }
  direct.close();
  const ds = summary(d);
  const gs = summary(g);
  latency[`run${runMs}ms`] = { direct: ds, gateway: gs, addedP50: gs.p50 !== null && ds.p50 !== null ? +(gs.p50 - ds.p50).toFixed(2) : null, d1RoundTripsPerJob: +(trips / g.length).toFixed(2) };
  console.error(`bench: latency ${runMs} ms done`);
}
{
  // One zero-time job, step by step: client marks here, host marks from its Durable Object.
  const marks: Record<string, number | string> = {};
  const t0 = Date.now();
  await viaGateway(instant(), marks);
  const host = (await api("GET", "/hosts")).json.items.find((h: { name: string }) => h.name === marks.hostName);
  const steps = ((await (await fetch(`${gateway}/__bench/trace/${host.id}/${marks.jobId}`)).json()) ?? {}) as Record<string, number>;
  const order: [string, number | undefined][] = [
    ["POST /jobs answered (job written + claimed)", marks.submitAnswered as number], ["host took it (dispatch stored)", steps.dispatched],
    ["POST /prompt answered", steps.promptAnswered], ["execution_start", steps.executionStart], ["executing null", steps.executingNull],
    ["history read", steps.history], ["outputs in R2", steps.outputsStored], ["terminal row written", steps.terminalRow],
    ["client saw it (long-poll answered)", marks.clientSawIt as number], ["output downloaded", marks.downloaded as number],
  ];
  // In the order things happened (the host may take the job before the client has its 202).
  order.sort((x, y) => (x[1] ?? Infinity) - (y[1] ?? Infinity));
  let prev = t0;
  results.trace = order.map(([step, at]) => {
    const row = { step, atMs: at === undefined ? null : at - t0, phaseMs: at === undefined ? null : at - prev };
    if (at !== undefined) prev = at;
    return row;
  });
}
results.latency = latency;

// 2. Throughput at concurrency 1, 8, 32 with 1 and 4 hosts; the fake alone as the ceiling.
const throughput: Record<string, unknown> = {};
for (const c of [1, 8, 32]) {
  const n = Math.max(40, c * 4);
  const direct = new Direct(fakes[0]!.url);
  await direct.open();
  let t0 = performance.now();
  await pool(n, c, () => direct.run(instant()));
  const ceiling = n / ((performance.now() - t0) / 1000);
  direct.close();
  const row: Record<string, number> = { fakeAloneJobsPerS: +ceiling.toFixed(1) };
  for (const hosts of [1, 4]) {
    if (left() < 60_000) break;
    await useHosts(hosts);
    t0 = performance.now();
    await pool(n, c, () => viaGateway(instant()));
    row[`gateway${hosts}HostsJobsPerS`] = +(n / ((performance.now() - t0) / 1000)).toFixed(1);
  }
  throughput[`concurrency${c}`] = row;
  console.error(`bench: throughput c=${c} done`);
}
results.throughput = throughput;

// 3. Idle gap on a saturated host, from the fake's own counters.
await useHosts(1);
const before = (await fakes[0]!.client.stats()).idleGapsMs.length;
await pool(40, 16, () => viaGateway(timed(50)));
const gaps = (await fakes[0]!.client.stats()).idleGapsMs.slice(before);
results.idleGapMs = summary(gaps);
console.error("bench: idle gap done");

// 3b. A saturated three-host fleet: 60 jobs of random length (50–150 ms); idle gaps per host and
// how placement spread the jobs.
{
  await useHosts(3);
  const gapsBefore = await Promise.all(fakes.slice(0, 3).map(async (f) => (await f.client.stats()).idleGapsMs.length));
  const execBefore = await Promise.all(fakes.slice(0, 3).map(async (f) => (await f.client.stats()).executed.length));
  const t0 = performance.now();
  await pool(60, 16, () => viaGateway(timed(50 + Math.floor(Math.random() * 100))));
  const seconds = (performance.now() - t0) / 1000;
  const stats = await Promise.all(fakes.slice(0, 3).map((f) => f.client.stats()));
  results.fleet3 = {
    jobs: 60,
    jobsPerS: +(60 / seconds).toFixed(1),
    jobsPerHost: stats.map((st, i) => st.executed.length - execBefore[i]!),
    idleGapMs: summary(stats.flatMap((st, i) => st.idleGapsMs.slice(gapsBefore[i]))),
  };
  console.error("bench: three-host fleet done");
}

// 4. Scale-out: 1, 2, 4, 8 hosts, 100 ms jobs, concurrency 32.
const scale: Record<string, number> = {};
for (const hosts of [1, 2, 4, 8]) {
  if (left() < 60_000) break;
  await useHosts(hosts);
  const n = 24 * hosts;
  const t0 = performance.now();
  await pool(n, 32, () => viaGateway(timed(100)));
  scale[`hosts${hosts}JobsPerS`] = +(n / ((performance.now() - t0) / 1000)).toFixed(1);
}
results.scaleOut = scale;
console.error("bench: scale-out done");

// 5. A 500 MB output streamed into R2 and downloaded back, with workerd's peak RSS.
if (left() > 90_000) {
  await useHosts(1);
  const pids = workerdPids(wrangler.pid!);
  const rss = () => pids.reduce((sum, p) => sum + rssOf(p), 0);
  const baseline = rss();
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, rss())), 50);
  const size = 500 * 1024 * 1024;
  const t0 = performance.now();
  const sub = await api("POST", "/jobs", { workflow: { "1": { class_type: "FakeOutput", inputs: { kind: "video", bytes: size, filename_prefix: "big" } } } });
  let job;
  do job = (await api("GET", `/jobs/${sub.json.id}?wait=60`)).json;
  while (!["succeeded", "failed"].includes(job.status));
  const toR2 = performance.now() - t0;
  const t1 = performance.now();
  const res = await fetch(`${gateway}/jobs/${job.id}/outputs/${encodeURIComponent(job.outputs[0].name)}`);
  let got = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) got += chunk.length;
  clearInterval(sampler);
  results.largeOutput = {
    bytes: size, status: job.status, downloadedBytes: got, intoR2Ms: Math.round(toR2), downloadMs: Math.round(performance.now() - t1),
    workerdPids: pids.length, workerdRssBaselineMiB: +(baseline / 2 ** 20).toFixed(1), workerdRssPeakGrowthMiB: +((peak - baseline) / 2 ** 20).toFixed(1),
  };
  console.error("bench: large output done");
}
// 6. A Worker far from D1's primary: a second gateway whose every D1 round trip waits 20 ms.
if (left() > 45_000) {
  const farPort = await freePort();
  const farDir = fs.mkdtempSync(path.join(os.tmpdir(), "comfy-edge-bench-far-"));
  if (spawnSync(wranglerBin, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", farDir], { cwd: root, stdio: "ignore", env: { ...process.env, CI: "true" } }).status !== 0) throw new Error("migrations failed");
  const far = await startGateway(farPort, farDir, 20);
  const near = gateway;
  gateway = `http://127.0.0.1:${farPort}`;
  await api("POST", "/hosts", { name: "far-1", url: fakes[7]!.url, slots: 2 });
  await viaGateway(instant());
  const direct = new Direct(fakes[7]!.url);
  await direct.open();
  const d: number[] = [];
  const g: number[] = [];
  let trips = 0;
  for (let i = 0; i < 15 && left() > 20_000; i++) {
    d.push(await direct.run(instant()));
    const before = await d1RoundTrips();
    g.push(await viaGateway(instant()));
    trips += (await d1RoundTrips()) - before;
  }
  direct.close();
  const ds = summary(d);
  const gs = summary(g);
  results.farFromD1 = { d1DelayMs: 20, direct: ds, gateway: gs, addedP50: gs.p50 !== null && ds.p50 !== null ? +(gs.p50 - ds.p50).toFixed(2) : null, d1RoundTripsPerJob: +(trips / g.length).toFixed(2) };
  gateway = near;
  killGroup(far);
  fs.rmSync(farDir, { recursive: true, force: true });
  console.error("bench: far-from-D1 done");
}
results.durationS = Math.round((Date.now() - started) / 1000);

fs.mkdirSync(path.join(root, "bench", "results"), { recursive: true });
// What an operator's Prometheus would have scraped after all that (open mode: no key needed).
const metrics = await (await fetch(`${gateway}/metrics`)).text();
fs.writeFileSync(path.join(root, "bench", "results", "metrics.txt"), metrics);
fs.writeFileSync(path.join(root, "bench", "results", "latest.json"), `${JSON.stringify(results, null, 2)}\n`);

const lat = results.latency as Record<string, { direct: { p50: number; p95: number; p99: number }; gateway: { p50: number; p95: number; p99: number }; addedP50: number }>;
console.log(`\nComfy Edge bench — ${results.date}, commit ${results.commit}, ${(results.machine as { cores: number }).cores} cores\n`);
console.log("latency (ms)            direct p50/p95/p99        gateway p50/p95/p99       added p50");
for (const [k, v] of Object.entries(lat)) console.log(`  ${k.padEnd(20)}  ${[v.direct.p50, v.direct.p95, v.direct.p99].join(" / ").padEnd(24)}  ${[v.gateway.p50, v.gateway.p95, v.gateway.p99].join(" / ").padEnd(24)}  ${v.addedP50}`);
console.log(`D1 round trips per job: ${(lat.run0ms as unknown as { d1RoundTripsPerJob: number }).d1RoundTripsPerJob} (counted by the wrapped binding over the zero-time run, long-poll and download included)`);
console.log("one zero-time job, per phase (ms since the client sent POST /jobs):");
for (const r of results.trace as { step: string; atMs: number | null; phaseMs: number | null }[]) console.log(`  ${r.step.padEnd(44)} at ${String(r.atMs ?? "?").padStart(5)}   +${r.phaseMs ?? "?"}`);
console.log("throughput (jobs/s)");
for (const [k, v] of Object.entries(throughput)) console.log(`  ${k.padEnd(20)}  ${JSON.stringify(v)}`);
console.log(`idle gap on a saturated host (ms): ${JSON.stringify(results.idleGapMs)}`);
console.log(`saturated 3-host fleet: ${JSON.stringify(results.fleet3)}`);
console.log(`scale-out, 100 ms jobs (jobs/s): ${JSON.stringify(scale)}`);
if (results.largeOutput) console.log(`500 MB output: ${JSON.stringify(results.largeOutput)}`);
if (results.farFromD1) console.log(`every D1 round trip +20 ms (far from D1's primary): ${JSON.stringify(results.farFromD1)}`);
console.log(`GET /metrics after the bench (bench/results/metrics.txt), samples only:\n${metrics.split("\n").filter((l) => l && !l.startsWith("#") && !l.includes("_bucket{")).map((l) => `  ${l}`).join("\n")}`);
console.log(`\nwritten to bench/results/latest.json in ${results.durationS} s`);

for (const f of fakes) await f.close();
killGroup(wrangler);
fs.rmSync(persist, { recursive: true, force: true });
process.exit(0);
