import { describe, expect, it } from "vitest";
import { decryptSecret, encryptSecret } from "../../src/jobs/secret";
import { retentionCutoffMs } from "../../src/jobs/retention";
import { MODELS_TTL_MS, modelsStale } from "../../src/hosts/models";
import { inputType, parseImageField, rewriteReferences, sniffType, uploadName } from "../../src/storage/inputs";
import { inputsJsonSchema, inputsComponentName } from "../../src/workflows/json-schema";
import { TINY_PNG_BASE64 } from "../auth/route-table";

const png = Uint8Array.from(atob(TINY_PNG_BASE64), (c) => c.charCodeAt(0));

describe("input files: parsing the image field", () => {
  it.each([
    { raw: "https://cdn.example.com/cat.png", want: { kind: "url", url: "https://cdn.example.com/cat.png" } },
    { raw: "  http://127.0.0.1:9/x.png ", want: { kind: "url", url: "http://127.0.0.1:9/x.png" } },
  ])("takes $raw as a URL", ({ raw, want }) => {
    expect(parseImageField(raw)).toEqual(want);
  });

  it.each([
    { raw: TINY_PNG_BASE64, declared: null },
    { raw: `data:image/png;base64,${TINY_PNG_BASE64}`, declared: "image/png" },
    { raw: `data:;base64,${TINY_PNG_BASE64}`, declared: null },
    { raw: TINY_PNG_BASE64.replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, ""), declared: null },
    { raw: `${TINY_PNG_BASE64.slice(0, 20)}\n${TINY_PNG_BASE64.slice(20)}`, declared: null },
  ])("decodes base64 ($declared)", ({ raw, declared }) => {
    const r = parseImageField(raw);
    expect(r).toMatchObject({ kind: "bytes", declared });
    expect(r.kind === "bytes" && [...r.bytes]).toEqual([...png]);
  });

  it.each([
    { raw: "data:image/png,rawbytes", message: "a data: URI must be base64 (data:image/png;base64,…)" },
    { raw: "not base64 at all!", message: "must be an https URL, a data: URI or base64" },
    { raw: "ftp://example.com/x.png", message: "must be an https URL, a data: URI or base64" },
    { raw: "abcde", message: "is not valid base64" },
  ])("refuses $raw", ({ raw, message }) => {
    expect(() => parseImageField(raw)).toThrow(message);
  });
});

describe("input files: what the bytes are", () => {
  const bytes = (...b: number[]) => new Uint8Array([...b, ...new Array(16).fill(0)]);
  const ascii = (s: string) => new Uint8Array([...s].map((c) => c.charCodeAt(0)));
  it.each([
    { name: "png", b: png, want: "image/png" },
    { name: "jpeg", b: bytes(0xff, 0xd8, 0xff, 0xe0), want: "image/jpeg" },
    { name: "gif", b: ascii("GIF89a......"), want: "image/gif" },
    { name: "webp", b: ascii("RIFF\0\0\0\0WEBPVP8 "), want: "image/webp" },
    { name: "wav", b: ascii("RIFF\0\0\0\0WAVEfmt "), want: "audio/wav" },
    { name: "mp4", b: ascii("\0\0\0\x18ftypisom"), want: "video/mp4" },
    { name: "text", b: ascii("hello world, not an image"), want: null },
  ])("sniffs $name", ({ b, want }) => {
    expect(sniffType(b)).toBe(want);
  });

  it.each([
    { b: png, declared: "text/html", want: "image/png" },
    { b: new Uint8Array([1, 2, 3]), declared: "image/x-custom", want: "image/x-custom" },
    { b: new Uint8Array([1, 2, 3]), declared: "video/mp4; codecs=avc1", want: "video/mp4" },
    { b: new Uint8Array([1, 2, 3]), declared: "text/html", want: null },
    { b: new Uint8Array([1, 2, 3]), declared: "application/octet-stream", want: null },
    { b: new Uint8Array([1, 2, 3]), declared: null, want: null },
  ])("types bytes declared as $declared: $want", ({ b, declared, want }) => {
    expect(inputType(b, declared)).toBe(want);
  });
});

describe("input files: names that reach the host", () => {
  it.each([
    { name: "photo.png", want: "photo.png" },
    { name: "../../etc/passwd.png", want: "passwd.png" },
    { name: "..\\..\\windows\\x.png", want: "x.png" },
    { name: "/abs/path/a b (1).png", want: "a b (1).png" },
    { name: "..", want: "input.png" },
    { name: ".hidden.png", want: "hidden.png" },
    { name: "ünï$code;.png", want: "_n__code_.png" },
    { name: "C:evil.png", want: "C_evil.png" },
  ])("uploads $name as $want", ({ name, want }) => {
    expect(uploadName(name)).toBe(want);
  });

  it("rewrites every exact reference to an input's name, and nothing else", () => {
    const g = {
      "1": { class_type: "LoadImage", inputs: { image: "a.png" } },
      "2": { class_type: "LoadImage", inputs: { image: "a.png.bak", other: ["1", 0] } },
      "3": { class_type: "Note", inputs: { text: "a.png" } },
    };
    const out = rewriteReferences(g, "a.png", "a (1).png");
    expect(out["1"].inputs.image).toBe("a (1).png");
    expect(out["2"].inputs).toEqual({ image: "a.png.bak", other: ["1", 0] });
    expect(out["3"].inputs.text).toBe("a (1).png");
    expect(g["1"].inputs.image).toBe("a.png");
    expect(rewriteReferences(g, "a.png", "a.png")).toBe(g);
  });
});

describe("a job's Comfy.org key at rest", () => {
  const secret = "s".repeat(32);
  it("round-trips, and never contains the key in clear", async () => {
    const sealed = await encryptSecret(secret, "job-1", "comfyui-abc123");
    expect(sealed).toMatch(/^v1\./);
    expect(sealed).not.toContain("comfyui-abc123");
    expect(await decryptSecret(secret, "job-1", sealed)).toBe("comfyui-abc123");
  });

  it.each([
    { name: "another job's row", secret, job: "job-2" },
    { name: "another deployment's key", secret: "t".repeat(32), job: "job-1" },
  ])("does not open under $name", async ({ secret: s, job }) => {
    const sealed = await encryptSecret(secret, "job-1", "comfyui-abc123");
    expect(await decryptSecret(s, job, sealed)).toBeNull();
  });

  it.each(["", "v2.a.b", "v1..", "v1.AAAA.BBBB"])("refuses the malformed value %j", async (v) => {
    expect(await decryptSecret(secret, "job-1", v)).toBeNull();
  });
});

describe("a workflow's inputs as OpenAPI", () => {
  it("states types, bounds (deployment limits resolved), enums, defaults and required inputs", () => {
    const schema = inputsJsonSchema(
      {
        prompt: { type: "string", target: "6.inputs.text", required: true, maxLength: 100 },
        width: { type: "int", target: "5.inputs.width", required: false, default: 512, min: 64, max: "MAX_IMAGE_SIZE", step: 8 },
        batch: { type: "int", target: "5.inputs.batch_size", required: false, max: "MAX_BATCH_SIZE", step: 1 },
        sampler: { type: "string", target: "3.inputs.sampler_name", required: false, enum: ["euler"], default: "euler" },
        image: { type: "image", target: "10.inputs.image", required: true },
        cfg: { type: "float", target: "3.inputs.cfg", required: false },
      },
      { maxImageSize: 2048, maxBatchSize: 8 },
    );
    expect(schema).toEqual({
      type: "object",
      additionalProperties: false,
      required: ["prompt", "image"],
      properties: {
        prompt: { type: "string", maxLength: 100 },
        width: { type: "integer", default: 512, minimum: 64, maximum: 2048, "x-step": 8 },
        batch: { type: "integer", maximum: 8, multipleOf: 1 },
        sampler: { type: "string", enum: ["euler"], default: "euler" },
        image: { type: "string", description: "The name of one of the job's images" },
        cfg: { type: "number" },
      },
    });
  });

  it.each([
    ["sdxl", "Workflow_sdxl_Inputs"],
    ["team:a/b", "Workflow_team_a_b_Inputs"],
  ])("names the component of %s %s", (id, want) => {
    expect(inputsComponentName(id)).toBe(want);
  });
});

describe("retention", () => {
  it.each([
    { days: 30, now: 100 * 86_400_000, want: 70 * 86_400_000 },
    { days: 0.5, now: 86_400_000, want: 43_200_000 },
    { days: 0, now: 86_400_000, want: null },
  ])("OUTPUT_RETENTION_DAYS=$days keeps jobs that ended after $want", ({ days, now, want }) => {
    expect(retentionCutoffMs(days, now)).toBe(want);
  });
});

describe("host model lists", () => {
  it.each([
    { modelsAtMs: null, now: 0, stale: true },
    { modelsAtMs: 1_000, now: 1_000 + MODELS_TTL_MS - 1, stale: false },
    { modelsAtMs: 1_000, now: 1_000 + MODELS_TTL_MS, stale: true },
  ])("a list fetched at $modelsAtMs is stale at $now: $stale", ({ modelsAtMs, now, stale }) => {
    expect(modelsStale({ modelsAtMs }, now)).toBe(stale);
  });
});
