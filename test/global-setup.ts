import type { TestProject } from "vitest/node";
import { startLauncher } from "./fakes/launcher";

/**
 * Tests inside workerd cannot start processes, so a small launcher on 127.0.0.1 does it for them:
 * each test asks for its own fake ComfyUI process (and may kill or restart it to inject faults).
 */
export default async function setup(project: TestProject) {
  const launcher = await startLauncher();
  project.provide("fakeLauncherUrl", launcher.url);
  return async () => {
    await launcher.close();
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    fakeLauncherUrl: string;
  }
}
