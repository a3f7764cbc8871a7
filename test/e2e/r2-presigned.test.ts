import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { outputKey } from "../../src/storage/keys";
import { addHost, spawnFake, type Fake } from "../helpers/fake";
import { call, tinyGraph, waitForTerminal } from "../helpers/gateway";
import { amzDateMs, expectedSignature } from "../helpers/sigv4";

const creds = { R2_ACCOUNT_ID: "0123456789abcdef0123456789abcdef", R2_ACCESS_KEY_ID: "AKIDROUTETEST", R2_SECRET_ACCESS_KEY: "route-test-secret", R2_BUCKET_NAME: "comfy-edge-outputs" };
// The suite's bindings have no S3 credentials; this env is a deployment that set all four secrets.
const withCreds = { ...env, ...creds, SIGNED_URL_TTL_S: "600" } as unknown as typeof env;

async function get(path: string, e: typeof env) {
  const ctx = createExecutionContext();
  const res = await createApp().request(`http://gw.test${path}`, {}, e, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

function checkPresigned(location: string, key: string, signedAfterMs: number) {
  const u = new URL(location);
  expect(u.host).toBe(`${creds.R2_ACCOUNT_ID}.r2.cloudflarestorage.com`);
  expect(decodeURIComponent(u.pathname)).toBe(`/${creds.R2_BUCKET_NAME}/${key}`);
  expect(u.searchParams.get("X-Amz-Credential")).toMatch(new RegExp(`^${creds.R2_ACCESS_KEY_ID}/\\d{8}/auto/s3/aws4_request$`));
  expect(u.searchParams.get("X-Amz-Expires")).toBe("600");
  const signedAt = amzDateMs(u.searchParams.get("X-Amz-Date")!);
  expect(signedAt).toBeGreaterThanOrEqual(Math.floor(signedAfterMs / 1000) * 1000);
  expect(signedAt).toBeLessThanOrEqual(Date.now());
  return u;
}

let fake: Fake;
let job: { id: string; outputs: { name: string; url: string; urlExpiresAt: string }[] };
beforeAll(async () => {
  fake = await spawnFake(["--step-ms", "5"]);
  await addHost(fake, 2);
  const submitted = await call("POST", "/jobs", { workflow: tinyGraph(0x123456) });
  job = await waitForTerminal(submitted.json.id);
  expect(job).toMatchObject({ status: "succeeded" });
});
afterAll(() => fake?.close());

describe("with R2 S3 credentials configured", () => {
  it("redirects an output download to an R2 presigned URL for that object", async () => {
    const name = job.outputs[0]!.name;
    const before = Date.now();
    const res = await get(`/jobs/${job.id}/outputs/${encodeURIComponent(name)}`, withCreds);
    expect(res.status).toBe(302);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const u = checkPresigned(res.headers.get("location")!, outputKey(job.id, name), before);
    expect(u.searchParams.get("X-Amz-Signature")).toBe(await expectedSignature(u, creds.R2_SECRET_ACCESS_KEY, "auto", "s3"));
  });

  it("hands out presigned links in the job view, expiring after SIGNED_URL_TTL_S", async () => {
    const before = Date.now();
    const res = await get(`/jobs/${job.id}`, withCreds);
    expect(res.status).toBe(200);
    const out = ((await res.json()) as typeof job).outputs[0]!;
    const u = checkPresigned(out.url, outputKey(job.id, out.name), before);
    expect(u.searchParams.get("X-Amz-Signature")).toBe(await expectedSignature(u, creds.R2_SECRET_ACCESS_KEY, "auto", "s3"));
    const expiresAt = Date.parse(out.urlExpiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 600_000 - 1000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 600_000);
  });

  it("keeps Worker-signed links when one of the four secrets is missing", async () => {
    const partial = { ...withCreds, R2_BUCKET_NAME: undefined } as unknown as typeof env;
    const res = await get(`/jobs/${job.id}/outputs/${encodeURIComponent(job.outputs[0]!.name)}`, partial);
    expect(res.status).toBe(302);
    expect(new URL(res.headers.get("location")!).pathname).toMatch(/^\/files\/outputs\//);
  });
});
