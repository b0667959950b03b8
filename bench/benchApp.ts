/**
 * The app directory the benchmark and the load test run: this project built once with build/build.ts
 * into a temp dir, optionally copied with bench-only extra functions added (MongoDB's documented
 * example, the one-step-after-another variant, and a function that does nothing).
 */
import { checkCompatibility } from "../build/compat";
import { formatViolations, locateInFile } from "../build/sourceLocation";
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROJECT_ROOT, buildApp, type BuildResult } from "../build/build";
import type { FunctionConfig } from "../emulator/runtime/types";

export const BENCH_DIR = __dirname;

/** Names of the bench-only functions in the extended app directory. */
export const EXTRA_FUNCTIONS = {
  mongodbExample: "mongodbExample",
  sequentialDelete: "sequentialDelete",
  noop: "noop",
} as const;

export interface BenchApp {
  /** The app directory to start the emulator on (the built one, or its copy with the extras). */
  appDir: string;
  /** The build of this project's functions (the first build in this process: a cold one). */
  build: BuildResult;
  /** Wall time of that build measured around the call, in ms (includes starting esbuild). */
  buildWallMs: number;
  /** Byte sizes of the extra function files, when added. */
  extras: Record<string, number>;
  /** Removes the temp directories. */
  dispose(): void;
}

export async function prepareBenchApp(options: { extras?: boolean } = {}): Promise<BenchApp> {
  const root = mkdtempSync(join(tmpdir(), "bench-app-"));
  const dispose = () => rmSync(root, { recursive: true, force: true });
  try {
    const started = performance.now();
    const build = await buildApp({ outDir: join(root, "built") });
    const buildWallMs = performance.now() - started;
    if (!options.extras) return { appDir: build.outDir, build, buildWallMs, extras: {}, dispose };

    const appDir = join(root, "app");
    cpSync(build.outDir, appDir, { recursive: true });
    const sequentialFile = await buildSequentialDelete(join(root, "sequential"));
    const extras: Array<{ config: FunctionConfig; write: (file: string) => void }> = [
      {
        // The docs' function uses Application Authentication (not run as system).
        config: { name: EXTRA_FUNCTIONS.mongodbExample, private: false, run_as_system: false, disable_arg_logs: false },
        write: (file) => copyFileSync(join(BENCH_DIR, "mongodbExampleFunction.js"), file),
      },
      {
        config: { name: EXTRA_FUNCTIONS.sequentialDelete, private: false, run_as_system: true, disable_arg_logs: false },
        write: (file) => copyFileSync(sequentialFile, file),
      },
      {
        config: { name: EXTRA_FUNCTIONS.noop, private: false, run_as_system: false, disable_arg_logs: false },
        write: (file) => writeFileSync(file, "exports = async function () { return null; };\n"),
      },
    ];
    const configFile = join(appDir, "functions", "config.json");
    const configs = JSON.parse(readFileSync(configFile, "utf8")) as FunctionConfig[];
    const sizes: Record<string, number> = {};
    for (const extra of extras) {
      const file = join(appDir, "functions", `${extra.config.name}.js`);
      extra.write(file);
      // Hand-written files get the runtime check the build gives the bundle's own.
      const violations = checkCompatibility(readFileSync(file, "utf8")).map(locateInFile(file));
      if (violations.length > 0) throw new Error(`bench function ${extra.config.name}:\n${formatViolations([{ functionName: extra.config.name, violations }])}`);
      sizes[extra.config.name] = readFileSync(file).length;
      configs.push(extra.config);
    }
    writeFileSync(configFile, `${JSON.stringify(configs, null, 2)}\n`);
    return { appDir, build, buildWallMs, extras: sizes, dispose };
  } catch (error) {
    dispose();
    throw error;
  }
}

/**
 * Bundles bench/sequentialDeleteFunction.ts with buildApp itself (same esbuild options, runtime
 * compatibility check and meta validation as the real functions): a throwaway project whose one
 * function source re-exports it. Returns the built file.
 */
async function buildSequentialDelete(dir: string): Promise<string> {
  const project = join(dir, "project");
  mkdirSync(join(project, "functions"), { recursive: true });
  copyFileSync(join(PROJECT_ROOT, "secrets.example.json"), join(project, "secrets.example.json"));
  copyFileSync(join(PROJECT_ROOT, "root_config.json"), join(project, "root_config.json"));
  const source = JSON.stringify(join(BENCH_DIR, "sequentialDeleteFunction.ts"));
  writeFileSync(join(project, "functions", `${EXTRA_FUNCTIONS.sequentialDelete}.ts`), `export { default, meta } from ${source};\n`);
  const result = await buildApp({ projectDir: project, outDir: join(dir, "app") });
  return result.functions[0].file;
}
