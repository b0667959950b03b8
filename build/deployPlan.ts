/**
 * The local half of `npm run deploy -- --dry-run`: what a push would send and which secrets deploy
 * would set, worked out from files alone, so it needs neither the App Services CLI, secrets.json
 * nor a network.
 *
 * Deploy pushes the app directory as it is (it never installs the bundle), so with --into the
 * dry run shows what `npm run build -- --into DIR` would do to DIR now (merge.ts planInstall, the
 * install's own plan, nothing written): an entry is added, changed or removed, or unchanged.
 * Anything but "unchanged" means the install is due.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { buildManifest, KINDS, SINGULAR } from "./bundleManifest";
import { DeployError } from "./deployError";
import { MANIFEST_FILE, MergeError, planInstall, readBuiltApp, type EntryChange, type InstallEntry, type InstallPlan } from "./merge";
import { EXAMPLE_FILE, parseSecretsMap, SECRETS_FILE, readSecretsExample, secretsReadiness, type SecretStatus } from "./secretsFile";

/** One of the bundle's entries and what the install would do to it. */
export type BundleEntry = InstallEntry;

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
  /** With --into: the error the install would stop with unless --force. */
  refusal?: string;
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
const TAKEN = " (this directory has its own of that name: `npm run build -- --into` stops unless you pass --force)";

/** The bundle in `dir` against the build in `builtDir`; without `into`, the build alone. */
export function planPush(builtDir: string, dir: string, into: string | undefined): PushPlan {
  const built = readBuild(builtDir);
  const next = buildManifest(built, undefined);
  if (into === undefined) {
    const entries = KINDS.flatMap((kind) => next[kind].map((name): BundleEntry => ({ kind, name, change: "added" })));
    return { dir, builtDir, installed: true, entries };
  }
  const install = readInstallPlan(builtDir, dir);
  return {
    dir,
    builtDir,
    into,
    installed: install.installed,
    entries: sortEntries(install.entries),
    ...(install.refusal === undefined ? {} : { refusal: install.refusal }),
  };
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
  return { file, secrets: secretsReadiness(example, provided).map(({ name, status }) => ({ name, readiness: status })) };
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
    ...push.entries.map((entry) => `  ${MARK[entry.change]} ${SINGULAR[entry.kind]} ${entry.name}${entryNote(entry)}`),
  ];
  if (push.refusal !== undefined) lines.push(`\`npm run build -- --into ${push.into}\` would stop here: ${push.refusal}`);
  if (!push.installed) lines.push(`${shown(push.dir)} does not have the bundle installed (no ${MANIFEST_FILE}), so a push would deploy none of it.`);
  lines.push(
    needsInstall(push)
      ? `${shown(push.dir)} is not up to date with the build: run \`npm run build -- --into ${push.into}\` first (deploy pushes the directory as it is and does not install the bundle).`
      : `${shown(push.dir)} is up to date with the build.`,
  );
  return lines;
}

function entryNote(entry: BundleEntry): string {
  if (entry.refused !== undefined) return entry.change === "added" ? TAKEN : EDITED;
  return entry.kept === undefined ? "" : ` (kept by \`npm run build -- --into\`: ${entry.kept})`;
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

/** The install's plan for `dir`; a directory the install cannot read stops the dry run with the install's reason. */
function readInstallPlan(builtDir: string, dir: string): InstallPlan {
  try {
    return planInstall(builtDir, dir);
  } catch (error) {
    if (!(error instanceof MergeError)) throw error;
    throw new DeployError("app-dir", `${error.message} Nothing was deployed.`);
  }
}

function sortEntries(entries: BundleEntry[]): BundleEntry[] {
  const rank = (entry: BundleEntry) => CHANGE_ORDER.indexOf(entry.change) * 10 + KINDS.indexOf(entry.kind);
  return [...entries].sort((a, b) => rank(a) - rank(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

