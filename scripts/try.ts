// `npm run try`: one whole round trip against a running `npm run dev`: submit a job, follow it to
// the end, download its first output through the signed link and check that it is a PNG. It finds
// the gateway by GATEWAY_URL, PORT, or the port `npm run dev` wrote down (scripts/lib/gateway.ts),
// and says in one line what went wrong rather than with a stack trace.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import createClient from "openapi-fetch";
import type { paths } from "../examples/typescript/api.d.ts";
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
const TERMINAL = ["succeeded", "failed", "canceled", "expired"];

async function main() {
  const found = findGateway(process.env, devState(), alive);
  const gateway = found.url;
  const key = process.env.API_KEY || keyFromDevVars(read(".dev.vars") ?? "", "any");
  // The client typed from the gateway's own OpenAPI document (`npm run openapi`).
  const api = createClient<paths>({ baseUrl: gateway, headers: key ? { "x-api-key": key } : {} });

  let submitted;
  try {
    submitted = await api.POST("/jobs", { body: { workflow } });
  } catch {
    throw new Error(unreachableMessage(found));
  }
  if (submitted.response.status === 401) throw new Error(`${gateway} wants a key: set API_KEY (or put API_KEYS in .dev.vars). It said: ${submitted.error?.message}`);
  if (!submitted.data) throw new Error(`POST ${gateway}/jobs answered ${submitted.response.status}: ${JSON.stringify(submitted.error)}`);
  const created = submitted.data;
  console.log(`submitted job ${created.id} to ${gateway} (${created.status})`);

  let job = created;
  const until = Date.now() + 60_000;
  let last = "";
  for (;;) {
    // Long-poll: the gateway answers as soon as the job ends, or after 10 s with its current state.
    const got = await api.GET("/jobs/{id}", { params: { path: { id: created.id }, query: { wait: 10 } } });
    if (!got.data) throw new Error(`GET /jobs/${created.id} answered ${got.response.status}: ${JSON.stringify(got.error)}`);
    job = got.data;
    if (job.status !== last) console.log(`  ${job.status}${job.host ? ` on ${job.host}` : ""}`);
    last = job.status;
    if (TERMINAL.includes(job.status)) break;
    if (Date.now() > until) throw new Error("the job did not finish within 60 s; is a host registered and online? (GET /hosts)");
  }
  if (job.status !== "succeeded") throw new Error(`job ended ${job.status}: ${JSON.stringify(job.error)}`);

  const output = job.outputs[0]!;
  // Outputs are downloaded through their signed link (a redirect), which needs no key.
  const file = await fetch(`${gateway}/jobs/${job.id}/outputs/${encodeURIComponent(output.name)}`, { headers: key ? { "x-api-key": key } : {} });
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
