/**
 * Values the emulator supplies only while the app leaves them empty (the CLI's demo cleanup plan).
 * They are worked out at every load of the app directory, so a value the app sets later (a rebuild
 * under `npm run dev`) wins at the next reload instead of staying hidden behind the fallback.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** True when the built app's value `name` is missing or holds nothing (null, "", [], {}). */
export function appValueIsEmpty(appDir: string, name: string): boolean {
  const file = join(appDir, "values", `${name}.json`);
  if (!existsSync(file)) return true;
  let value: unknown;
  try {
    value = (JSON.parse(readFileSync(file, "utf8")) as { value?: unknown }).value;
  } catch {
    // A broken value file is the function's problem to report; no fallback hides it.
    return false;
  }
  if (value === undefined || value === null || value === "") return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === "object" && Object.keys(value).length === 0;
}

/** The fallbacks for the values the app at appDir leaves empty right now. */
export function fallbacksForEmptyValues(appDir: string, fallbacks: Record<string, unknown> | undefined): Record<string, unknown> {
  const applied: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(fallbacks ?? {})) {
    if (appValueIsEmpty(appDir, name)) applied[name] = value;
  }
  return applied;
}
