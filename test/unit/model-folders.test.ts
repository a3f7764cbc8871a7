import { describe, expect, it } from "vitest";
import { foldersToRead, MODEL_FOLDERS } from "../../src/hosts/models";

describe("foldersToRead", () => {
  it("reads only the reported folders the host has, old or new names", () => {
    expect(foldersToRead(["checkpoints", "text_encoders", "diffusion_models", "embeddings"])).toEqual(["checkpoints", "diffusion_models", "text_encoders"]);
    expect(foldersToRead(["checkpoints", "clip", "unet"])).toEqual(["checkpoints", "unet", "clip"]);
  });

  it("reads every reported folder when the host cannot list them", () => {
    expect(foldersToRead(null)).toEqual([...MODEL_FOLDERS]);
  });
});
