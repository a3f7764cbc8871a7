import { afterAll, beforeAll } from "vitest";
import { addHost, spawnFake, type Fake } from "./fake";
import { spawnReceiver, type Receiver } from "./receiver";

/**
 * One fake ComfyUI host (two slots, 5 ms steps, registered with the gateway) and one webhook
 * receiver for a test file: started before its tests, closed after them. Read them in tests, not
 * at import time (they exist once the file's first beforeAll ran).
 */
export function hostAndReceiver() {
  const world = {} as { fake: Fake; receiver: Receiver };
  beforeAll(async () => {
    [world.fake, world.receiver] = await Promise.all([spawnFake(["--step-ms", "5"]), spawnReceiver()]);
    await addHost(world.fake, 2);
  });
  afterAll(async () => {
    await Promise.all([world.fake?.close(), world.receiver?.close()]);
  });
  return world;
}
