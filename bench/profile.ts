// CPU profile of the gateway under load, through wrangler's inspector (Chrome DevTools protocol):
// where the Worker's and its Durable Objects' JavaScript time goes, by function, self time first.
// Used by `npm run bench -- --profile`; the per-phase trace says when, this says what.

type Node = { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] };
type Profile = { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number };

/** Connects to the first target wrangler's inspector lists (the user Worker) and returns start/stop. */
export async function attachProfiler(inspectorPort: number) {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()) as { webSocketDebuggerUrl: string; title?: string }[];
  const target = targets[0];
  if (!target) throw new Error("the inspector lists no target");
  // The inspector proxy refuses a connection without an Origin of its own host (undici lets us set it).
  const ws = new WebSocket(target.webSocketDebuggerUrl, { headers: { origin: "http://127.0.0.1" } } as unknown as string[]);
  await new Promise((resolve, reject) => {
    ws.addEventListener("open", resolve, { once: true });
    ws.addEventListener("error", reject, { once: true });
  });
  let nextId = 0;
  const pending = new Map<number, (r: unknown) => void>();
  ws.addEventListener("message", (m) => {
    const msg = JSON.parse(String(m.data)) as { id?: number; result?: unknown };
    if (msg.id !== undefined) pending.get(msg.id)?.(msg.result);
  });
  const send = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<unknown>((resolve) => {
      const id = ++nextId;
      pending.set(id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    });
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: 200 });
  return {
    start: () => send("Profiler.start"),
    async stop(): Promise<Profile> {
      const r = (await send("Profiler.stop")) as { profile: Profile };
      ws.close();
      return r.profile;
    },
  };
}

/** Self and total time per function (ms), the top `limit` by self time, as text. */
export function summarize(p: Profile, limit = 40): string {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000));
  const key = (n: Node) => `${n.callFrame.functionName || "(anonymous)"} ${n.callFrame.url.split("/").slice(-2).join("/")}:${n.callFrame.lineNumber + 1}`;
  const selfBy = new Map<string, number>();
  const totalBy = new Map<string, number>();
  for (const [id, ms] of self) {
    const n = byId.get(id)!;
    selfBy.set(key(n), (selfBy.get(key(n)) ?? 0) + ms);
    // Total: once per distinct function on the stack (recursion counted once).
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const k = key(byId.get(cur)!);
      if (!seen.has(k)) totalBy.set(k, (totalBy.get(k) ?? 0) + ms);
      seen.add(k);
    }
  }
  const wall = (p.endTime - p.startTime) / 1000;
  const busy = [...self.entries()].filter(([id]) => !["(idle)", "(program)"].includes(byId.get(id)!.callFrame.functionName)).reduce((a, [, ms]) => a + ms, 0);
  const rows = [...selfBy.entries()].sort((a, b) => b[1] - a[1]).slice(0, limit);
  const topTotal = [...totalBy.entries()].filter(([k]) => !k.startsWith("(root)")).sort((a, b) => b[1] - a[1]).slice(0, limit);
  return [
    `profiled ${wall.toFixed(0)} ms wall, ${busy.toFixed(0)} ms JavaScript (${((100 * busy) / wall).toFixed(0)}% of one core)`,
    "self ms   function",
    ...rows.map(([k, ms]) => `${ms.toFixed(1).padStart(8)}  ${k}`),
    "",
    "total ms  function",
    ...topTotal.map(([k, ms]) => `${ms.toFixed(1).padStart(8)}  ${k}`),
  ].join("\n");
}
