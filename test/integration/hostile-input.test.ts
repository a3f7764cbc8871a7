import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { CreateKey } from "../../src/schemas/key";
import { call, tinyGraph } from "../helpers/gateway";

const expect400 = (r: { status: number; json: any }, field: string) => {
  expect(r.status).toBe(400);
  expect(r.json).toMatchObject({ error: "VALIDATION_FAILED", message: expect.stringContaining(field) });
};

const count = async (table: string) => (await env.DB.prepare(`SELECT count(*) AS n FROM ${table}`).first<{ n: number }>())!.n;

const NUL = "a\u0000b";
const LONE = "a\ud800b";

describe("POST /hosts with a url that is not a URL", () => {
  it.each([
    { name: "empty", url: "" },
    { name: "NaN", url: "NaN" },
    { name: "a relative path", url: "../../x" },
    { name: "1 MB", url: `https://${"a".repeat(1024 * 1024)}.example` },
    { name: "a NUL", url: "https://x.example/\u0000" },
    { name: "a lone surrogate", url: "https://x.example/\ud800" },
  ])("answers 400 naming url for $name", async ({ url }) => {
    const before = await count("hosts");
    expect400(await call("POST", "/hosts", { name: `h-${crypto.randomUUID().slice(0, 8)}`, url }), "url");
    expect(await count("hosts")).toBe(before);
  });
});

describe("names with NUL or lone surrogates", () => {
  it.each([
    { name: "NUL", value: NUL },
    { name: "a lone surrogate", value: LONE },
  ])("are refused in workflow names ($name)", async ({ value }) => {
    const id = `wf-${crypto.randomUUID().slice(0, 8)}`;
    expect400(await call("PUT", `/workflows/${id}`, { id, name: value, graph: tinyGraph() }), "name");
    expect400(await call("PUT", `/workflows/${id}`, { id, name: "ok", description: value, graph: tinyGraph() }), "description");
    expect((await call("GET", `/workflows/${id}`)).status).toBe(404);
  });

  it.each([
    { name: "NUL", value: NUL },
    { name: "a lone surrogate", value: LONE },
  ])("are refused in job image names and metadata keys ($name)", async ({ value }) => {
    const before = await count("jobs");
    expect400(await call("POST", "/jobs", { workflow: tinyGraph(), images: [{ name: value, image: "aGVsbG8=" }] }), "images.0.name");
    expect400(await call("POST", "/jobs", { workflow: tinyGraph(), metadata: { [value]: 1 } }), "metadata");
    expect(await count("jobs")).toBe(before);
  });

  it.each([
    { name: "NUL", value: NUL },
    { name: "a lone surrogate", value: LONE },
  ])("are refused in upload names, JSON and raw ($name)", async ({ value }) => {
    const before = await count("uploads");
    const png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
    expect400(await call("POST", "/uploads", { name: value, image: png }), "name");
    const raw = Uint8Array.from(atob(png), (c) => c.charCodeAt(0));
    expect400(await call("POST", `/uploads?name=${encodeURIComponent(value.replace("\ud800", "\u0000"))}`, raw as unknown as string, { "content-type": "image/png" }), "name");
    expect(await count("uploads")).toBe(before);
  });

  it.each([
    { name: "NUL", value: NUL },
    { name: "a lone surrogate", value: LONE },
  ])("are refused in API key names ($name)", ({ value }) => {
    const r = CreateKey.safeParse({ name: value });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path).toEqual(["name"]);
  });

  it("still accepts ordinary non-ASCII names", async () => {
    expect(CreateKey.safeParse({ name: "Zoë's app 🎨" }).success).toBe(true);
    const id = `wf-${crypto.randomUUID().slice(0, 8)}`;
    expect((await call("PUT", `/workflows/${id}`, { id, name: "Ünïcode 🎨", graph: tinyGraph() })).status).toBeLessThan(300);
  });
});

describe("other URL fields with values that are not URLs", () => {
  it.each(["", "NaN", "../../x", "https://x.example/\u0000", "https://\ud800.example", `https://${"a".repeat(3000)}.example`])(
    "POST /jobs with callbackUrl %j answers 400, never 500",
    async (callbackUrl) => {
      const before = await count("jobs");
      const r = await call("POST", "/jobs", { workflow: tinyGraph(), callbackUrl });
      expect(r.status).toBe(400);
      expect(r.json).toMatchObject({ error: "VALIDATION_FAILED", details: { issues: [expect.objectContaining({ path: "callbackUrl" })] } });
      expect(await count("jobs")).toBe(before);
    },
  );

  it.each(["", "NaN", "../../x", "https://x.example/\u0000"])("an image URL %j answers 400, never 500", async (image) => {
    const r = await call("POST", "/jobs", { workflow: tinyGraph(), images: [{ name: "a.png", image }] });
    expect(r.status).toBe(400);
  });
});
