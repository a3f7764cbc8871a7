// Submit a job from a built-in workflow, wait for it, print its output links. Typed end to end by
// the client generated from the gateway's OpenAPI document (api.d.ts, `npm run openapi`).
//
//   GATEWAY_URL=http://127.0.0.1:8787 API_KEY=... node examples/typescript/submit.ts "a red fox in the snow"
import { createHash } from "node:crypto";
import createClient from "openapi-fetch";
import type { paths } from "./api.d.ts";

const api = createClient<paths>({
  baseUrl: process.env.GATEWAY_URL ?? "http://127.0.0.1:8787",
  headers: process.env.API_KEY ? { "x-api-key": process.env.API_KEY } : {},
});

const prompt = process.argv[2] ?? "a lighthouse at dusk, oil painting";
const submitted = await api.POST("/jobs", {
  body: { workflowId: "sd15", inputs: { prompt, seed: 42, steps: 20 } },
  // Retrying this request with the same key never makes a second job (1–255 visible ASCII characters).
  headers: { "Idempotency-Key": `example-ts-${createHash("sha256").update(prompt).digest("hex")}` },
});
if (!submitted.data) throw new Error(`${submitted.response.status} ${submitted.error?.error}: ${submitted.error?.message}`);

let job = submitted.data;
console.log(`job ${job.id}: ${job.status}`);
while (!["succeeded", "failed", "canceled", "expired"].includes(job.status)) {
  // Long-poll: answers when the job ends, or after 30 s with its current state.
  const got = await api.GET("/jobs/{id}", { params: { path: { id: job.id }, query: { wait: 30 } } });
  if (!got.data) throw new Error(`${got.response.status} ${got.error?.message}`);
  job = got.data;
  console.log(`job ${job.id}: ${job.status}${job.progress ? ` ${job.progress.percent}%` : ""}`);
}
if (job.status !== "succeeded") throw new Error(`${job.error?.error}: ${job.error?.message}`);
for (const o of job.outputs) console.log(`${o.name} (${o.bytes} bytes): ${o.url}`);
