// `node --test test/fakes/comfyui/conformance.nodetest.mjs` (Node ≥ 22.18): replays the recorded
// ComfyUI transcripts against a freshly spawned fake. Named *.nodetest.mjs so vitest's default
// include pattern does not pick it up.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startFakeComfy } from "./index.ts";
import { CASES, DEFAULT_TRANSCRIPTS_DIR, assertTranscriptsDir } from "./conformance-cases.ts";

let fake;
before(async () => {
  // Without the transcripts every case would fail on a bare ENOENT; say what is missing instead.
  assertTranscriptsDir(DEFAULT_TRANSCRIPTS_DIR);
  fake = await startFakeComfy({ versionProfile: "0.3.64" });
});
after(async () => {
  await fake?.close();
});

for (const [name, run] of Object.entries(CASES)) {
  test(`transcript ${name}`, async () => {
    const r = await run(fake.url);
    assert.ok(r.ok, r.diffs.join("\n"));
  });
}
