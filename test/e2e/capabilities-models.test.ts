import { afterAll, describe, expect, it } from "vitest";
import { addHost, spawnFake, type Fake } from "../helpers/fake";
import { call, waitFor } from "../helpers/gateway";

const fakes: Fake[] = [];
afterAll(() => Promise.all(fakes.splice(0).map((f) => f.close())));

type Req = { method: string; path: string; status: number };

describe("GET /capabilities against ComfyUI 0.3.64's model folders", () => {
  it("asks GET /models for the folder list, then only folders that exist: no 404 for clip or unet", async () => {
    const f = await spawnFake();
    fakes.push(f);
    // 0.3.64 names them text_encoders and diffusion_models; clip and unet are not folders any more.
    await f.configure({ versionProfile: "0.3.64", models: { text_encoders: ["t5xxl.safetensors"], diffusion_models: ["flux1-dev.safetensors"] } });
    const host = await addHost(f, 1);
    const caps = await waitFor(async () => {
      const r = await call("GET", "/capabilities");
      const mine = r.json.hosts?.find((h: { host: string }) => h.host === host.name);
      return mine?.checkedAt ? r.json : undefined;
    });
    const mine = caps.hosts.find((h: { host: string }) => h.host === host.name);
    expect(mine.models).toMatchObject({ text_encoders: ["t5xxl.safetensors"], diffusion_models: ["flux1-dev.safetensors"], checkpoints: expect.arrayContaining(["sd15.safetensors"]) });
    expect(caps.models.text_encoders).toContain("t5xxl.safetensors");
    const modelRequests = ((await f.stats()).requests as Req[]).filter((r) => r.path.startsWith("/models"));
    expect(modelRequests.map((r) => r.path)).toContain("/models");
    expect(modelRequests.filter((r) => r.status !== 200)).toEqual([]);
    expect(modelRequests.map((r) => r.path)).not.toEqual(expect.arrayContaining(["/models/clip"]));
    expect(modelRequests.map((r) => r.path)).not.toEqual(expect.arrayContaining(["/models/unet"]));
  });
});
