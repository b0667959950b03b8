/**
 * Turns functions/*.ts into an App Services app directory (dist/app) that `appservices push`
 * accepts: one self-contained function file per source, functions/config.json from the metadata
 * each source declares, values, scheduled triggers. Fails with a message naming the file at fault.
 */
import { Cron } from "croner";
import { build as esbuild, type Metafile } from "esbuild";
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import vm from "node:vm";
import type { FunctionMeta } from "../lib/functionMeta";
import { checkCompatibility } from "./compat";
import { EnvFileError, FLOWERBASE_ENV_FILE, formatFlowerbaseEnv, type EnvValue } from "./flowerbaseEnv";
import { EXAMPLE_FILE, readSecretsExample } from "./secretsFile";
import { BundleSourceMap, formatViolations, type LocatedViolation } from "./sourceLocation";

export const PROJECT_ROOT = join(__dirname, "..");

/** A private global name for the bundle's module object; the footer forwards `exports` to it. */
const BUNDLE_GLOBAL = "__deleteUserBundle";
/** esbuild's name for the same object, local to the closure that keeps "use strict" in. */
const MODULE_LOCAL = "__deleteUserBundleModule";
const TARGET = "es2017";
/** Everything the build writes at the top of its output folder; anything else there is not ours. */
const BUILD_WRITES = ["root_config.json", "functions", "values", "triggers", FLOWERBASE_ENV_FILE];
/** How every built function file starts; it marks a folder the build may replace. */
const BANNER = "// App Services function";

export class BuildError extends Error {
  override name = "BuildError";
}

export interface BuiltFunction {
  name: string;
  file: string;
  bytes: number;
  meta: FunctionMeta;
}

export interface BuildResult {
  outDir: string;
  functions: BuiltFunction[];
  values: string[];
  triggers: string[];
  milliseconds: number;
}

export interface BuildOptions {
  /** Where to write the app directory; default dist/app. It is replaced whole. */
  outDir?: string;
  /** The project to build; default this one. Tests point it at fixture projects. */
  projectDir?: string;
}

export async function buildApp(options: BuildOptions = {}): Promise<BuildResult> {
  const started = performance.now();
  const projectDir = options.projectDir ?? PROJECT_ROOT;
  const outDir = options.outDir ?? join(projectDir, "dist", "app");
  const names = listFunctionSources(join(projectDir, "functions"));
  if (names.length === 0) throw new BuildError(`No function sources found in ${join(projectDir, "functions")}: add one TypeScript file per function.`);

  const bundled = await Promise.all(names.map((name) => bundleFunction(projectDir, name)));
  assertCompatible(bundled);
  const bundles = bundled.map(({ name, label, code }) => ({ name, code, meta: readMeta(label, code) }));
  const secretNames = readSecretNames(projectDir);
  const values = readValues(projectDir, secretNames);
  const rootConfig = readJson(join(projectDir, "root_config.json"));
  // Everything that can fail is computed before the old output is removed, so a failed build leaves it whole.
  const envText = flowerbaseEnv(values);

  assertReplaceable(outDir);
  rmSync(outDir, { recursive: true, force: true });
  writeJson(join(outDir, "root_config.json"), rootConfig);
  writeJson(
    join(outDir, "functions", "config.json"),
    bundles.map(({ name, meta }) => ({ name, private: meta.private, run_as_system: meta.runAsSystem, disable_arg_logs: meta.disableArgLogs })),
  );
  for (const bundle of bundles) writeText(join(outDir, "functions", `${bundle.name}.js`), bundle.code);
  for (const value of values) writeJson(join(outDir, "values", `${value.name}.json`), value);
  writeText(join(outDir, FLOWERBASE_ENV_FILE), envText);
  const triggers = bundles.filter((b) => b.meta.schedule);
  for (const { name, meta } of triggers) {
    writeJson(join(outDir, "triggers", `${name}.json`), scheduledTrigger(name, meta.schedule as string));
  }
  return {
    outDir,
    functions: bundles.map(({ name, code, meta }) => ({ name, file: join(outDir, "functions", `${name}.js`), bytes: Buffer.byteLength(code), meta })),
    values: values.map((v) => v.name),
    triggers: triggers.map((t) => t.name),
    milliseconds: performance.now() - started,
  };
}

/**
 * The output folder is replaced whole, so it must be empty or a previous build: every function
 * file in it ours. An app directory (`--out` typed for `--into`) is refused, never wiped.
 */
function assertReplaceable(outDir: string): void {
  if (!existsSync(outDir) || readdirSync(outDir).length === 0) return;
  // An app directory whose only functions are the bundle's (installed with --into) passes the
  // banner check below, so anything at the top level the build does not write refuses it too.
  const foreign = readdirSync(outDir).filter((entry) => !BUILD_WRITES.includes(entry));
  if (foreign.length > 0) {
    throw new BuildError(
      `${outDir} is not empty and is not an earlier build, so it is not replaced: it holds ${foreign.map((e) => JSON.stringify(e)).join(", ")}, which no build writes. Choose another --out, or use --into to install into an app directory.`,
    );
  }
  const functionsDir = join(outDir, "functions");
  const files = existsSync(functionsDir) ? readdirSync(functionsDir, { recursive: true }).map(String).filter((f) => f.endsWith(".js")) : [];
  const ours = files.length > 0 && files.every((f) => readFileSync(join(functionsDir, f), "utf8").startsWith(BANNER));
  if (!ours) {
    throw new BuildError(`${outDir} is not empty and is not an earlier build, so it is not replaced: choose another --out, or use --into to install into an app directory.`);
  }
}

/** Function names from functions/**.ts; a nested file utils/add.ts is the function "utils/add". */
function listFunctionSources(dir: string, prefix = ""): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      if (entry.isDirectory()) return listFunctionSources(join(dir, entry.name), `${prefix}${entry.name}/`);
      if (entry.isFile() && entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) return [`${prefix}${entry.name.slice(0, -3)}`];
      return [];
    })
    .sort();
}

/**
 * A scheduled trigger in the form App Services exports (docs-app-services
 * source/reference/config/triggers.txt, "General Configuration": `event_processors.FUNCTION`);
 * Flowerbase reads the function name only from there.
 */
function scheduledTrigger(name: string, schedule: string) {
  return {
    name,
    type: "SCHEDULED",
    disabled: false,
    config: { schedule },
    event_processors: { FUNCTION: { config: { function_name: name } } },
  };
}

interface Bundle {
  name: string;
  /** `functions/<name>.ts`, relative to the project. */
  label: string;
  code: string;
  sourceMap: BundleSourceMap;
}

/**
 * The file is one sloppy script: a closure that holds esbuild's output, which starts with the
 * "use strict" esbuild emits for strict sources (esbuild always puts it first, so the banner
 * opens the closure), then the bare `exports` assignment outside it. That works whether the
 * platform supplies `exports` as a wrapper parameter or as a sloppy script variable, where a
 * top-level "use strict" would make the assignment a ReferenceError.
 */
function wrapper(name: string, label: string): { banner: string; footer: string } {
  return {
    banner: [
      `${BANNER} "${name}", built from ${label} by app-services-delete-user. Do not edit: rebuild.`,
      `var ${BUNDLE_GLOBAL} = (function () {`,
    ].join("\n"),
    // App Services calls the bare `exports`; it has no `module`, so the entry's default export is forwarded.
    footer: [
      `return ${MODULE_LOCAL};`,
      "})();",
      `exports = async function (...args) {\n  return ${BUNDLE_GLOBAL}.default.apply(this, args);\n};`,
    ].join("\n"),
  };
}

async function bundleFunction(projectDir: string, name: string): Promise<Bundle> {
  const source = join(projectDir, "functions", `${name}.ts`);
  const label = relative(projectDir, source).split(sep).join("/");
  // Never written (write: false): it only anchors the map's relative source paths.
  const outfile = join(projectDir, "functions", `${name}.js`);
  const { banner, footer } = wrapper(name, label);
  let result;
  try {
    result = await esbuild({
      entryPoints: [source],
      outfile,
      bundle: true,
      write: false,
      metafile: true,
      sourcemap: "external",
      sourcesContent: false,
      format: "iife",
      globalName: MODULE_LOCAL,
      platform: "neutral",
      target: TARGET,
      minify: false,
      legalComments: "none",
      logLevel: "silent",
      banner: { js: banner },
      footer: { js: footer },
    });
  } catch (error) {
    const errors = (error as { errors?: Array<{ text: string; location?: { file: string; line: number } | null }> }).errors ?? [];
    const detail = errors.map((e) => (e.location ? `${e.location.file}:${e.location.line}: ${e.text}` : e.text)).join("; ");
    throw new BuildError(`${label}: esbuild failed: ${detail || (error as Error).message}`);
  }
  assertSelfContained(label, result.metafile);
  const output = (suffix: string) => result.outputFiles.find((f) => f.path.endsWith(suffix))?.text ?? "";
  const sourceMap = new BundleSourceMap(output(".js.map"), `${outfile}.map`, projectDir, label);
  return { name, label, code: output(".js"), sourceMap };
}

/** Every violation in every function, at the TypeScript line that caused it, in one error. */
function assertCompatible(bundles: Bundle[]): void {
  const found = bundles
    .map(({ name, code, sourceMap }) => ({ functionName: name, violations: checkCompatibility(code).map((v): LocatedViolation => sourceMap.locate(v)) }))
    .filter((f) => f.violations.length > 0);
  if (found.length === 0) return;
  const names = found.map((f) => f.functionName).join(", ");
  throw new BuildError(`${names} ${found.length > 1 ? "build" : "builds"} into code the App Services runtime rejects:\n${formatViolations(found)}`);
}

/** A function file cannot load packages at run time: nothing from node_modules may be bundled. */
function assertSelfContained(label: string, metafile: Metafile): void {
  const packaged = Object.keys(metafile.inputs).filter((input) => input.includes("node_modules"));
  if (packaged.length > 0) {
    throw new BuildError(
      `${label} bundles code from node_modules (${packaged.slice(0, 3).join(", ")}): use the runtime's globals (BSON, EJSON) and \`import type\` instead.`,
    );
  }
}

/**
 * Loads the built file the way App Services does (a script with a bare `exports`, no module or
 * require) and reads the entry's default export and `meta` from the bundle's module object.
 */
function readMeta(label: string, code: string): FunctionMeta {
  const sandbox: Record<string, unknown> = { exports: undefined };
  try {
    vm.runInNewContext(code, vm.createContext(sandbox), { filename: label, timeout: 1000 });
  } catch (error) {
    throw new BuildError(`${label}: the built file fails when loaded: ${(error as Error).message}`);
  }
  const mod = sandbox[BUNDLE_GLOBAL] as { default?: unknown; meta?: unknown } | undefined;
  if (typeof mod?.default !== "function") {
    throw new BuildError(`${label} has no default export: write \`export default async function ${label.replace(/^.*\/|\.ts$/g, "")}(...) {}\`.`);
  }
  return validateMeta(label, mod.meta);
}

/** The FunctionMeta flags every function must set; `schedule` is the one optional key. */
const REQUIRED_META_KEYS = ["private", "runAsSystem", "disableArgLogs"];

function validateMeta(label: string, meta: unknown): FunctionMeta {
  const fix = `export \`meta = defineFunction({ private, runAsSystem, disableArgLogs, schedule? })\` from lib/functionMeta.`;
  if (typeof meta !== "object" || meta === null) throw new BuildError(`${label} exports no metadata: ${fix}`);
  const m = meta as Record<string, unknown>;
  for (const key of REQUIRED_META_KEYS) {
    if (typeof m[key] !== "boolean") throw new BuildError(`${label}: meta.${key} must be true or false, got ${JSON.stringify(m[key])}. ${fix}`);
  }
  const unknownKeys = Object.keys(m).filter((k) => !REQUIRED_META_KEYS.includes(k) && k !== "schedule");
  if (unknownKeys.length > 0) throw new BuildError(`${label}: unknown meta key(s) ${unknownKeys.join(", ")}. ${fix}`);
  if (m.schedule !== undefined) {
    const problem = cronProblem(m.schedule);
    if (problem) throw new BuildError(`${label}: meta.schedule must be a 5-field cron expression such as "0 3 * * *", got ${JSON.stringify(m.schedule)}: ${problem}`);
  }
  return m as unknown as FunctionMeta;
}

/** App Services schedules take standard 5-field cron (minute hour day month weekday), in UTC. */
function cronProblem(schedule: unknown): string | undefined {
  if (typeof schedule !== "string" || schedule.trim().split(/\s+/).length !== 5) return "it needs exactly five fields";
  try {
    new Cron(schedule, { paused: true, timezone: "UTC" }).stop();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** The same values for Flowerbase (build/flowerbaseEnv.ts); a value that cannot be a variable is a build error. */
function flowerbaseEnv(values: ValueFile[]): string {
  try {
    return formatFlowerbaseEnv(values);
  } catch (error) {
    if (error instanceof EnvFileError) throw new BuildError(error.message);
    throw error;
  }
}

function readSecretNames(projectDir: string): Set<string> {
  return new Set(Object.keys(readSecretsExample(join(projectDir, EXAMPLE_FILE), (message) => new BuildError(message))));
}

/** A values/<name>.json file, the shape flowerbase.env is written from. */
type ValueFile = EnvValue;

function readValues(projectDir: string, secretNames: Set<string>): ValueFile[] {
  const dir = join(projectDir, "values");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((file) => {
      const label = `values/${file}`;
      const value = readJson(join(dir, file)) as Partial<ValueFile>;
      const expected = file.slice(0, -5);
      if (typeof value !== "object" || value === null || value.name !== expected) {
        throw new BuildError(`${label}: "name" must be "${expected}", the file's name.`);
      }
      if (!("value" in value)) throw new BuildError(`${label}: "value" is missing.`);
      const fromSecret = value.from_secret ?? false;
      if (typeof fromSecret !== "boolean") throw new BuildError(`${label}: "from_secret" must be true or false.`);
      if (fromSecret && (typeof value.value !== "string" || !secretNames.has(value.value))) {
        throw new BuildError(
          `${label} reads the secret ${JSON.stringify(value.value)}, which secrets.example.json does not list: add "${String(value.value)}" there so deploys create it.`,
        );
      }
      return { name: expected, value: value.value, from_secret: fromSecret };
    });
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new BuildError(`${file} is missing.`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new BuildError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
}

function writeText(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

function writeJson(file: string, data: unknown): void {
  writeText(file, `${JSON.stringify(data, null, 2)}\n`);
}
