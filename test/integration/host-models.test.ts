import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { writeHostModels } from "../../src/hosts/models";

const keys = async (hostId: string) =>
  (await env.DB.prepare("SELECT key FROM host_models WHERE host_id = ? ORDER BY key").bind(hostId).all<{ key: string }>()).results.map((r) => r.key);

describe("a host's model lists as placement reads them (host_models)", () => {
  it("stores one key per file under the current folder names, replaces them on the next read, and goes with the host", async () => {
    const id = crypto.randomUUID();
    await env.DB.prepare("INSERT INTO hosts (id, name, url, slots, created_at_ms) VALUES (?, ?, 'http://127.0.0.1:9', 1, 0)").bind(id, `h-${id.slice(0, 8)}`).run();
    await writeHostModels(env.DB, id, { unet: ["flux1-dev.safetensors"], diffusion_models: ["flux1-dev.safetensors"], clip: ["clip_l.safetensors"], checkpoints: ["sd15.safetensors", "sdxl/juggernaut.safetensors"] }, 5);
    expect(await keys(id)).toEqual(["checkpoints/sd15.safetensors", "checkpoints/sdxl/juggernaut.safetensors", "diffusion_models/flux1-dev.safetensors", "text_encoders/clip_l.safetensors"]);
    expect(await env.DB.prepare("SELECT models_at_ms FROM hosts WHERE id = ?").bind(id).first("models_at_ms")).toBe(5);

    await writeHostModels(env.DB, id, { checkpoints: ["sd15.safetensors"] }, 6);
    expect(await keys(id)).toEqual(["checkpoints/sd15.safetensors"]);

    await env.DB.prepare("DELETE FROM hosts WHERE id = ?").bind(id).run();
    expect(await keys(id)).toEqual([]);
  });

  it("writes nothing for a host that is gone (a read that finished after DELETE /hosts)", async () => {
    const id = crypto.randomUUID();
    await writeHostModels(env.DB, id, { checkpoints: ["sd15.safetensors"] }, 1);
    expect(await keys(id)).toEqual([]);
  });
});
