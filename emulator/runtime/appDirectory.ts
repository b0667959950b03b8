/**
 * Reads a built App Services app directory the way App Services does: functions/config.json,
 * the function files, values (resolving from_secret against the given secrets) and triggers.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { EnvFileError, FLOWERBASE_ENV_FILE, environmentString, parseFlowerbaseEnv } from "../../build/flowerbaseEnv";
import { triggerFunctionNames } from "../../build/triggerFunction";
import type { FunctionConfig, Platform } from "./types";

export interface TriggerDefinition {
  name: string;
  function_name: string;
  schedule: string;
  disabled: boolean;
}

export interface LoadedApp {
  dir: string;
  name: string;
  functions: Map<string, { config: FunctionConfig; source: string }>;
  values: Record<string, unknown>;
  triggers: TriggerDefinition[];
  /** The linked data sources' names (the app directory's data_sources/<name>/), served besides "mongodb-atlas". */
  dataSources?: string[];
}

export class AppDirectoryError extends Error {
  override name = "AppDirectoryError";
}

export interface LoadOptions {
  /** Secret name → value, for values with from_secret: true. */
  secrets: Record<string, string>;
  /** Applied after secrets: value name → value. */
  valueOverrides?: Record<string, unknown>;
  /**
   * "flowerbase": values are the environment strings of the built flowerbase.env (Flowerbase never
   * reads values/ or secrets), and overrides become strings too (JSON for anything else).
   */
  platform?: Platform;
}

export function loadAppDirectory(dir: string, options: LoadOptions): LoadedApp {
  if (!existsSync(join(dir, "functions", "config.json"))) {
    throw new AppDirectoryError(`${dir} is not a built app directory (no functions/config.json): run \`npm run build\` first.`);
  }
  const root = readJson(join(dir, "root_config.json"), { name: "app" }) as { name?: string };
  const configs = readJson(join(dir, "functions", "config.json"), []) as FunctionConfig[];
  if (!Array.isArray(configs)) throw new AppDirectoryError(`${dir}/functions/config.json must be a JSON array.`);
  const functions = new Map<string, { config: FunctionConfig; source: string }>();
  for (const config of configs) {
    const file = join(dir, "functions", `${config.name}.js`);
    if (!existsSync(file)) throw new AppDirectoryError(`functions/config.json lists "${config.name}" but ${file} is missing.`);
    functions.set(config.name, { config, source: readFileSync(file, "utf8") });
  }
  return {
    dir,
    name: root.name ?? "app",
    functions,
    values: options.platform === "flowerbase" ? environmentValues(dir, options.valueOverrides) : { ...readValues(dir, options.secrets), ...options.valueOverrides },
    triggers: readTriggers(dir),
    dataSources: readDataSourceNames(dir),
  };
}

function readDataSourceNames(dir: string): string[] {
  const sources = join(dir, "data_sources");
  if (!existsSync(sources)) return [];
  return readdirSync(sources, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
}

function readValues(dir: string, secrets: Record<string, string>): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const file of listJson(join(dir, "values"))) {
    const v = readJson(file, undefined) as { name: string; value: unknown; from_secret?: boolean };
    if (!v.from_secret) {
      values[v.name] = v.value;
    } else if (typeof v.value === "string" && v.value in secrets) {
      values[v.name] = secrets[v.value];
    }
    // A value whose secret does not exist is absent, as context.values.get returns undefined for it.
  }
  return values;
}

/** The flowerbase profile's values: flowerbase.env, then the overrides, all as environment strings. */
function environmentValues(dir: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const file = join(dir, FLOWERBASE_ENV_FILE);
  if (!existsSync(file)) throw new AppDirectoryError(`${file} is missing: run \`npm run build\`, which writes it, or start without --platform flowerbase.`);
  let values: Record<string, unknown>;
  try {
    values = parseFlowerbaseEnv(readFileSync(file, "utf8"), file);
  } catch (error) {
    if (error instanceof EnvFileError) throw new AppDirectoryError(error.message);
    throw error;
  }
  for (const [name, value] of Object.entries(overrides)) {
    values[name] = environmentString(value);
  }
  return values;
}

interface TriggerFile {
  name: string;
  type: string;
  function_name?: unknown;
  event_processors?: { FUNCTION?: { config?: { function_name?: unknown } } };
  config?: { schedule?: string };
  disabled?: boolean;
}

function readTriggers(dir: string): TriggerDefinition[] {
  return listJson(join(dir, "triggers")).flatMap((file) => {
    const t = readJson(file, undefined) as TriggerFile;
    if (t.type !== "SCHEDULED" || !t.config?.schedule) return [];
    return [{ name: t.name, function_name: triggerFunctionName(file, t), schedule: t.config.schedule, disabled: t.disabled ?? false }];
  });
}

/**
 * The function a trigger calls. App Services exports `event_processors.FUNCTION.config.function_name`
 * and its reference shows a top-level `function_name` for scheduled triggers (docs-app-services
 * source/reference/config/triggers.txt, "General Configuration" and "Scheduled Triggers"), so an
 * app directory may hold either; both naming different functions is ambiguous.
 */
function triggerFunctionName(file: string, trigger: TriggerFile): string {
  const names = triggerFunctionNames(trigger);
  if (names.length === 0) {
    throw new AppDirectoryError(`${file} names no function: add "event_processors": { "FUNCTION": { "config": { "function_name": "<function>" } } }.`);
  }
  const name = names[0];
  if (typeof name !== "string" || name === "" || names.some((n) => n !== name)) {
    throw new AppDirectoryError(
      `${file}: the trigger's function must be one non-empty name, got ${names.map((n) => JSON.stringify(n)).join(" and ")}: keep only event_processors.FUNCTION.config.function_name.`,
    );
  }
  return name;
}

function listJson(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith(".json")).sort().map((f) => join(dir, f));
}

function readJson(file: string, fallback: unknown): unknown {
  if (!existsSync(file)) {
    if (fallback !== undefined) return fallback;
    throw new AppDirectoryError(`${file} is missing.`);
  }
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new AppDirectoryError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
}
