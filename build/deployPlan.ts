/**
 * The local half of `npm run deploy -- --dry-run`: what a push would send and which secrets deploy
 * would set, worked out from files alone, so it needs neither the App Services CLI, secrets.json
 * nor a network.
 *
 * Deploy pushes the app directory as it is (it never installs the bundle), so with --into the
 * bundle in DIR is compared with the current build (dist/app): an entry is added when the build
 * has it and DIR's manifest does not list it, changed when what is on disk in DIR differs from the
 * build (by the content hashes of bundleManifest.ts), removed when DIR's manifest lists it and the
 * build no longer has it. Anything but "unchanged" means `npm run build -- --into DIR` is due.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { buildManifest, configEntryKey, hashFile, hashJson, KINDS, ManifestError, readManifest, SINGULAR, type Kind, type Manifest } from "./bundleManifest";
import { DeployError } from "./deployError";
import { MANIFEST_FILE, MergeError, readBuiltApp } from "./merge";
import { EXAMPLE_FILE, parseSecretsMap, SECRETS_FILE, readSecretsExample, secretStatus, type SecretStatus } from "./secretsFile";
import { firstSymlink, kindOf } from "./targetPaths";

export type EntryChange = "added" | "changed" | "removed" | "unchanged";

export interface BundleEntry {
  kind: Kind;
  name: string;
  change: EntryChange;
  /** Changed in DIR since the bundle wrote it (its hash is not in DIR's manifest): `--into` keeps it unless --force. */
  editedInDir?: boolean;
}

export interface PushPlan {
  /** The directory a push sends, as it is. */
  dir: string;
  /** The build it is compared with (dist/app). */
  builtDir: string;
  /** --into as the user gave it; undefined when dist/app itself would be pushed. */
  into?: string;
  /** With --into: DIR has the bundle's manifest. Without: always true. */
  installed: boolean;
  /** Without --into every entry is "added": the whole app is replaced. */
  entries: BundleEntry[];
}

export type SecretReadiness = SecretStatus | `${typeof SECRETS_FILE} absent` | `${typeof SECRETS_FILE} not valid JSON`;

export interface SecretsPlan {
  file: string;
  secrets: Array<{ name: string; readiness: SecretReadiness }>;
}

export interface DeployPlan {
  push: PushPlan;
  secrets: SecretsPlan;
  /** What a real deploy still lacks, each with its fix; empty when only the remote part is left. */
  needs: string[];
}

const CHANGE_ORDER: readonly EntryChange[] = ["added", "changed", "removed", "unchanged"];
const MARK: Record<EntryChange, string> = { added: "+", changed: "~", removed: "-", unchanged: "=" };
const EDITED = " (edited here since the bundle was installed: `npm run build -- --into` keeps the edit and stops unless you pass --force)";

/** The bundle in `dir` against the build in `builtDir`; without `into`, the build alone. */
export function planPush(builtDir: string, dir: string, into: string | undefined): PushPlan {
  const built = readBuild(builtDir);
  const next = buildManifest(built, undefined);
  if (into === undefined) {
    const entries = KINDS.flatMap((kind) => next[kind].map((name): BundleEntry => ({ kind, name, change: "added" })));
    return { dir, builtDir, installed: true, entries };
  }
  const installed = readDirManifest(dir);
  const onDisk = hashOnDisk(dir);
  const entries = KINDS.flatMap((kind): BundleEntry[] => {
    const listed = new Set(installed?.[kind] ?? []);
    const current = next[kind].map((name): BundleEntry => {
      if (!listed.has(name)) return { kind, name, change: "added" };
      const keys = entryKeys(kind, name);
      if (keys.every((key) => onDisk(key) === next.files[key]?.[0])) return { kind, name, change: "unchanged" };
      const edited = keys.some((key) => !(installed?.files[key] ?? []).includes(onDisk(key) ?? ""));
      return { kind, name, change: "changed", ...(edited ? { editedInDir: true } : {}) };
    });
    const dropped = [...listed].filter((name) => !next[kind].includes(name)).map((name): BundleEntry => ({ kind, name, change: "removed" }));
    return [...current, ...dropped];
  });
  return { dir, builtDir, into, installed: installed !== undefined, entries: sortEntries(entries) };
}

/** The secrets deploy would set (secrets.example.json's names) and whether secrets.json has each ready. */
export function planSecrets(cwd: string): SecretsPlan {
  const example = readSecretsExample(path.join(cwd, EXAMPLE_FILE), (message) => new DeployError("secrets", message));
  const names = Object.keys(example).sort();
  const file = path.join(cwd, SECRETS_FILE);
  if (!fs.existsSync(file)) return { file, secrets: names.map((name) => ({ name, readiness: `${SECRETS_FILE} absent` })) };
  let provided: Record<string, unknown>;
  try {
    provided = parseSecretsMap(fs.readFileSync(file, "utf8"), file, false, (message) => new DeployError("secrets", message));
  } catch {
    return { file, secrets: names.map((name) => ({ name, readiness: `${SECRETS_FILE} not valid JSON` })) };
  }
  const valueOf = (name: string): unknown => (Object.hasOwn(provided, name) ? provided[name] : undefined);
  return { file, secrets: names.map((name) => ({ name, readiness: secretStatus(valueOf(name), example[name]) })) };
}

/** Whether the push plan shows DIR behind the build (or without the bundle). */
function needsInstall(push: PushPlan): boolean {
  return push.into !== undefined && (!push.installed || push.entries.some((entry) => entry.change !== "unchanged"));
}

/** The plan as printed lines; names only, never a secret value. */
export function describePlan(plan: DeployPlan, cwd: string): string[] {
  return [...describePush(plan.push, cwd), ...describeSecrets(plan.secrets), ...describeNeeds(plan.needs)];
}

// ---------------------------------------------------------------------------------------------

function describePush(push: PushPlan, cwd: string): string[] {
  const shown = (dir: string) => path.relative(cwd, dir) || ".";
  if (push.into === undefined) {
    return [
      `A push would send ${shown(push.dir)} (the current build), with these functions, values and triggers:`,
      ...push.entries.map((entry) => `    ${SINGULAR[entry.kind]} ${entry.name}`),
      `Warning: a real push of ${shown(push.dir)} replaces the whole remote app: whatever it has that ${shown(push.dir)} lacks, its data source included, is removed, ` +
        "so it needs --replace-app. To keep the rest of the app, pull it, install the bundle with `npm run build -- --into DIR` and deploy with --into DIR.",
    ];
  }
  const lines = [
    `A push would send ${shown(push.dir)} as it is. Its bundle against the current build (${shown(push.builtDir)}): + added, ~ changed, - removed, = unchanged`,
    ...push.entries.map((entry) => `  ${MARK[entry.change]} ${SINGULAR[entry.kind]} ${entry.name}${entry.editedInDir ? EDITED : ""}`),
  ];
  if (!push.installed) lines.push(`${shown(push.dir)} does not have the bundle installed (no ${MANIFEST_FILE}), so a push would deploy none of it.`);
  lines.push(
    needsInstall(push)
      ? `${shown(push.dir)} is not up to date with the build: run \`npm run build -- --into ${push.into}\` first (deploy pushes the directory as it is and does not install the bundle).`
      : `${shown(push.dir)} is up to date with the build.`,
  );
  return lines;
}

function describeSecrets(secrets: SecretsPlan): string[] {
  return [
    `Secrets it would set (named in ${EXAMPLE_FILE}; readiness in ${secrets.file}, values never shown):`,
    ...secrets.secrets.map(({ name, readiness }) => `    ${name}: ${readiness}`),
  ];
}

function describeNeeds(needs: string[]): string[] {
  if (needs.length === 0) return ["A real deploy has everything it needs here; the dry run goes on with the Admin API and `appservices push --dry-run`."];
  return ["What a real deploy still needs:", ...needs.map((need) => `  - ${need}`)];
}

function readBuild(builtDir: string): ReturnType<typeof readBuiltApp> {
  try {
    return readBuiltApp(builtDir);
  } catch (error) {
    if (!(error instanceof MergeError)) throw error;
    throw new DeployError("app-dir", `A dry run compares what would be pushed with the current build. ${error.message}`);
  }
}

function readDirManifest(dir: string): Manifest | undefined {
  try {
    // Names are only printed here, never used as paths.
    return readManifest(path.join(dir, MANIFEST_FILE), () => undefined);
  } catch (error) {
    if (!(error instanceof ManifestError)) throw error;
    throw new DeployError("app-dir", `${error.message} Nothing was deployed.`);
  }
}

/** The keys bundleManifest.ts hashes an entry under. */
function entryKeys(kind: Kind, name: string): string[] {
  return kind === "functions" ? [`functions/${name}.js`, configEntryKey(name)] : [`${kind}/${name}.json`];
}

/** The content hash of what `dir` holds at a manifest key; undefined when nothing (or a link) is there. */
function hashOnDisk(dir: string): (key: string) => string | undefined {
  const configPrefix = configEntryKey("");
  const configFile = "functions/config.json";
  const config = readableFile(dir, configFile) ? tryParseJson(fs.readFileSync(path.join(dir, configFile), "utf8")) : undefined;
  return (key) => {
    if (key.startsWith(configPrefix)) {
      const name = key.slice(configPrefix.length);
      const entry = Array.isArray(config) ? config.find((e: unknown) => isRecord(e) && e.name === name) : undefined;
      return entry === undefined ? undefined : hashJson(entry);
    }
    return readableFile(dir, key) ? hashFile(key, fs.readFileSync(path.join(dir, key))) : undefined;
  };
}

/** A regular file reached without following a link (the same rule the merge keeps). */
function readableFile(dir: string, relative: string): boolean {
  return firstSymlink(dir, relative) === undefined && kindOf(dir, relative) === "file";
}

function sortEntries(entries: BundleEntry[]): BundleEntry[] {
  const rank = (entry: BundleEntry) => CHANGE_ORDER.indexOf(entry.change) * 10 + KINDS.indexOf(entry.kind);
  return [...entries].sort((a, b) => rank(a) - rank(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function tryParseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
