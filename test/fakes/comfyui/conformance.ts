// `node test/fakes/comfyui/conformance.ts [baseUrl] [case…]`: replays the transcripts against a
// fake (a fresh one is spawned when no URL is given) and prints the differences.
import { CASES, runAll } from "./conformance-cases.ts";
import type { CaseResult } from "./conformance-cases.ts";
import { startFakeComfy } from "./index.ts";

const args = process.argv.slice(2);
const url = args[0]?.startsWith("http") ? args.shift() : undefined;
const fake = url ? null : await startFakeComfy({ versionProfile: "0.3.64" });
const base = url ?? fake!.url;
let results: CaseResult[];
if (args.length) {
  results = [];
  for (const name of args) results.push(await CASES[name](base));
} else results = await runAll(base);
for (const r of results) {
  console.log(`${r.ok ? "ok  " : "FAIL"} ${r.name}`);
  for (const d of r.diffs) console.log("     " + d.replaceAll("\n", "\n     "));
}
await fake?.close();
process.exitCode = results.every((r) => r.ok) ? 0 : 1;
