import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { outputKey } from "../../src/storage/keys";
import { addHost, spawnFake, type Fake } from "../helpers/fake";
import { call, waitForTerminal } from "../helpers/gateway";
import { sha256Stream } from "../helpers/hash";

let fake: Fake;
beforeAll(async () => {
  fake = await spawnFake(["--step-ms", "5"]);
  await addHost(fake, 2);
});
afterAll(() => fake?.close());

describe("an output /view sends without Content-Length (through a tunnel)", () => {
  it("goes into R2 as a multipart upload whose bytes are exactly the file's", async () => {
    await fake.faults({ viewChunked: true });
    // Two full 10 MiB parts and a short last one; the fake's blob words hold their offsets, so a
    // dropped, repeated or misordered part changes the hash.
    const size = 2 * 10 * 1024 * 1024 + 3 * 1024 * 1024 + 7;
    const workflow = { "1": { class_type: "FakeOutput", inputs: { kind: "video", bytes: size, filename_prefix: "tunnel" } } };
    const submitted = await call("POST", "/jobs", { workflow });
    expect(submitted.status).toBe(202);
    const job = await waitForTerminal(submitted.json.id, 120_000);
    expect(job).toMatchObject({ status: "succeeded" });
    const out = job.outputs[0];
    expect(out).toMatchObject({ kind: "video", contentType: "video/mp4", bytes: size });

    const obj = await env.OUTPUTS.get(outputKey(job.id, out.name));
    expect(obj).not.toBeNull();
    expect(obj!.size).toBe(size);
    // A multipart object's ETag ends in -<parts>: this copy went the unknown-length way, in 3 parts.
    expect(obj!.etag).toMatch(/-3$/);
    expect(obj!.httpMetadata?.contentType).toBe("video/mp4");
    const theirs = (await fake.fileSha256("output", out.name)) as { sha256: string; size: number };
    expect(theirs.size).toBe(size);
    expect(await sha256Stream(obj!.body)).toBe(theirs.sha256);
  }, 180_000);
});
