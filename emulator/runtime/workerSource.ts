/**
 * The worker's code, bundled once per process by esbuild from worker/main.ts into one CommonJS
 * script (bson included), so the same worker starts under node, tsx and jest alike: jest's
 * transform reaches only the main thread, and a worker started from a .ts file would need one.
 */
import { build } from "esbuild";
import { join } from "node:path";

let bundled: Promise<string> | undefined;

export function workerSource(): Promise<string> {
  bundled ??= build({
    entryPoints: [join(__dirname, "worker", "main.ts")],
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    write: false,
    logLevel: "silent",
  }).then((result) => result.outputFiles[0].text);
  return bundled;
}
