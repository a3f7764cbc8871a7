// `npm run try`: one whole round trip against a running `npm run dev`: submit a job, follow it to
// the end, download its first output through the signed link and check that it is a PNG. It finds
// the gateway by GATEWAY_URL, PORT, or the port `npm run dev` wrote down (scripts/lib/gateway.ts),
// and says in one line what went wrong rather than with a stack trace.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DEV_STATE_FILE, findGateway, keyFromDevVars, oneLine, unreachableMessage, type DevState } from "./lib/gateway.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

function read(file: string): string | undefined {
  try {
    return readFileSync(path.join(root, file), "utf8");
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === "EPERM";
  }
}

function devState(): DevState | undefined {
  try {
    return JSON.parse(read(DEV_STATE_FILE) ?? "") as DevState;
  } catch {
    return undefined;
  }
}

const workflow = {
  "1": { class_type: "EmptyImage", inputs: { width: 512, height: 512, batch_size: 1, color: 3368601 } },
  "2": { class_type: "SaveImage", inputs: { images: ["1", 0], filename_prefix: "comfy-edge" } },
};
type Job = { id: string; status: string; host: string | null; error: unknown; outputs: { name: string; bytes: number }[]; metrics: unknown };

async function main() {
  const found = findGateway(process.env, devState(), alive);
  const gateway = found.url;
  const key = process.env.API_KEY || keyFromDevVars(read(".dev.vars") ?? "", "any");
  const headers: Record<string, string> = { "content-type": "application/json", ...(key ? { "x-api-key": key } : {}) };

  let submitted: Response;
  try {
    submitted = await fetch(`${gateway}/jobs`, { method: "POST", headers, body: JSON.stringify({ workflow }) });
  } catch {
    throw new Error(unreachableMessage(found));
  }
  const created = (await submitted.json()) as { id: string; status: string; message?: string };
  if (submitted.status === 401) throw new Error(`${gateway} wants a key: set API_KEY (or put API_KEYS in .dev.vars). It said: ${created.message}`);
  if (submitted.status !== 202) throw new Error(`POST ${gateway}/jobs answered ${submitted.status}: ${JSON.stringify(created)}`);
  console.log(`submitted job ${created.id} to ${gateway} (${created.status})`);

  let job: Job;
  const until = Date.now() + 60_000;
  let last = "";
  for (;;) {
    job = (await (await fetch(`${gateway}/jobs/${created.id}`, { headers })).json()) as Job;
    if (job.status !== last) console.log(`  ${job.status}${job.host ? ` on ${job.host}` : ""}`);
    last = job.status;
    if (["succeeded", "failed", "canceled", "expired"].includes(job.status)) break;
    if (Date.now() > until) throw new Error("the job did not finish within 60 s; is a host registered and online? (GET /hosts)");
    await new Promise((r) => setTimeout(r, 250));
  }
  if (job.status !== "succeeded") throw new Error(`job ended ${job.status}: ${JSON.stringify(job.error)}`);

  const output = job.outputs[0]!;
  const file = await fetch(`${gateway}/jobs/${job.id}/outputs/${encodeURIComponent(output.name)}`, { headers });
  const bytes = new Uint8Array(await file.arrayBuffer());
  const isPng = bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
  if (file.status !== 200 || !isPng || bytes.length !== output.bytes) throw new Error(`download failed: HTTP ${file.status}, ${bytes.length} bytes, png=${isPng}`);
  writeFileSync("out.png", bytes);
  console.log(`succeeded: ${output.name}, ${bytes.length} bytes of PNG saved to out.png; metrics ${JSON.stringify(job.metrics)}`);
}

main().catch((e: unknown) => {
  console.error(`npm run try: ${oneLine(e)}`);
  process.exitCode = 1;
});
