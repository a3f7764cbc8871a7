// `npm run try`: one whole round trip against a running `npm run dev`: submit a job, follow it to
// the end, download its first output through the signed link and check that it is a PNG.
import { writeFileSync } from "node:fs";

const gateway = process.env.GATEWAY_URL ?? `http://127.0.0.1:${process.env.PORT ?? 8787}`;
const headers: Record<string, string> = { "content-type": "application/json" };
if (process.env.API_KEY) headers["x-api-key"] = process.env.API_KEY;

const workflow = {
  "1": { class_type: "EmptyImage", inputs: { width: 512, height: 512, batch_size: 1, color: 3368601 } },
  "2": { class_type: "SaveImage", inputs: { images: ["1", 0], filename_prefix: "comfy-edge" } },
};

const submitted = await fetch(`${gateway}/jobs`, { method: "POST", headers, body: JSON.stringify({ workflow }) });
const created = (await submitted.json()) as { id: string; status: string };
if (submitted.status !== 202) throw new Error(`POST /jobs answered ${submitted.status}: ${JSON.stringify(created)}`);
console.log(`submitted job ${created.id} (${created.status})`);

type Job = { id: string; status: string; host: string | null; error: unknown; outputs: { name: string; bytes: number; url?: string }[]; metrics: unknown };
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
