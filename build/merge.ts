/**
 * Installs the built bundle (dist/app) into an existing App Services app directory, the kind
 * `appservices pull --local DIR` writes (`npm run build -- --into DIR`), so a later
 * `appservices push --local DIR` deploys the bundle without removing the rest of the app.
 *
 * Our functions, values and triggers are added or updated; everything else in the directory stays
 * byte for byte as it was. A manifest records what the bundle wrote, with content hashes, so an
 * update replaces our entries, drops those the bundle no longer has, and never mistakes someone
 * else's for ours. Nothing is read or written through a symbolic link below the app directory.
 */
import { FLOWERBASE_ENV_FILE } from "./flowerbaseEnv";
import { messageOf } from "../lib/errors";
import { isRecord, tryParseJson } from "./json";
import { triggerFunctionNames } from "./triggerFunction";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  buildManifest,
  claimingManifest,
  configEntryKey,
  hashFile,
  hashJson,
  KINDS,
  ManifestError,
  readManifest,
  SINGULAR,
  type BuiltApp,
  type BuiltAppFunction,
  type BuiltFile,
  type Kind,
  type Manifest,
} from "./bundleManifest";
import { firstSymlink, kindOf, symlinksAmong } from "./targetPaths";

export interface MergeReport {
  added: string[];
  updated: string[];
  removed: string[];
  unchanged: string[];
  /** Entries the bundle dropped but left in place, because they are not provably its own any more. */
  kept: Array<{ entry: string; reason: string }>;
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

const ROOT_CONFIG = "root_config.json";
/** Flowerbase reads no root_config.json, and its apps often have none; it needs this folder at start-up (flowerbase features/rules/utils.ts:5-7). */
const FLOWERBASE_MARKER = "data_sources/mongodb-atlas";

/** An App Services app as pulled (root_config.json), or a Flowerbase app (its data source folder). */
function isAppDirectory(dir: string): boolean {
  return fs.existsSync(path.join(dir, ROOT_CONFIG)) || fs.existsSync(path.join(dir, FLOWERBASE_MARKER));
}
const FUNCTIONS_CONFIG = "functions/config.json";
/**
 * Files at the app's root the bundle owns whole, hashed in the manifest like the others: the
 * values for Flowerbase (build/flowerbaseEnv.ts), which reads its app directory's root files only
 * as the server owner loads them, never as App Services configuration.
 */
const BUNDLE_FILES = [FLOWERBASE_ENV_FILE];
/** Where the bundle writes, always: none of these may be a symbolic link. */
const FIXED_PATHS = ["functions", "values", "triggers", FUNCTIONS_CONFIG, MANIFEST_FILE, ...BUNDLE_FILES];

interface TargetApp {
  /** The app directory, resolved once (the directory the user names may itself be a link). */
  dir: string;
  /** The parsed functions/config.json, or undefined when the file does not exist yet. */
  functionsConfig: unknown[] | undefined;
  functionsConfigIndent: string;
  manifest: Manifest | undefined;
  /** For values and triggers: every name in use, with the files (relative paths) that declare it. */
  declared: Record<"values" | "triggers", Map<string, string[]>>;
  /** Each readable trigger file in the target, with the functions it names (two when its two forms disagree). */
  triggerCalls: Map<string, string[]>;
}

/** One write or removal, all of them computed before any is carried out. */
type Change = { op: "write"; file: string; bytes: Buffer } | { op: "remove"; file: string };

interface Plan {
  changes: Change[];
  report: MergeReport;
}

/** What an install would do to one of the bundle's functions, values or triggers. */
export type EntryChange = "added" | "changed" | "removed" | "unchanged";

export interface InstallEntry {
  kind: Kind;
  name: string;
  change: EntryChange;
  /** Why `--into` stops at this entry unless --force: the directory's own entry of that name, or the bundle's changed since it wrote it. */
  refused?: string;
  /** Why `--into` leaves this entry, which the bundle dropped, in place. */
  kept?: string;
}

export interface InstallPlan {
  /** The directory has the bundle's manifest. */
  installed: boolean;
  /** Every entry the build has or the manifest lists, in KINDS order then by name. */
  entries: InstallEntry[];
  /** The files an install would write, remove or leave as they are (the report `--into` prints; with --force when refused). */
  report: MergeReport;
  /** The error `--into` without --force would stop with, writing nothing; undefined when it would install. */
  refusal?: string;
}

/**
 * What `mergeInto(builtAppDir, targetDir)` would do, without writing anything: the same reading,
 * collision check and plan, so a dry run cannot disagree with the install. A directory the install
 * cannot read at all throws the install's MergeError.
 */
export function planInstall(builtAppDir: string, targetDir: string): InstallPlan {
  const built = readBuiltApp(builtAppDir);
  const target = readTarget(targetDir);
  const collisions = findCollisions(built, target);
  let refusal = collisions.length > 0 ? collisionError(target, collisions).message : undefined;
  let plan: Plan;
  try {
    plan = planMerge(built, target, buildManifest(built, undefined));
  } catch (error) {
    if (!(error instanceof MergeError)) throw error;
    refusal ??= error.message;
    plan = { changes: [], report: { added: [], updated: [], removed: [], unchanged: [], kept: [] } };
  }
  const refusedEntry = new Map(collisions.flatMap((c) => (c.kind === undefined ? [] : [[`${c.kind}/${c.name}`, c.text] as const])));
  const keptEntry = new Map(plan.report.kept.map((k) => [k.entry, k.reason]));
  const entries = KINDS.flatMap((kind): InstallEntry[] => {
    const ours = ourNames(target.manifest, kind);
    const current = builtNames(built, kind);
    const present = current.map((name): InstallEntry => {
      const refused = refusedEntry.get(`${kind}/${name}`);
      const change: EntryChange = !ours.has(name) ? "added" : refused === undefined && entryUnchanged(built, target, kind, name) ? "unchanged" : "changed";
      return { kind, name, change, ...(refused === undefined ? {} : { refused }) };
    });
    const dropped = [...ours]
      .filter((name) => !current.includes(name))
      .sort()
      .map((name): InstallEntry => {
        const kept = keptEntry.get(`${SINGULAR[kind]} "${name}"`);
        return { kind, name, change: "removed", ...(kept === undefined ? {} : { kept }) };
      });
    return [...present, ...dropped];
  });
  return { installed: target.manifest !== undefined, entries, report: plan.report, ...(refusal === undefined ? {} : { refusal }) };
}

/** An install would leave the entry byte for byte as it is: its file, and for a function its one config entry. */
function entryUnchanged(built: BuiltApp, target: TargetApp, kind: Kind, name: string): boolean {
  const sameFile = (file: string, bytes: Buffer): boolean => kindOf(target.dir, file) === "file" && fs.readFileSync(path.join(target.dir, file)).equals(bytes);
  if (kind === "functions") {
    const fn = built.functions.find((f) => f.name === name) as BuiltAppFunction;
    const entries = (target.functionsConfig ?? []).filter((entry) => entryName(entry) === name);
    return sameFile(`functions/${name}.js`, fn.source) && entries.length === 1 && JSON.stringify(entries[0]) === JSON.stringify(fn.entry);
  }
  const item = built[kind].find((i) => i.name === name) as BuiltFile;
  const declaredIn = target.declared[kind].get(name) ?? [];
  return sameFile(`${kind}/${name}.json`, item.bytes) && declaredIn.length === 1;
}

export function mergeInto(builtAppDir: string, targetDir: string, options: MergeOptions = {}): MergeReport {
  const built = readBuiltApp(builtAppDir);
  const target = readTarget(targetDir);
  refuseCollisions(built, target, options.force === true);
  const next = buildManifest(built, options.version);
  const plan = planMerge(built, target, next);
  refuseSymlinks(target.dir, plan.changes.map((c) => c.file));
  if (plan.changes.length > 0) {
    // Claim every name first (the old ones and the new): if a write fails part-way, the rerun
    // recognises all it finds as the bundle's own and finishes, instead of refusing collisions.
    const claim = claimingManifest(target.manifest, next, (kind, name) => provablyOurs(target, kind, name));
    apply(target.dir, [{ op: "write", file: MANIFEST_FILE, bytes: jsonBytes(claim, "  ") }]);
  }
  apply(target.dir, plan.changes);
  return plan.report;
}

// ---------------------------------------------------------------------------------------------
// Reading

export function readBuiltApp(dir: string): BuiltApp {
  const configFile = path.join(dir, FUNCTIONS_CONFIG);
  if (!fs.existsSync(configFile)) {
    throw new MergeError(`No built app at ${dir} (${FUNCTIONS_CONFIG} is missing): run \`npm run build\` first.`);
  }
  const entries = parseJsonFile(configFile, "the built app");
  if (!Array.isArray(entries)) throw new MergeError(`${configFile} must hold a JSON array: rebuild with \`npm run build\`.`);
  const functions = entries.map((entry): BuiltAppFunction => {
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
  const files = BUNDLE_FILES.filter((file) => fs.existsSync(path.join(dir, file))).map((file) => ({ file, bytes: fs.readFileSync(path.join(dir, file)) }));
  return { functions, values: readBuiltFiles(dir, "values"), triggers: readBuiltFiles(dir, "triggers"), files };
}

function readBuiltFiles(dir: string, kind: "values" | "triggers"): BuiltFile[] {
  return listJsonFiles(path.join(dir, kind)).map(({ file }) => {
    const full = path.join(dir, kind, file);
    const bytes = fs.readFileSync(full);
    const name = entryName(parseJson(bytes.toString("utf8"), full, "the built app"));
    if (name === undefined) throw new MergeError(`${full} has no "name": rebuild with \`npm run build\`.`);
    checkSafeName(name, SINGULAR[kind], full);
    return { name, bytes };
  });
}

function readTarget(named: string): TargetApp {
  if (!fs.existsSync(named) || !fs.statSync(named).isDirectory()) {
    throw new MergeError(`Target app directory ${named} does not exist: pass the directory written by \`appservices pull --local DIR\`.`);
  }
  const dir = fs.realpathSync(named);
  if (!isAppDirectory(dir)) {
    throw new MergeError(
      `${named} is not an app directory (it has no ${ROOT_CONFIG}, nor the ${FLOWERBASE_MARKER}/ folder a Flowerbase app has): pass the directory written by \`appservices pull --local DIR\`, or your Flowerbase app's folder.`,
    );
  }
  // Before anything is read through them: a linked folder would lead reads and writes elsewhere.
  refuseSymlinks(dir, FIXED_PATHS);
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
  const manifestFile = path.join(dir, MANIFEST_FILE);
  let manifest: Manifest | undefined;
  try {
    manifest = readManifest(manifestFile, (name, what) => checkSafeName(name, what, manifestFile));
  } catch (error) {
    if (error instanceof ManifestError) throw new MergeError(error.message);
    throw error;
  }
  return {
    dir,
    functionsConfig,
    functionsConfigIndent,
    manifest,
    declared: { values: declaredNames(dir, "values"), triggers: declaredNames(dir, "triggers") },
    triggerCalls: triggerCalls(dir),
  };
}

/**
 * Names in use in values/ or triggers/: each file's "name", and its file name (push may use
 * either). A symbolic link declares its file name only: it is never followed.
 */
function declaredNames(dir: string, kind: "values" | "triggers"): Map<string, string[]> {
  const declared = new Map<string, string[]>();
  const add = (name: string, file: string): void => {
    const files = declared.get(name) ?? [];
    if (!files.includes(file)) declared.set(name, [...files, file]);
  };
  for (const { file, link } of listJsonFiles(path.join(dir, kind))) {
    const relative = `${kind}/${file}`;
    add(file.slice(0, -".json".length), relative);
    if (link) continue;
    // Someone else's unparsable file is not ours to judge: it still blocks its file name.
    const name = entryName(tryParseJson(fs.readFileSync(path.join(dir, relative), "utf8")));
    if (name !== undefined) add(name, relative);
  }
  return declared;
}

/** Trigger files (not links) and the functions each names, in either form a trigger may take. */
function triggerCalls(dir: string): Map<string, string[]> {
  const calls = new Map<string, string[]>();
  for (const { file, link } of listJsonFiles(path.join(dir, "triggers"))) {
    if (link) continue;
    const relative = `triggers/${file}`;
    const called = triggerFunctionNames(tryParseJson(fs.readFileSync(path.join(dir, relative), "utf8"))).filter((name): name is string => typeof name === "string");
    if (called.length > 0) calls.set(relative, called);
  }
  return calls;
}

// ---------------------------------------------------------------------------------------------
// Deciding what is the bundle's

function ourNames(manifest: Manifest | undefined, kind: Kind): Set<string> {
  return new Set(manifest?.[kind] ?? []);
}

function builtNames(built: BuiltApp, kind: Kind): string[] {
  return built[kind].map((item) => item.name);
}

/** Where an entry of the target lives: files, and for a function its functions/config.json entry. */
function entryKeys(target: TargetApp, kind: Kind, name: string): string[] {
  if (kind === "functions") return [`functions/${name}.js`, configEntryKey(name)];
  return target.declared[kind].get(name) ?? [];
}

/**
 * Why what is at `key` cannot be shown to be the bundle's (a link, or content whose hash the
 * manifest does not record), or undefined when it can, or when nothing is there.
 */
function whyNotOurs(target: TargetApp, key: string): string | undefined {
  const recorded = target.manifest?.files[key] ?? [];
  const unproven = (hash: string): string | undefined => {
    if (recorded.includes(hash)) return undefined;
    return Object.keys(target.manifest?.files ?? {}).length === 0
      ? "the manifest records no content hash for it (it was written by an older version), so it is not provably the bundle's"
      : "it changed since the bundle wrote it";
  };
  if (key.startsWith(`${FUNCTIONS_CONFIG}#`)) {
    const name = key.slice(FUNCTIONS_CONFIG.length + 1);
    const entries = (target.functionsConfig ?? []).filter((entry) => entryName(entry) === name);
    return entries.map((entry) => unproven(hashJson(entry))).find((reason) => reason !== undefined);
  }
  switch (kindOf(target.dir, key)) {
    case "missing":
      return undefined;
    case "symlink":
      return "it is a symbolic link";
    case "file":
      return unproven(hashFile(key, fs.readFileSync(path.join(target.dir, key))));
    default:
      return "it is not a regular file";
  }
}

/** Problems, each "<where> (<why>)", that keep a manifest-listed entry from counting as the bundle's. */
function ownershipProblems(target: TargetApp, kind: Kind, name: string): string[] {
  return entryKeys(target, kind, name).flatMap((key) => {
    const reason = whyNotOurs(target, key);
    return reason === undefined ? [] : [`${key}: ${reason}`];
  });
}

function provablyOurs(target: TargetApp, kind: Kind, name: string): boolean {
  return ourNames(target.manifest, kind).has(name) && ownershipProblems(target, kind, name).length === 0;
}

/** Function names in the target: config entries, and source files (an orphan file still blocks its name). */
function targetFunctionNames(target: TargetApp, name: string): string[] {
  const where: string[] = [];
  if ((target.functionsConfig ?? []).some((entry) => entryName(entry) === name)) where.push(FUNCTIONS_CONFIG);
  const file = `functions/${name}.js`;
  if (kindOf(target.dir, file) !== "missing") where.push(file);
  return where;
}

/** An entry of the build the target already has without it being provably the bundle's (kind undefined for a root file). */
interface Collision {
  kind?: Kind;
  name: string;
  text: string;
}

function findCollisions(built: BuiltApp, target: TargetApp): Collision[] {
  const collisions: Collision[] = [];
  for (const kind of KINDS) {
    const ours = ourNames(target.manifest, kind);
    for (const name of builtNames(built, kind)) {
      if (ours.has(name)) {
        const problems = ownershipProblems(target, kind, name);
        if (problems.length > 0) collisions.push({ kind, name, text: `${SINGULAR[kind]} "${name}", listed in ${MANIFEST_FILE} but ${problems.join("; ")}` });
        continue;
      }
      const where = kind === "functions" ? targetFunctionNames(target, name) : (target.declared[kind].get(name) ?? []);
      const described = where.map((file) => (kindOf(target.dir, file) === "symlink" ? `${file}, a symbolic link` : file));
      if (where.length > 0) collisions.push({ kind, name, text: `${SINGULAR[kind]} "${name}" (${described.join(", ")})` });
    }
  }
  for (const { file } of built.files) {
    const reason = whyNotOurs(target, file);
    if (reason !== undefined) collisions.push({ name: file, text: `file "${file}" (${reason})` });
  }
  return collisions;
}

function collisionError(target: TargetApp, collisions: Collision[]): MergeError {
  return new MergeError(
    `The app in ${target.dir} already has entries the bundle did not write:\n` +
      collisions.map((c) => `  - ${c.text}`).join("\n") +
      `\nRename them in the app (or in the bundle), or pass --force to replace them with the bundle's. Nothing was written.`,
  );
}

function refuseCollisions(built: BuiltApp, target: TargetApp, force: boolean): void {
  const collisions = findCollisions(built, target);
  if (collisions.length > 0 && !force) throw collisionError(target, collisions);
}

function refuseSymlinks(dir: string, relatives: readonly string[]): void {
  const links = symlinksAmong(dir, relatives);
  if (links.length === 0) return;
  throw new MergeError(
    `Refusing to install into ${dir}: the bundle would write through symbolic links, which could lead outside the app directory:\n` +
      links.map((link) => `  - ${path.join(dir, link)}`).join("\n") +
      `\nReplace each with a real folder or file (or remove it), then run again. Nothing was written.`,
  );
}

// ---------------------------------------------------------------------------------------------
// Planning

function planMerge(built: BuiltApp, target: TargetApp, next: Manifest): Plan {
  const changes: Change[] = [];
  const report: MergeReport = { added: [], updated: [], removed: [], unchanged: [], kept: [] };
  const write = (file: string, bytes: Buffer): void => {
    // Only a file can be unchanged; anything else in the way makes the write fail with the fix.
    const existing = kindOf(target.dir, file) === "file" ? fs.readFileSync(path.join(target.dir, file)) : undefined;
    if (existing?.equals(bytes)) {
      report.unchanged.push(file);
      return;
    }
    (existing ? report.updated : report.added).push(file);
    changes.push({ op: "write", file, bytes });
  };
  const remove = (file: string): void => {
    if (kindOf(target.dir, file) === "missing" || changes.some((c) => c.file === file)) return;
    report.removed.push(file);
    changes.push({ op: "remove", file });
  };

  const stale = staleEntries(built, target, report);
  refuseOrphanedTriggers(built, target, stale);
  planFunctionsConfig(built, target, stale.functions, write);

  for (const fn of built.functions) write(`functions/${fn.name}.js`, fn.source);
  for (const name of stale.functions) remove(`functions/${name}.js`);

  for (const kind of ["values", "triggers"] as const) {
    for (const item of built[kind]) write(`${kind}/${item.name}.json`, item.bytes);
    // A replaced entry declared in a differently named file would otherwise be pushed twice.
    const replacedElsewhere = built[kind].flatMap((item) =>
      (target.declared[kind].get(item.name) ?? []).filter((file) => file !== `${kind}/${item.name}.json`),
    );
    const staleFiles = stale[kind].flatMap((name) => target.declared[kind].get(name) ?? []);
    for (const file of [...replacedElsewhere, ...staleFiles]) remove(file);
  }

  for (const { file, bytes } of built.files) write(file, bytes);
  write(MANIFEST_FILE, jsonBytes(next, "  "));
  for (const list of [report.added, report.updated, report.removed, report.unchanged]) list.sort();
  return { changes, report };
}

/**
 * Entries the manifest lists that the bundle no longer has, to remove: only those still provably
 * the bundle's. The others are kept, each with the reason, in the report.
 */
function staleEntries(built: BuiltApp, target: TargetApp, report: MergeReport): Record<Kind, string[]> {
  const stale: Record<Kind, string[]> = { functions: [], values: [], triggers: [] };
  for (const kind of KINDS) {
    const current = new Set(builtNames(built, kind));
    for (const name of [...ourNames(target.manifest, kind)].sort()) {
      if (current.has(name)) continue;
      const problems = ownershipProblems(target, kind, name);
      if (problems.length === 0) stale[kind].push(name);
      else report.kept.push({ entry: `${SINGULAR[kind]} "${name}"`, reason: `the bundle no longer has it, but ${problems.join("; ")}` });
    }
  }
  return stale;
}

/** A trigger that stays must not call a function the install removes: push would refuse the app. */
function refuseOrphanedTriggers(built: BuiltApp, target: TargetApp, stale: Record<Kind, string[]>): void {
  const removedFunctions = new Set(stale.functions);
  const goingAway = new Set([
    ...stale.triggers.flatMap((name) => target.declared.triggers.get(name) ?? []),
    ...built.triggers.flatMap((item) => target.declared.triggers.get(item.name) ?? []),
  ]);
  const orphaned = [...target.triggerCalls].flatMap(([file, names]) =>
    goingAway.has(file) ? [] : names.filter((called) => removedFunctions.has(called)).map((called) => [file, called] as const),
  );
  if (orphaned.length === 0) return;
  throw new MergeError(
    `These triggers call a function the bundle no longer has, which this install would remove:\n` +
      orphaned.map(([file, called]) => `  - ${file} calls "${called}"`).join("\n") +
      `\nPoint each trigger at another function or delete it, then run again. Nothing was written.`,
  );
}

/**
 * The target's function list with our entries put in: an entry of ours (or one taken over) is
 * replaced where it stands, new ones are appended, stale ones being removed are dropped, and every
 * other entry keeps its place and fields. Nothing is written when the list does not change.
 */
function planFunctionsConfig(built: BuiltApp, target: TargetApp, removed: string[], write: (file: string, bytes: Buffer) => void): void {
  const dropped = new Set(removed);
  const bundled = new Map(built.functions.map((fn) => [fn.name, fn.entry]));
  const placed = new Set<string>();
  const entries: unknown[] = [];
  for (const entry of target.functionsConfig ?? []) {
    const name = entryName(entry);
    if (name !== undefined && bundled.has(name)) {
      if (!placed.has(name)) entries.push(bundled.get(name));
      placed.add(name);
    } else if (name === undefined || !dropped.has(name)) {
      entries.push(entry);
    }
  }
  for (const fn of built.functions) if (!placed.has(fn.name)) entries.push(fn.entry);

  const unchanged = target.functionsConfig !== undefined && JSON.stringify(entries) === JSON.stringify(target.functionsConfig);
  if (unchanged) return write(FUNCTIONS_CONFIG, fs.readFileSync(path.join(target.dir, FUNCTIONS_CONFIG)));
  write(FUNCTIONS_CONFIG, jsonBytes(entries, target.functionsConfigIndent));
}

// ---------------------------------------------------------------------------------------------
// Writing

function apply(dir: string, changes: Change[]): void {
  const root = path.resolve(dir);
  for (const change of changes) {
    const full = path.resolve(root, change.file);
    if (!full.startsWith(`${root}${path.sep}`)) throw new MergeError(`Refusing to ${change.op} ${full}: it is outside the app directory ${root}.`);
    // Checked again right before each step, in case a link appeared since the plan was made.
    const link = firstSymlink(root, change.file);
    if (link !== undefined) {
      throw new MergeError(`Refusing to ${change.op} ${full}: ${path.join(root, link)} is a symbolic link. Replace it with a real folder or file, then run the merge again.`);
    }
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
    // "wx": never through something already there, a link planted under the temporary name included.
    fs.writeFileSync(temporary, bytes, { flag: "wx" });
    fs.renameSync(temporary, file);
  } finally {
    fs.rmSync(temporary, { force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Small helpers

function entryName(value: unknown): string | undefined {
  return isRecord(value) && typeof value.name === "string" ? value.name : undefined;
}

/** The .json files of a folder, regular files and symbolic links (marked, never followed). */
function listJsonFiles(dir: string): Array<{ file: string; link: boolean }> {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => (entry.isFile() || entry.isSymbolicLink()) && entry.name.endsWith(".json"))
    .map((entry) => ({ file: entry.name, link: entry.isSymbolicLink() }))
    .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
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
