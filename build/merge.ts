/**
 * Installs the built bundle (dist/app) into an existing App Services app directory, the kind
 * `appservices pull --local DIR` writes (`npm run build -- --into DIR`), so a later
 * `appservices push --local DIR` deploys the bundle without removing the rest of the app.
 *
 * Our functions, values and triggers are added or updated; everything else in the directory stays
 * byte for byte as it was. A manifest records what the bundle wrote, so an update replaces our
 * entries, drops those the bundle no longer has, and never mistakes someone else's for ours.
 */
import { messageOf } from "../lib/errors";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

export interface MergeReport {
  added: string[];
  updated: string[];
  removed: string[];
  unchanged: string[];
}

export interface MergeOptions {
  /** Take over functions, values and triggers of the same name that the bundle did not write. */
  force?: boolean;
  /** Recorded in the manifest (e.g. package.json's version); the content hash is recorded anyway. */
  version?: string;
}

export class MergeError extends Error {
  override name = "MergeError";
}

/**
 * Where the manifest lives: a dotfile at the root of the app directory.
 *
 * `appservices push` never reads it. The CLI (10gen/realm-cli, whose code the appservices CLI
 * continues; internal/local/app.go and structure_v2.go) finds the app by its root config file
 * (root_config.json, realm_config.json, config.json or stitch.json) and then reads only the
 * directories it knows (values/, triggers/, functions/, auth/, data_sources/, environments/, ...):
 * unknown files at the root are never loaded or uploaded. It could not go inside those directories:
 * push parses every .json file in values/ and triggers/ as a value or trigger, and every .js file
 * under functions/ as a function source. `.mdb/` belongs to the CLI (pull writes its metadata there).
 */
export const MANIFEST_FILE = ".app-services-bundle.json";

const MANIFEST_FORMAT = 1;
const ROOT_CONFIG = "root_config.json";
const FUNCTIONS_CONFIG = "functions/config.json";

type Kind = "functions" | "values" | "triggers";
const KINDS: readonly Kind[] = ["functions", "values", "triggers"];
const SINGULAR: Record<Kind, string> = { functions: "function", values: "value", triggers: "trigger" };

interface Manifest {
  about: string;
  manifestVersion: number;
  bundleVersion: string;
  contentHash: string;
  functions: string[];
  values: string[];
  triggers: string[];
}

interface BuiltFunction {
  name: string;
  entry: Record<string, unknown>;
  source: Buffer;
}

interface BuiltFile {
  name: string;
  bytes: Buffer;
}

interface BuiltApp {
  functions: BuiltFunction[];
  values: BuiltFile[];
  triggers: BuiltFile[];
}

interface TargetApp {
  dir: string;
  /** The parsed functions/config.json, or undefined when the file does not exist yet. */
  functionsConfig: unknown[] | undefined;
  functionsConfigIndent: string;
  manifest: Manifest | undefined;
  /** For values and triggers: every name in use, with the files (relative paths) that declare it. */
  declared: Record<"values" | "triggers", Map<string, string[]>>;
}

/** One write or removal, all of them computed before any is carried out. */
type Change = { op: "write"; file: string; bytes: Buffer } | { op: "remove"; file: string };

interface Plan {
  changes: Change[];
  report: MergeReport;
}

export function mergeInto(builtAppDir: string, targetDir: string, options: MergeOptions = {}): MergeReport {
  const built = readBuiltApp(builtAppDir);
  const target = readTarget(targetDir);
  refuseCollisions(built, target, options.force === true);
  const plan = planMerge(built, target, options.version);
  if (plan.changes.length > 0) {
    // Claim every name first (the old ones and the new): if a write fails part-way, the rerun
    // recognises all it finds as the bundle's own and finishes, instead of refusing collisions.
    apply(target.dir, [{ op: "write", file: MANIFEST_FILE, bytes: jsonBytes(claimingManifest(target.manifest, built, options.version), "  ") }]);
  }
  apply(target.dir, plan.changes);
  return plan.report;
}

// ---------------------------------------------------------------------------------------------
// Reading

function readBuiltApp(dir: string): BuiltApp {
  const configFile = path.join(dir, FUNCTIONS_CONFIG);
  if (!fs.existsSync(configFile)) {
    throw new MergeError(`No built app at ${dir} (${FUNCTIONS_CONFIG} is missing): run \`npm run build\` first.`);
  }
  const entries = parseJsonFile(configFile, "the built app");
  if (!Array.isArray(entries)) throw new MergeError(`${configFile} must hold a JSON array: rebuild with \`npm run build\`.`);
  const functions = entries.map((entry): BuiltFunction => {
    const name = entryName(entry);
    if (name === undefined || !isRecord(entry)) {
      throw new MergeError(`${configFile} has an entry without a name: rebuild with \`npm run build\`.`);
    }
    checkSafeName(name, "function", configFile);
    const sourceFile = path.join(dir, "functions", `${name}.js`);
    if (!fs.existsSync(sourceFile)) {
      throw new MergeError(`The built app lists function "${name}" but ${sourceFile} is missing: rebuild with \`npm run build\`.`);
    }
    return { name, entry, source: fs.readFileSync(sourceFile) };
  });
  return { functions, values: readBuiltFiles(dir, "values"), triggers: readBuiltFiles(dir, "triggers") };
}

function readBuiltFiles(dir: string, kind: "values" | "triggers"): BuiltFile[] {
  return listJsonFiles(path.join(dir, kind)).map((file) => {
    const full = path.join(dir, kind, file);
    const bytes = fs.readFileSync(full);
    const name = entryName(parseJson(bytes.toString("utf8"), full, "the built app"));
    if (name === undefined) throw new MergeError(`${full} has no "name": rebuild with \`npm run build\`.`);
    checkSafeName(name, SINGULAR[kind], full);
    return { name, bytes };
  });
}

function readTarget(dir: string): TargetApp {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new MergeError(`Target app directory ${dir} does not exist: pass the directory written by \`appservices pull --local DIR\`.`);
  }
  if (!fs.existsSync(path.join(dir, ROOT_CONFIG))) {
    throw new MergeError(
      `${dir} is not an App Services app directory (it has no ${ROOT_CONFIG}): pass the directory written by \`appservices pull --local DIR\`.`,
    );
  }
  const configFile = path.join(dir, FUNCTIONS_CONFIG);
  let functionsConfig: unknown[] | undefined;
  let functionsConfigIndent = "  ";
  if (fs.existsSync(configFile)) {
    const text = fs.readFileSync(configFile, "utf8");
    const parsed = parseJson(text, configFile, "the target app");
    if (!Array.isArray(parsed)) {
      throw new MergeError(`${configFile} must hold a JSON array of function configurations: fix the file or pull the app again.`);
    }
    functionsConfig = parsed;
    functionsConfigIndent = detectIndent(text);
  }
  return {
    dir,
    functionsConfig,
    functionsConfigIndent,
    manifest: readManifest(path.join(dir, MANIFEST_FILE)),
    declared: { values: declaredNames(dir, "values"), triggers: declaredNames(dir, "triggers") },
  };
}

function readManifest(file: string): Manifest | undefined {
  if (!fs.existsSync(file)) return undefined;
  const fix = "restore it (it is written by `npm run build -- --into`) or delete it and pass --force to take the bundle's entries over";
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw new MergeError(`The bundle manifest ${file} is not valid JSON (${messageOf(error)}): ${fix}.`);
  }
  const isNameList = (value: unknown): value is string[] => Array.isArray(value) && value.every((v) => typeof v === "string");
  if (!isRecord(parsed) || !KINDS.every((kind) => isNameList(parsed[kind]))) {
    throw new MergeError(`The bundle manifest ${file} does not list "functions", "values" and "triggers" names: ${fix}.`);
  }
  // Manifest names become paths the merge may delete: a tampered one must not reach outside the app.
  for (const kind of KINDS) for (const name of parsed[kind] as string[]) checkSafeName(name, SINGULAR[kind], file);
  return parsed as unknown as Manifest;
}

/** Names in use in values/ or triggers/: each file's "name", and its file name (push may use either). */
function declaredNames(dir: string, kind: "values" | "triggers"): Map<string, string[]> {
  const declared = new Map<string, string[]>();
  const add = (name: string, file: string): void => {
    const files = declared.get(name) ?? [];
    if (!files.includes(file)) declared.set(name, [...files, file]);
  };
  for (const file of listJsonFiles(path.join(dir, kind))) {
    const relative = `${kind}/${file}`;
    add(file.slice(0, -".json".length), relative);
    // Someone else's unparsable file is not ours to judge: it still blocks its file name.
    const name = entryName(tryParseJson(fs.readFileSync(path.join(dir, relative), "utf8")));
    if (name !== undefined) add(name, relative);
  }
  return declared;
}

// ---------------------------------------------------------------------------------------------
// Deciding

function ourNames(manifest: Manifest | undefined, kind: Kind): Set<string> {
  return new Set(manifest?.[kind] ?? []);
}

function builtNames(built: BuiltApp, kind: Kind): string[] {
  return built[kind].map((item) => item.name);
}

/** Function names in the target: config entries, and source files (an orphan file still blocks its name). */
function targetFunctionNames(target: TargetApp, name: string): string[] {
  const where: string[] = [];
  if ((target.functionsConfig ?? []).some((entry) => entryName(entry) === name)) where.push(FUNCTIONS_CONFIG);
  const file = `functions/${name}.js`;
  if (fs.existsSync(path.join(target.dir, file))) where.push(file);
  return where;
}

function refuseCollisions(built: BuiltApp, target: TargetApp, force: boolean): void {
  const collisions: string[] = [];
  for (const kind of KINDS) {
    const ours = ourNames(target.manifest, kind);
    for (const name of builtNames(built, kind)) {
      if (ours.has(name)) continue;
      const where = kind === "functions" ? targetFunctionNames(target, name) : (target.declared[kind].get(name) ?? []);
      if (where.length > 0) collisions.push(`${SINGULAR[kind]} "${name}" (${where.join(", ")})`);
    }
  }
  if (collisions.length > 0 && !force) {
    throw new MergeError(
      `The app in ${target.dir} already has entries the bundle did not write:\n` +
        collisions.map((c) => `  - ${c}`).join("\n") +
        `\nRename them in the app (or in the bundle), or pass --force to replace them with the bundle's. Nothing was written.`,
    );
  }
}

function planMerge(built: BuiltApp, target: TargetApp, version: string | undefined): Plan {
  const changes: Change[] = [];
  const report: MergeReport = { added: [], updated: [], removed: [], unchanged: [] };
  const write = (file: string, bytes: Buffer): void => {
    const full = path.join(target.dir, file);
    // Only a file can be unchanged; anything else in the way makes the write fail with the fix.
    const existing = fs.statSync(full, { throwIfNoEntry: false })?.isFile() ? fs.readFileSync(full) : undefined;
    if (existing?.equals(bytes)) {
      report.unchanged.push(file);
      return;
    }
    (existing ? report.updated : report.added).push(file);
    changes.push({ op: "write", file, bytes });
  };
  const remove = (file: string): void => {
    if (!fs.existsSync(path.join(target.dir, file)) || changes.some((c) => c.file === file)) return;
    report.removed.push(file);
    changes.push({ op: "remove", file });
  };

  planFunctionsConfig(built, target, write);
  const stale = (kind: Kind): string[] => [...ourNames(target.manifest, kind)].filter((n) => !builtNames(built, kind).includes(n));

  for (const fn of built.functions) write(`functions/${fn.name}.js`, fn.source);
  for (const name of stale("functions")) remove(`functions/${name}.js`);

  for (const kind of ["values", "triggers"] as const) {
    for (const item of built[kind]) write(`${kind}/${item.name}.json`, item.bytes);
    // A replaced entry declared in a differently named file would otherwise be pushed twice.
    const replacedElsewhere = built[kind].flatMap((item) =>
      (target.declared[kind].get(item.name) ?? []).filter((file) => file !== `${kind}/${item.name}.json`),
    );
    const staleFiles = stale(kind).flatMap((name) => target.declared[kind].get(name) ?? [`${kind}/${name}.json`]);
    for (const file of [...replacedElsewhere, ...staleFiles]) remove(file);
  }

  write(MANIFEST_FILE, jsonBytes(buildManifest(built, version), "  "));
  for (const list of Object.values(report)) list.sort();
  return { changes, report };
}

/**
 * The target's function list with our entries put in: an entry of ours (or one taken over) is
 * replaced where it stands, new ones are appended, ones the bundle dropped are removed, and every
 * other entry keeps its place and fields. Nothing is written when the list does not change.
 */
function planFunctionsConfig(built: BuiltApp, target: TargetApp, write: (file: string, bytes: Buffer) => void): void {
  const ours = ourNames(target.manifest, "functions");
  const bundled = new Map(built.functions.map((fn) => [fn.name, fn.entry]));
  const placed = new Set<string>();
  const entries: unknown[] = [];
  for (const entry of target.functionsConfig ?? []) {
    const name = entryName(entry);
    if (name !== undefined && bundled.has(name)) {
      if (!placed.has(name)) entries.push(bundled.get(name));
      placed.add(name);
    } else if (name === undefined || !ours.has(name)) {
      entries.push(entry);
    }
  }
  for (const fn of built.functions) if (!placed.has(fn.name)) entries.push(fn.entry);

  const unchanged = target.functionsConfig !== undefined && JSON.stringify(entries) === JSON.stringify(target.functionsConfig);
  if (unchanged) return write(FUNCTIONS_CONFIG, fs.readFileSync(path.join(target.dir, FUNCTIONS_CONFIG)));
  write(FUNCTIONS_CONFIG, jsonBytes(entries, target.functionsConfigIndent));
}

/** The manifest to hold while merging: the bundle's names from before and after. */
function claimingManifest(previous: Manifest | undefined, built: BuiltApp, version: string | undefined): Manifest {
  const next = buildManifest(built, version);
  const union = (kind: Kind) => [...new Set([...(previous?.[kind] ?? []), ...next[kind]])].sort();
  return { ...next, functions: union("functions"), values: union("values"), triggers: union("triggers") };
}

function buildManifest(built: BuiltApp, version: string | undefined): Manifest {
  const hash = createHash("sha256");
  for (const fn of built.functions) hash.update(`function ${fn.name}\n${JSON.stringify(fn.entry)}\n`).update(fn.source);
  for (const kind of ["values", "triggers"] as const) {
    for (const item of built[kind]) hash.update(`${kind} ${item.name}\n`).update(item.bytes);
  }
  const contentHash = `sha256:${hash.digest("hex")}`;
  return {
    about:
      "Written by `npm run build -- --into`: what the bundle installed in this app directory, so the next install can update or remove it. appservices push does not read this file.",
    manifestVersion: MANIFEST_FORMAT,
    bundleVersion: version ?? contentHash.slice(0, "sha256:".length + 12),
    contentHash,
    functions: builtNames(built, "functions").sort(),
    values: builtNames(built, "values").sort(),
    triggers: builtNames(built, "triggers").sort(),
  };
}

// ---------------------------------------------------------------------------------------------
// Writing

function apply(dir: string, changes: Change[]): void {
  const root = path.resolve(dir);
  for (const change of changes) {
    const full = path.resolve(root, change.file);
    if (!full.startsWith(`${root}${path.sep}`)) throw new MergeError(`Refusing to ${change.op} ${full}: it is outside the app directory ${root}.`);
    try {
      if (change.op === "remove") fs.rmSync(full, { force: true });
      else writeAtomically(full, change.bytes);
    } catch (error) {
      throw new MergeError(
        `Could not ${change.op} ${full} (${messageOf(error)}): fix the cause and run the merge again (it picks up where it stopped).`,
      );
    }
  }
}

/** Write beside the file, then rename over it: a reader never sees a half-written file. */
function writeAtomically(file: string, bytes: Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    fs.writeFileSync(temporary, bytes);
    fs.renameSync(temporary, file);
  } finally {
    fs.rmSync(temporary, { force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Small helpers

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function entryName(value: unknown): string | undefined {
  return isRecord(value) && typeof value.name === "string" ? value.name : undefined;
}


function listJsonFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".json"))
    .map((entry) => entry.name)
    .sort();
}

function parseJsonFile(file: string, where: string): unknown {
  return parseJson(fs.readFileSync(file, "utf8"), file, where);
}

function parseJson(text: string, file: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const fix = where === "the built app" ? "rebuild with `npm run build`" : "fix the file or pull the app again";
    throw new MergeError(`${file} in ${where} is not valid JSON (${messageOf(error)}): ${fix}.`);
  }
}

function tryParseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Same formatting as the build writes: the given indent and a trailing newline. */
function jsonBytes(value: unknown, indent: string): Buffer {
  return Buffer.from(`${JSON.stringify(value, null, indent)}\n`, "utf8");
}

/** Keeps a pulled config.json's own indentation, so rewriting it changes only our entries' lines. */
function detectIndent(text: string): string {
  return /^([ \t]+)\S/m.exec(text)?.[1] ?? "  ";
}

/** Names become file paths: refuse anything that could point outside the app directory. */
function checkSafeName(name: string, what: string, file: string): void {
  const segments = name.split("/");
  const unsafe = name === "" || name.includes("\\") || segments.some((s) => s === "" || s === "." || s === "..");
  if (unsafe) throw new MergeError(`${file} names ${what} "${name}", which is not a safe file name: rename it in the sources.`);
}
