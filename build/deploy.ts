/**
 * `npm run deploy -- --app CLIENT_APP_ID [--dry-run] [--into DIR]`: sets the app's secrets from
 * secrets.json and pushes the built app directory with the `appservices` CLI.
 *
 * Every step stops the deploy on failure with a message saying what failed and how to fix it.
 * Secret values never reach a log line or an error: every text that could hold one (CLI output
 * included) goes through a scrubber that replaces each value with ***.
 *
 * CLI commands and flags, verified against the appservices CLI reference
 * (mongodb.com/docs/atlas/app-services/cli/appservices-{whoami,login,secrets-create,secrets-update,
 * secrets-list,push}) and the code of its predecessor 10gen/realm-cli (internal/commands/*,
 * internal/terminal/*):
 * - `appservices whoami` exits 0 even when logged out; it then prints "No user is currently logged
 *   in" or "The user, <key>, is not currently logged in" (whoami/command.go), so its output is read.
 * - `appservices login --api-key <public> --private-api-key <private>`.
 * - `appservices secrets list --app <app>`; the global `--output-format json` prints one JSON
 *   document per log line, a table as `{ message, headers, data: [{ ID, Name }] }` (table.go, log.go).
 * - `appservices secrets create --app <app> --name <name> --value <value>`.
 * - `appservices secrets update --app <app> --secret <name or id> --value <value>`.
 *   The value can only be given as a flag (or typed at a prompt), so it is briefly visible in the
 *   process list of this machine; it never appears in our output.
 * - `appservices push --local <dir> --remote <app> [--dry-run]`. Push asks "Please confirm the
 *   changes shown above" unless the global `-y/--yes` is given; its stdin is not a terminal here,
 *   so `--yes` is passed (run with --dry-run first to see the changes).
 */
import { EXAMPLE_FILE, parseSecretsMap, readSecretsExample } from "./secretsFile";
import { MANIFEST_FILE } from "./merge";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

export interface DeployOptions {
  /** The app's client app id (or name), passed to the CLI as --app/--remote. */
  app: string;
  /** Push with --dry-run and set no secret: only say what would be done. */
  dryRun?: boolean;
  /** App directory to push; default dist/app. Relative paths are resolved against cwd. */
  into?: string;
  /** Project root, holding secrets.example.json and secrets.json; default process.cwd(). */
  cwd?: string;
  /** Environment for PATH lookup and the CLI's processes; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Receives every progress line (already scrubbed of secret values); default console.log. */
  log?: (line: string) => void;
  /** Longest a single CLI command may run; default 10 minutes. */
  timeoutMs?: number;
}

export interface DeployResult {
  dir: string;
  dryRun: boolean;
  /** Secrets created (or, on a dry run, that would be). */
  created: string[];
  /** Secrets updated (or, on a dry run, that would be). */
  updated: string[];
}

export type DeployStep = "usage" | "cli-missing" | "not-logged-in" | "secrets" | "app-dir" | "secrets-list" | "secret-set" | "push";

export class DeployError extends Error {
  override name = "DeployError";
  constructor(
    readonly step: DeployStep,
    message: string,
  ) {
    super(message);
  }
}

const CLI = "appservices";
const DEFAULT_DIR = path.join("dist", "app");
const SECRETS_FILE = "secrets.json";
const DEFAULT_TIMEOUT_MS = 10 * 60 * 1000;
/** Secret limits from the App Services docs (define-and-manage-secrets). */
const SECRET_VALUE_MAX = 500;
const LOGGED_OUT = /no user is currently logged in|is not currently logged in|not logged in/i;

export async function deploy(options: DeployOptions): Promise<DeployResult> {
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const env = options.env ?? process.env;
  const dryRun = options.dryRun === true;
  const dir = path.resolve(cwd, options.into ?? DEFAULT_DIR);
  const session = new Session(env, cwd, options.log ?? ((line) => console.log(line)), options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  if (!options.app) throw new DeployError("usage", `No app given: ${USAGE}`);

  session.cli = findCli(env);
  await checkLoggedIn(session);
  const secrets = readSecrets(cwd);
  session.hide([...secrets.values()]);
  checkAppDir(dir, options.into !== undefined);

  const existing = await listSecrets(session, options.app);
  const result: DeployResult = { dir, dryRun, created: [], updated: [] };
  for (const [name, value] of secrets) {
    const exists = existing.has(name);
    (exists ? result.updated : result.created).push(name);
    if (dryRun) session.log(`[dry-run] would ${exists ? "update" : "create"} secret "${name}" (no secret is changed on a dry run)`);
    else await setSecret(session, options.app, name, value, exists);
  }

  await push(session, options.app, dir, dryRun, options.into !== undefined);
  return result;
}

// ---------------------------------------------------------------------------------------------
// Steps

function findCli(env: NodeJS.ProcessEnv): string {
  const found = findOnPath(CLI, env);
  if (found) return found;
  throw new DeployError(
    "cli-missing",
    `The App Services CLI (\`${CLI}\`) is not on PATH. Install it with \`npm install -g atlas-app-services-cli\`, then run deploy again. ` +
      "Its install step downloads a binary, so it cannot be installed on a machine without internet access to that download: deploy from one that has it. Nothing was deployed.",
  );
}

async function checkLoggedIn(session: Session): Promise<void> {
  const result = await session.run(["whoami"]);
  const output = `${result.stdout}\n${result.stderr}`;
  if (result.ok && !LOGGED_OUT.test(output)) return;
  throw session.error(
    "not-logged-in",
    `The App Services CLI is not logged in (\`${CLI} whoami\` ${describeOutcome(result)}). ` +
      `Log in with \`${CLI} login --api-key <public key> --private-api-key <private key>\`, using an Atlas project API key that has the Project Owner role, then run deploy again. Nothing was deployed.`,
  );
}

/** The secrets to set, by name: every one named in secrets.example.json, valued from secrets.json. */
function readSecrets(cwd: string): Map<string, string> {
  const examplePath = path.join(cwd, EXAMPLE_FILE);
  const example = readSecretsExample(examplePath, (message) => new DeployError("secrets", message));
  const names = Object.keys(example).sort();
  if (names.length === 0) return new Map();

  const secretsPath = path.join(cwd, SECRETS_FILE);
  if (!fs.existsSync(secretsPath)) {
    throw new DeployError(
      "secrets",
      `${secretsPath} is missing. Copy ${EXAMPLE_FILE} to ${SECRETS_FILE} and replace each placeholder with the real value (secrets: ${names.join(", ")}). Nothing was deployed.`,
    );
  }
  const provided = parseSecretsMap(fs.readFileSync(secretsPath, "utf8"), secretsPath, false, (message) => new DeployError("secrets", message));
  const problems = secretProblems(names, example, provided);
  if (problems.length > 0) {
    throw new DeployError(
      "secrets",
      `${secretsPath} is not ready: ${problems.join("; ")}. Put the real values in ${SECRETS_FILE} (same keys as ${EXAMPLE_FILE}) and run deploy again. Nothing was deployed.`,
    );
  }
  return new Map(names.map((name) => [name, provided[name] as string]));
}

/** What is wrong with the provided secrets, by secret name; never a value. */
function secretProblems(names: string[], example: Record<string, unknown>, provided: Record<string, unknown>): string[] {
  const groups: Array<[string, (value: unknown, placeholder: unknown) => boolean]> = [
    ["missing", (value) => value === undefined],
    ["not a string", (value) => value !== undefined && typeof value !== "string"],
    ["empty", (value) => typeof value === "string" && value.trim() === ""],
    ["still the placeholder from the example", (value, placeholder) => typeof value === "string" && value.trim() !== "" && value === placeholder],
    [`longer than ${SECRET_VALUE_MAX} characters`, (value) => typeof value === "string" && value.length > SECRET_VALUE_MAX],
  ];
  return groups.flatMap(([problem, test]) => {
    const affected = names.filter((name) => test(Object.hasOwn(provided, name) ? provided[name] : undefined, example[name]));
    return affected.length > 0 ? [`${problem}: ${affected.join(", ")}`] : [];
  });
}

function checkAppDir(dir: string, into: boolean): void {
  const fix = into
    ? "pass the app directory you installed the bundle into with `npm run build -- --into DIR`"
    : "run `npm run build` first";
  if (!fs.existsSync(path.join(dir, "root_config.json"))) {
    throw new DeployError("app-dir", `${dir} is not an App Services app directory (no root_config.json): ${fix}. Nothing was deployed.`);
  }
  // A freshly pulled app without the bundle would push "successfully" and deploy nothing of ours.
  if (into && !fs.existsSync(path.join(dir, MANIFEST_FILE))) {
    throw new DeployError("app-dir", `${dir} does not have the bundle installed (no ${MANIFEST_FILE}): ${fix}. Nothing was deployed.`);
  }
}

async function listSecrets(session: Session, app: string): Promise<Set<string>> {
  const result = await session.run(["secrets", "list", "--app", app, "--output-format", "json"]);
  if (result.ok) return parseSecretNames(result.stdout);
  throw session.error(
    "secrets-list",
    `Listing the secrets of app "${app}" failed (\`${CLI} secrets list\` ${describeOutcome(result)}). ` +
      "Check the client app id and that the logged-in API key has the Project Owner role on the app's project. Nothing was changed or pushed.",
  );
}

async function setSecret(session: Session, app: string, name: string, value: string, exists: boolean): Promise<void> {
  const args = exists
    ? ["secrets", "update", "--app", app, "--secret", name, "--value", value]
    : ["secrets", "create", "--app", app, "--name", name, "--value", value];
  const result = await session.run(args);
  if (result.ok) {
    session.log(`${exists ? "Updated" : "Created"} secret "${name}"`);
    for (const line of outputLines(result)) session.log(`  ${line}`);
    return;
  }
  throw session.error(
    "secret-set",
    `${exists ? "Updating" : "Creating"} secret "${name}" failed (\`${CLI} ${args.slice(0, -1).join(" ")} ***\` ${describeOutcome(result)}). ` +
      "Fix the cause and run deploy again (secrets already set are updated, not duplicated). Nothing was pushed.",
  );
}

async function push(session: Session, app: string, dir: string, dryRun: boolean, into: boolean): Promise<void> {
  if (!into && !dryRun) {
    session.log(
      `Note: push makes app "${app}" match ${dir}; whatever the remote app has that this directory lacks is removed. ` +
        "To keep the rest of the app, pull it, install the bundle with `npm run build -- --into DIR` and deploy with --into DIR.",
    );
  }
  const args = ["push", "--local", dir, "--remote", app, "--yes", ...(dryRun ? ["--dry-run"] : [])];
  session.log(`Running ${CLI} ${args.join(" ")}`);
  const result = await session.run(args);
  for (const line of outputLines(result)) session.log(`  ${line}`);
  if (result.ok) {
    session.log(dryRun ? "Dry run done: nothing was pushed." : `Pushed ${dir} to app "${app}".`);
    return;
  }
  throw session.error(
    "push",
    `Pushing ${dir} to app "${app}" failed (\`${CLI} ${args.join(" ")}\` ${describeOutcome(result)}). ` +
      "Fix what the CLI reports and run deploy again; run with --dry-run to see the changes without pushing.",
  );
}

// ---------------------------------------------------------------------------------------------
// Running the CLI

interface RunResult {
  ok: boolean;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Set when the process could not start or was stopped for running too long. */
  problem?: string;
}

/** Holds what every step needs, and the scrubber every text goes through. */
class Session {
  cli = CLI;
  private hidden: string[] = [];

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly cwd: string,
    private readonly sink: (line: string) => void,
    private readonly timeoutMs: number,
  ) {}

  /** From now on, these values are replaced with *** wherever they would appear. */
  hide(values: string[]): void {
    // JSON output escapes quotes and backslashes: hide the escaped spelling too. Output is split
    // into lines and trimmed for display, so each line of a multi-line value is hidden on its own.
    const pieces = values.flatMap((v) => [v, v.trim(), ...v.split(/\r?\n/).map((line) => line.trim()).filter((line) => line.length >= 4)]);
    const spellings = pieces.flatMap((v) => [v, JSON.stringify(v).slice(1, -1)]).filter((v) => v.length > 0);
    this.hidden = [...new Set([...this.hidden, ...spellings])].sort((a, b) => b.length - a.length);
  }

  scrub(text: string): string {
    return this.hidden.reduce((out, value) => out.split(value).join("***"), text);
  }

  log(line: string): void {
    this.sink(this.scrub(line));
  }

  error(step: DeployStep, message: string): DeployError {
    return new DeployError(step, this.scrub(message));
  }

  /** Runs the CLI; its output is scrubbed here, once, before any step reads or shows it. */
  async run(args: string[]): Promise<RunResult> {
    const result = await runProcess(this.cli, args, { env: this.env, cwd: this.cwd, timeoutMs: this.timeoutMs });
    return { ...result, stdout: this.scrub(result.stdout), stderr: this.scrub(result.stderr) };
  }
}

/** spawn without a shell, stdin closed (a prompt then fails instead of hanging), output captured. */
function runProcess(file: string, args: string[], options: { env: NodeJS.ProcessEnv; cwd: string; timeoutMs: number }): Promise<RunResult> {
  return new Promise((resolve) => {
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let problem: string | undefined;
    const child = spawn(file, args, { env: options.env, cwd: options.cwd, stdio: ["ignore", "pipe", "pipe"], shell: false });
    const timer = setTimeout(() => {
      problem = `it ran longer than ${Math.round(options.timeoutMs / 1000)} s and was stopped`;
      child.kill("SIGTERM");
    }, options.timeoutMs);
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      clearTimeout(timer);
      resolve({
        ok: code === 0 && problem === undefined,
        code,
        signal,
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8"),
        ...(problem === undefined ? {} : { problem }),
      });
    };
    child.on("error", (error) => {
      problem ??= `it could not be started: ${error.message}`;
      finish(null, null);
    });
    child.on("close", finish);
  });
}

function outputLines(result: RunResult): string[] {
  return `${result.stdout}\n${result.stderr}`.split(/\r?\n/).map((l) => l.trimEnd()).filter((l) => l.trim() !== "");
}

/** "exited with code 1: <last lines of output>", for error messages (scrubbed by the caller). */
function describeOutcome(result: RunResult): string {
  const how = result.problem ?? (result.code !== null ? `exited with code ${result.code}` : `was stopped by ${result.signal ?? "a signal"}`);
  const lines = outputLines(result).slice(-15);
  return lines.length > 0 ? `${how}; it said:\n${lines.map((l) => `  ${l}`).join("\n")}\n` : how;
}

function findOnPath(command: string, env: NodeJS.ProcessEnv): string | undefined {
  const dirs = (env.PATH ?? env.Path ?? "").split(path.delimiter).filter((d) => d !== "");
  const extensions = process.platform === "win32" ? (env.PATHEXT ?? ".EXE;.CMD;.BAT").split(";") : [""];
  for (const dir of dirs) {
    for (const extension of extensions) {
      const candidate = path.join(dir, command + extension);
      if (isExecutable(candidate)) return candidate;
    }
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile()) return false;
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Secret names from `secrets list --output-format json`: each JSON line holding a table lists its
 * rows in `data`. Should the CLI print a text table instead, every word of it counts as a name
 * (secret names cannot hold spaces), which at worst turns a create into an update that fails loudly.
 */
export function parseSecretNames(stdout: string): Set<string> {
  const names = new Set<string>();
  let sawJson = false;
  for (const line of stdout.split(/\r?\n/)) {
    const document = parseJsonObject(line.trim());
    if (!document) continue;
    sawJson = true;
    const rows = Array.isArray(document.data) ? (document.data as unknown[]) : [];
    for (const row of rows) {
      const name = isRecord(row) ? (row.Name ?? row.name) : undefined;
      if (typeof name === "string") names.add(name);
    }
  }
  if (!sawJson) for (const word of stdout.split(/\s+/)) if (word !== "") names.add(word);
  return names;
}

// ---------------------------------------------------------------------------------------------
// Small helpers

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  if (!text.startsWith("{")) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return isRecord(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A JSON object file. For secrets.json the parser's message is left out: it can quote the file.
 * The example holds only placeholders, so its parser message is shown.
 */

// ---------------------------------------------------------------------------------------------
// Command line

const USAGE = "usage: npm run deploy -- --app CLIENT_APP_ID [--dry-run] [--into DIR]";

export interface DeployArgs {
  app: string;
  dryRun: boolean;
  into?: string;
  help: boolean;
}

export function parseArgs(argv: string[]): DeployArgs {
  const args: DeployArgs = { app: "", dryRun: false, help: false };
  const valueOf = (flag: string, index: number): string => {
    const value = argv[index + 1];
    if (value === undefined || value.startsWith("--")) throw new DeployError("usage", `${flag} needs a value: ${USAGE}`);
    return value;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [flag, inline] = arg.startsWith("--") && arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    if (flag === "--app" || flag === "--into") {
      const value = inline ?? valueOf(flag, i++);
      if (flag === "--app") args.app = value;
      else args.into = value;
    } else if (flag === "--dry-run" && inline === undefined) args.dryRun = true;
    else if (flag === "--help" || flag === "-h") args.help = true;
    else throw new DeployError("usage", `Unknown argument "${arg}": ${USAGE}`);
  }
  if (!args.help && args.app === "") throw new DeployError("usage", `--app is required: ${USAGE}`);
  return args;
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  try {
    const args = parseArgs(argv);
    if (args.help) {
      console.log(USAGE);
      return 0;
    }
    await deploy({ app: args.app, dryRun: args.dryRun, ...(args.into === undefined ? {} : { into: args.into }) });
    return 0;
  } catch (error) {
    if (!(error instanceof DeployError)) throw error;
    console.error(`deploy failed (${error.step}): ${error.message}`);
    return 1;
  }
}

if (typeof require !== "undefined" && require.main === module) {
  void main().then((code) => {
    process.exitCode = code;
  });
}
