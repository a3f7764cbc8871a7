import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  return {
    plugins: [
      cloudflareTest(({ inject }) => ({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            FAKE_LAUNCHER_URL: inject<string>("fakeLauncherUrl"),
            // Tests drive hosts through many ticks; a short tick keeps them quick without sleeping.
            HOST_TICK_MS: "250",
          },
        },
      })),
    ],
    test: {
      globalSetup: ["./test/global-setup.ts"],
      setupFiles: ["./test/apply-migrations.ts"],
      include: ["test/**/*.test.ts"],
      testTimeout: 60_000,
      hookTimeout: 60_000,
      // Two cores: two test files at a time.
      maxWorkers: 2,
      // The gateway logs a JSON line per event; show them only for tests that fail.
      silent: "passed-only",
      // .ci/run prints its closing counts from this file, the runner's own results.
      reporters: ["default", ["json", { outputFile: ".vitest-results.json" }]],
    },
  };
});
