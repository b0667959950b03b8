/**
 * The manifest `--into` keeps in the app directory (`.app-services-bundle.json`): which
 * functions, values and triggers the bundle installed, and the content hash of every file (and
 * functions/config.json entry) it wrote. A name in the manifest counts as the bundle's only while
 * what is on disk still has a recorded hash, so a hand-edited manifest cannot make `--into`
 * overwrite or delete a user's own function or value.
 *
 * Format 1 (before hashes) is still read: its names are trusted for nothing but the collision
 * check's wording, and files it lists are never removed or replaced without --force.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { messageOf } from "../lib/errors";
import { isRecord, tryParseJson } from "./json";

export type Kind = "functions" | "values" | "triggers";
export const KINDS: readonly Kind[] = ["functions", "values", "triggers"];
export const SINGULAR: Record<Kind, string> = { functions: "function", values: "value", triggers: "trigger" };

const MANIFEST_FORMAT = 2;
const ABOUT =
  "Written by `npm run build -- --into`: what the bundle installed in this app directory and each file's content hash, so the next install can update or remove exactly what is still the bundle's. appservices push does not read this file.";

export interface Manifest {
  about: string;
  manifestVersion: number;
  bundleVersion: string;
  contentHash: string;
  functions: string[];
  values: string[];
  triggers: string[];
  /**
   * Content hashes the bundle wrote, by key: a file's path relative to the app directory, or
   * `functions/config.json#<name>` for a function's entry there. Several hashes while an install
   * is under way (the previous bundle's and the next one's).
   */
  files: Record<string, string[]>;
}

export class ManifestError extends Error {
  override name = "ManifestError";
}

/** The key under which a function's functions/config.json entry is hashed. */
export function configEntryKey(name: string): string {
  return `functions/config.json#${name}`;
}

/**
 * JSON files are hashed by their parsed content with keys sorted, so re-indenting a file (as a
 * pull may) keeps it the bundle's; any other file, and JSON that does not parse, by its bytes.
 */
export function hashFile(relative: string, bytes: Buffer): string {
  if (relative.endsWith(".json")) {
    const parsed = tryParseJson(bytes.toString("utf8"));
    if (parsed !== undefined) return hashJson(parsed);
  }
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

export function hashJson(value: unknown): string {
  return `sha256:${createHash("sha256").update(canonicalJson(value)).digest("hex")}`;
}

/** The manifest at `file`, or undefined when there is none; a malformed one is refused. */
export function readManifest(file: string, safeName: (name: string, what: string) => void): Manifest | undefined {
  if (!fs.existsSync(file)) return undefined;
  const fix = "restore it (it is written by `npm run build -- --into`) or delete it and pass --force to take the bundle's entries over";
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw new ManifestError(`The bundle manifest ${file} is not valid JSON (${messageOf(error)}): ${fix}.`);
  }
  if (!isRecord(parsed) || !KINDS.every((kind) => isStringList(parsed[kind]))) {
    throw new ManifestError(`The bundle manifest ${file} does not list "functions", "values" and "triggers" names: ${fix}.`);
  }
  const files = parsed.files ?? {};
  if (!isRecord(files) || !Object.values(files).every(isStringList)) {
    throw new ManifestError(`The bundle manifest ${file} has a "files" entry that is not an object of hash lists: ${fix}.`);
  }
  // Manifest names become paths the merge may delete: a tampered one must not reach outside the app.
  for (const kind of KINDS) for (const name of parsed[kind] as string[]) safeName(name, SINGULAR[kind]);
  return { ...(parsed as unknown as Manifest), files: files as Record<string, string[]> };
}

/** A built function as the install reads it: its functions/config.json entry and its file. */
export interface BuiltAppFunction {
  name: string;
  entry: Record<string, unknown>;
  source: Buffer;
}

export interface BuiltFile {
  name: string;
  bytes: Buffer;
}

/** The built app directory (dist/app) as the install reads it (merge.ts readBuiltApp). */
export interface BuiltApp {
  functions: BuiltAppFunction[];
  values: BuiltFile[];
  triggers: BuiltFile[];
  /** Root files the bundle owns whole (flowerbase.env), those the build wrote. */
  files: Array<{ file: string; bytes: Buffer }>;
}

/** The manifest describing the built bundle once installed. */
export function buildManifest(built: BuiltApp, version: string | undefined): Manifest {
  const hash = createHash("sha256");
  const files: Record<string, string[]> = {};
  for (const fn of built.functions) {
    hash.update(`function ${fn.name}\n${JSON.stringify(fn.entry)}\n`).update(fn.source);
    files[`functions/${fn.name}.js`] = [hashFile(`functions/${fn.name}.js`, fn.source)];
    files[configEntryKey(fn.name)] = [hashJson(fn.entry)];
  }
  for (const kind of ["values", "triggers"] as const) {
    for (const item of built[kind]) {
      hash.update(`${kind} ${item.name}\n`).update(item.bytes);
      files[`${kind}/${item.name}.json`] = [hashFile(`${kind}/${item.name}.json`, item.bytes)];
    }
  }
  for (const item of built.files) {
    hash.update(`file ${item.file}\n`).update(item.bytes);
    files[item.file] = [hashFile(item.file, item.bytes)];
  }
  const contentHash = `sha256:${hash.digest("hex")}`;
  return {
    about: ABOUT,
    manifestVersion: MANIFEST_FORMAT,
    bundleVersion: version ?? contentHash.slice(0, "sha256:".length + 12),
    contentHash,
    functions: built.functions.map((f) => f.name).sort(),
    values: built.values.map((v) => v.name).sort(),
    triggers: built.triggers.map((t) => t.name).sort(),
    files: sortedRecord(files),
  };
}

/**
 * The manifest to hold while an install is under way: the names and hashes from before and after,
 * so a run that stops part-way leaves every file, old or new, recognisably the bundle's.
 * `previouslyOurs` limits the old side to what was still provably the bundle's.
 */
export function claimingManifest(previous: Manifest | undefined, next: Manifest, previouslyOurs: (kind: Kind, name: string) => boolean): Manifest {
  const names = (kind: Kind) => [...new Set([...(previous?.[kind] ?? []).filter((n) => previouslyOurs(kind, n)), ...next[kind]])].sort();
  const files: Record<string, string[]> = { ...next.files };
  for (const [key, hashes] of Object.entries(previous?.files ?? {})) files[key] = [...new Set([...(files[key] ?? []), ...hashes])];
  return { ...next, functions: names("functions"), values: names("values"), triggers: names("triggers"), files: sortedRecord(files) };
}

// ---------------------------------------------------------------------------------------------

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (isRecord(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

function sortedRecord<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === "string");
}
