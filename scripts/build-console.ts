// Builds the admin console (console/*.ts → one ES module) into dist/console/admin/ and puts the
// API reference's script into dist/console/docs/: the Workers
// static assets folder ([assets] in wrangler.toml). wrangler runs it before `dev` and `deploy`
// ([build] in wrangler.toml); the test setup runs it too. One esbuild call, a few milliseconds.
import { build } from "esbuild";
import { copyFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const CONSOLE_OUT = path.join(root, "dist", "console", "admin");
const DOCS_OUT = path.join(root, "dist", "console", "docs");

export async function buildConsole() {
  mkdirSync(CONSOLE_OUT, { recursive: true });
  await build({
    entryPoints: [path.join(root, "console", "main.ts")],
    outfile: path.join(CONSOLE_OUT, "console.js"),
    bundle: true,
    format: "esm",
    target: "es2022",
    minify: true,
    sourcemap: false,
    logLevel: "warning",
  });
  copyFileSync(path.join(root, "console", "console.css"), path.join(CONSOLE_OUT, "console.css"));
  // The API reference page (/docs) loads Scalar from the gateway itself, not a CDN: it works offline
  // and its Content-Security-Policy names no third party.
  mkdirSync(DOCS_OUT, { recursive: true });
  copyFileSync(path.join(root, "node_modules", "@scalar", "api-reference", "dist", "browser", "standalone.js"), path.join(DOCS_OUT, "scalar.js"));
}

if (import.meta.url === `file://${process.argv[1]}`) await buildConsole();
