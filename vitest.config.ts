import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig, type ViteUserConfig } from "vitest/config";
import { closedBindings } from "./test/auth/closed-config";
import { webhookBindings } from "./test/helpers/webhook-config";

/**
 * Three projects, one run: "open" is everything as it always was (no credential configured: open
 * mode); "closed" runs test/auth/** with API keys, JWT and low limits configured, since bindings
 * are fixed per project; "browser" drives the /admin console in headless Chromium from Node
 * (test/browser/harness.ts). `npm test` runs all three; the JSON report below holds them all.
 */
export default defineConfig(async (): Promise<ViteUserConfig> => {
  const migrations = await readD1Migrations("./migrations");
  const shared = {
    globalSetup: ["./test/global-setup.ts"],
    setupFiles: ["./test/apply-migrations.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  };
  const worker = (extra: (launcherUrl: string) => Record<string, string>) =>
    cloudflareTest(({ inject }) => ({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          TEST_MIGRATIONS: migrations,
          FAKE_LAUNCHER_URL: inject<string>("fakeLauncherUrl"),
          // Tests drive hosts through many ticks; a short tick keeps them quick without sleeping.
          HOST_TICK_MS: "250",
          ...webhookBindings,
          ...extra(inject<string>("fakeLauncherUrl")),
        },
      },
    }));
  // RunPod's SDK over real HTTP (test/node/runpod): plain Node, no workers pool; the test starts
  // its own `wrangler dev` and fake ComfyUI. Its own entry, so other Node projects merge beside it.
  // After the workerd projects (groupOrder 1): the Node projects start wrangler dev, fakes and a
  // browser of their own, which on 2 cores would otherwise starve the timing-sensitive fault tests.
  const afterWorkerd = { groupOrder: 1 };
  const runpodOverHttp = { test: { name: "node-runpod", include: ["test/node/runpod/**/*.test.ts"], environment: "node", testTimeout: 120_000, hookTimeout: 180_000, sequence: afterWorkerd } };
  return {
    test: {
      projects: [
        { plugins: [worker(() => ({}))], test: { ...shared, name: "open", include: ["test/**/*.test.ts"], exclude: ["test/auth/**", "test/node/**", "test/browser/**"] } },
        { plugins: [worker(closedBindings)], test: { ...shared, name: "closed", include: ["test/auth/**/*.test.ts"] } },
        runpodOverHttp,
        // The console in headless Chromium: Node, not workerd (it starts wrangler dev, fakes and a browser itself).
        // expect.poll waits up to 10 s by default here (vitest's 1 s is short for a page polling every 1–2 s on a busy machine).
        { test: { name: "browser", environment: "node", include: ["test/browser/**/*.test.ts"], testTimeout: 90_000, hookTimeout: 120_000, expect: { poll: { timeout: 10_000, interval: 100 } }, sequence: afterWorkerd } },
      ],
      // Two cores: two test files at a time.
      maxWorkers: 2,
      // The gateway logs a JSON line per event; show them only for tests that fail.
      silent: "passed-only",
      // .ci/run prints its closing counts from this file, the runner's own results.
      reporters: ["default", ["json", { outputFile: ".vitest-results.json" }]],
    },
  };
});
