/**
 * `npm run deploy -- --app CLIENT_APP_ID --project PROJECT_ID --into DIR [--dry-run]`: sets the
 * app's secrets from secrets.json through the Admin API, then pushes the app directory with the
 * `appservices` CLI.
 *
 * Every step stops the deploy on failure with a message saying what failed and how to fix it.
 * Secret values never reach a command line, a child process's environment, a log line or an
 * error: they travel only in the bodies of HTTPS requests this process makes itself
 * (adminApiSession.ts), and every text that could hold one (CLI output and Admin API answers
 * included) goes through a scrubber that replaces each value with ***.
 *
 * Secrets are set with the Admin API's secret endpoints (adminGetAllSecrets, adminCreateASecret,
 * adminModifyASecret in ../shared/admin-api/openapi-admin-v3.yaml), logged in with the key pair in
 * secrets.json (adminApiPublicKeySecret, adminApiPrivateKeySecret), the same pair the functions use.
 * `appservices secrets create/update` would take the value only as `--value` (or at a prompt),
 * where every user of the machine can read it in the process list.
 *
 * CLI commands and flags, verified against the appservices CLI reference
 * (mongodb.com/docs/atlas/app-services/cli/appservices-{whoami,login,push}) and the code of its
 * predecessor 10gen/realm-cli (internal/commands/*, internal/terminal/*):
 * - `appservices whoami` exits 0 even when logged out; it then prints "No user is currently logged
 *   in" or "The user, <key>, is not currently logged in" (whoami/command.go), so its output is read.
 * - `appservices login --api-key <public> --private-api-key <private>`.
 * - `appservices push --local <dir> --remote <app> [--dry-run]`. Push asks "Please confirm the
 *   changes shown above" unless the global `-y/--yes` is given; its stdin is not a terminal here,
 *   so `--yes` is passed (run with --dry-run first to see the changes).
 *
 * `--dry-run` first prints a plan made from local files alone (deployPlan.ts: what a push would
 * send, the secrets it would set and their readiness, what a real deploy still needs), so it needs
 * neither the CLI nor secrets.json; the remote part (Admin API lookups, `push --dry-run`) follows
 * only when nothing is missing.
 *
 * A push makes the remote app match the directory, so pushing dist/app alone (functions, values
 * and triggers, but no data source) would cut the app off from its cluster: that needs
 * --replace-app, said on purpose.
 */
import { AdminApiCallError, DEFAULT_ADMIN_API_URL, openAdminApiSession, type AdminApiSession, type SecretInfo } from "./adminApiSession";
import { DeployError, type DeployStep } from "./deployError";
import { checkProjectId, pickApp, readAppMeta, resolveProject, type AppMeta } from "./deployTarget";
import { describePlan, planPush, planSecrets, type DeployPlan } from "./deployPlan";
import { ADMIN_KEY_SECRETS, EXAMPLE_FILE, parseSecretsMap, readSecretsExample, SECRETS_FILE, secretsReadiness, type SecretStatus } from "./secretsFile";
import { invocationDir } from "./invocationDir";
import { MANIFEST_FILE } from "./merge";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs as parseNodeArgs } from "node:util";
import { messageOf } from "../lib/errors";

export { DeployError, type DeployStep } from "./deployError";

export interface DeployOptions {
  /** The app's client app id (or its name), passed to the CLI as --remote and looked up in the project. */
  app: string;
  /** The Atlas project (group) id; default: group_id in the app directory's .mdb/app_meta.json. */
  project?: string;
  /** Set no secret and push nothing: print the local plan, then (when nothing is missing) push with --dry-run. */
  dryRun?: boolean;
  /** App directory to push (the one the bundle was installed into); relative paths are resolved against cwd. */
  into?: string;
  /** Push dist/app alone, replacing the whole remote app (it has no data source). Only without `into`. */
  replaceApp?: boolean;
  /** The Admin API; default https://services.cloud.mongodb.com/api/admin/v3.0. Must be https (plain http on loopback only). */
  adminApiBaseUrl?: string;
  /** Project root, holding secrets.example.json and secrets.json; default process.cwd(). */
  cwd?: string;
  /** Environment for PATH lookup and the CLI's processes; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Receives every progress line (already scrubbed of secret values); default console.log. */
  log?: (line: string) => void;
  /** Longest a single CLI command or Admin API request may take; default 10 minutes. */
  timeoutMs?: number;
}

export interface DeployResult {
  dir: string;
  dryRun: boolean;
  /** Secrets created (or, on a dry run, that would be). */
  created: string[];
  /** Secrets updated (or, on a dry run, that would be). */
  updated: string[];
  /** A dry run that stopped after its local plan: a real deploy still needs what it printed. */
  remoteSkipped?: boolean;
}

const CLI = "appservices";
const DEFAULT_DIR = path.join("dist", "app");
const DEFAULT_TIMEOUT_MS = 10 * 60 * 1000;
const LOGGED_OUT = /no user is currently logged in|is not currently logged in|not logged in/i;

export async function deploy(options: DeployOptions): Promise<DeployResult> {
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const env = options.env ?? process.env;
  const dryRun = options.dryRun === true;
  const into = options.into !== undefined;
  const dir = path.resolve(cwd, options.into ?? DEFAULT_DIR);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const session = new Session(env, cwd, options.log ?? ((line) => console.log(line)), timeoutMs);
  if (!options.app) throw new DeployError("usage", `No app given: ${USAGE}`);
  const adminApiBaseUrl = checkAdminApiUrl(options.adminApiBaseUrl ?? DEFAULT_ADMIN_API_URL);
  if (options.project !== undefined) checkProjectId(options.project, "--project");
  refuseReplacingApp(into, options.replaceApp === true, dryRun);

  const target: LocalTarget = { cwd, dir, into: options.into, project: options.project, env };
  const ready = dryRun ? await prepareDryRun(session, target) : await prepareRealPush(session, target);
  if (ready === undefined) return { dir, dryRun, created: [], updated: [], remoteSkipped: true };
  const { secrets, meta, projectId } = ready;

  const result: DeployResult = { dir, dryRun, created: [], updated: [] };
  const admin = await openAdmin(session, adminApiBaseUrl, secrets, timeoutMs);
  try {
    const apps = await adminStep(session, "app-lookup", () => admin.listApps(projectId), `listing the apps of project ${projectId}`);
    const appId = pickApp(apps, options.app, projectId, meta, dir);
    const existing = await adminStep(session, "secrets-list", () => admin.listSecrets(projectId, appId), `listing the secrets of app "${options.app}"`);
    const byName = new Map(existing.map((secret) => [secret.name, secret]));
    for (const [name, value] of secrets) {
      const found = byName.get(name);
      (found ? result.updated : result.created).push(name);
      if (dryRun) session.log(`[dry-run] would ${found ? "update" : "create"} secret "${name}" (no secret is changed on a dry run)`);
      else await setSecret(session, admin, { projectId, appId, app: options.app }, name, value, found);
    }
  } finally {
    await admin.close();
  }

  await push(session, options.app, dir, dryRun, into);
  return result;
}

// ---------------------------------------------------------------------------------------------
// Steps

interface LocalTarget {
  cwd: string;
  /** The directory to push, resolved. */
  dir: string;
  /** --into as given. */
  into: string | undefined;
  project: string | undefined;
  env: NodeJS.ProcessEnv;
}

/** What the remote part needs, found by the local checks. */
interface Ready {
  secrets: Map<string, string>;
  meta: AppMeta;
  projectId: string;
}

/** A real push: every local check must pass, in this order, before anything remote happens. */
async function prepareRealPush(session: Session, target: LocalTarget): Promise<Ready> {
  session.cli = findCli(target.env);
  await checkLoggedIn(session);
  const secrets = readSecrets(target.cwd);
  session.hide([...secrets.values()]);
  checkAppDir(target.dir, target.into !== undefined);
  const meta = readAppMeta(target.dir);
  return { secrets, meta, projectId: resolveProject(target.project, meta, target.dir) };
}

/** Failures of these steps are what a real deploy still needs; a dry run lists them instead of stopping. */
const NEEDED_FOR_REAL_DEPLOY: ReadonlySet<DeployStep> = new Set<DeployStep>(["cli-missing", "not-logged-in", "secrets", "project"]);

/**
 * A dry run: prints the local plan (deployPlan.ts), which needs neither the CLI, secrets.json nor
 * a network, runs the same checks as a real push but lists what fails, and returns what the remote
 * part needs only when nothing is missing; otherwise says what it skipped.
 */
async function prepareDryRun(session: Session, target: LocalTarget): Promise<Ready | undefined> {
  const builtDir = path.join(target.cwd, DEFAULT_DIR);
  checkAppDir(target.dir, target.into !== undefined, false);
  const push = planPush(builtDir, target.dir, target.into);
  const secretsPlan = planSecrets(target.cwd);
  const needs: string[] = [];
  const check = async <T>(run: () => T | Promise<T>): Promise<T | undefined> => {
    try {
      return await run();
    } catch (error) {
      if (!(error instanceof DeployError) || !NEEDED_FOR_REAL_DEPLOY.has(error.step)) throw error;
      needs.push(error.message.replace(/\s*Nothing was deployed\.$/, ""));
      return undefined;
    }
  };
  await check(async () => {
    session.cli = findCli(target.env);
    await checkLoggedIn(session);
  });
  const secrets = await check(() => readSecrets(target.cwd));
  if (secrets) session.hide([...secrets.values()]);
  const meta = (await check(() => readAppMeta(target.dir))) ?? {};
  const projectId = await check(() => resolveProject(target.project, meta, target.dir));
  // A real push refuses a directory without the bundle; one that is merely behind is pushed as it is.
  if (!push.installed) needs.push(`The bundle installed in ${target.dir}: run \`npm run build -- --into ${target.into}\` first.`);

  const plan: DeployPlan = { push, secrets: secretsPlan, needs };
  for (const line of describePlan(plan, target.cwd)) session.log(line);
  if (needs.length > 0 || secrets === undefined || projectId === undefined) {
    session.log(
      `Dry run done without the remote part (the Admin API's app and secret lookup, and \`${CLI} push --dry-run\`): it needs all of the above. Nothing was set or pushed.`,
    );
    return undefined;
  }
  return { secrets, meta, projectId };
}

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
  const keyPair = [ADMIN_KEY_SECRETS.publicKey, ADMIN_KEY_SECRETS.privateKey];
  const unlisted = keyPair.filter((name) => !names.includes(name));
  if (unlisted.length > 0) {
    throw new DeployError(
      "secrets",
      `${examplePath} does not list ${unlisted.join(" and ")}: deploy logs in to the Admin API with that key pair (the one the functions use) to set the secrets. Restore them in ${EXAMPLE_FILE} from version control. Nothing was deployed.`,
    );
  }

  const secretsPath = path.join(cwd, SECRETS_FILE);
  if (!fs.existsSync(secretsPath)) {
    throw new DeployError(
      "secrets",
      `${secretsPath} is missing. Copy ${EXAMPLE_FILE} to ${SECRETS_FILE} and replace each placeholder with the real value (secrets: ${names.join(", ")}). Nothing was deployed.`,
    );
  }
  const provided = parseSecretsMap(fs.readFileSync(secretsPath, "utf8"), secretsPath, false, (message) => new DeployError("secrets", message));
  const problems = secretProblems(example, provided);
  if (problems.length > 0) {
    throw new DeployError(
      "secrets",
      `${secretsPath} is not ready: ${problems.join("; ")}. Put the real values in ${SECRETS_FILE} (same keys as ${EXAMPLE_FILE}) and run deploy again. Nothing was deployed.`,
    );
  }
  return new Map(names.map((name) => [name, provided[name] as string]));
}

/** What is wrong with the provided secrets, "<problem>: <names>" per problem; never a value. */
function secretProblems(example: Record<string, unknown>, provided: Record<string, unknown>): string[] {
  const byProblem = new Map<SecretStatus, string[]>();
  for (const { name, status } of secretsReadiness(example, provided)) {
    if (status !== "ready") byProblem.set(status, [...(byProblem.get(status) ?? []), name]);
  }
  return [...byProblem].map(([problem, affected]) => `${problem}: ${affected.join(", ")}`);
}

/** `dir` must be an app directory; with --into, one the bundle was installed into unless `requireBundle` is false. */
function checkAppDir(dir: string, into: boolean, requireBundle = true): void {
  const fix = into
    ? "pass the app directory you installed the bundle into with `npm run build -- --into DIR`"
    : "run `npm run build` first";
  if (!fs.existsSync(path.join(dir, "root_config.json"))) {
    throw new DeployError("app-dir", `${dir} is not an App Services app directory (no root_config.json): ${fix}. Nothing was deployed.`);
  }
  // A freshly pulled app without the bundle would push "successfully" and deploy nothing of ours.
  if (into && requireBundle && !fs.existsSync(path.join(dir, MANIFEST_FILE))) {
    throw new DeployError("app-dir", `${dir} does not have the bundle installed (no ${MANIFEST_FILE}): ${fix}. Nothing was deployed.`);
  }
}

/**
 * Pushing dist/app alone replaces the remote app with one that has no data source. A dry run
 * changes nothing, so it goes ahead (and shows what the push would remove).
 */
function refuseReplacingApp(into: boolean, replaceApp: boolean, dryRun: boolean): void {
  if (into && replaceApp) throw new DeployError("usage", `--replace-app only applies without --into: ${USAGE}`);
  if (into || replaceApp || dryRun) return;
  throw new DeployError(
    "replace-app",
    `Refusing to push ${DEFAULT_DIR} alone: it holds only the bundle (no data source), and a push replaces the whole remote app, which would cut it off from its cluster. ` +
      "Pull your app, install the bundle into it with `npm run build -- --into DIR`, and deploy with --into DIR. " +
      "If you do mean to replace the remote app with the bundle alone, pass --replace-app. Nothing was deployed.",
  );
}

/** The Admin API base URL: https, or plain http to this machine only (the emulator); no trailing slash. */
function checkAdminApiUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new DeployError("usage", `--admin-api-url "${value}" is not a URL: pass the Admin API's base URL, e.g. ${DEFAULT_ADMIN_API_URL}.`);
  }
  const loopback = ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    throw new DeployError("usage", `--admin-api-url must use https (plain http only to 127.0.0.1 or localhost): the key pair and secret values would travel unencrypted to ${url.host}. Nothing was deployed.`);
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new DeployError("usage", `--admin-api-url must be a plain base URL (no credentials, query or fragment), e.g. ${DEFAULT_ADMIN_API_URL}.`);
  }
  return url.href.replace(/\/+$/, "");
}

/** Logs in to the Admin API with the key pair from secrets.json. */
async function openAdmin(session: Session, baseUrl: string, secrets: Map<string, string>, timeoutMs: number): Promise<AdminApiSession> {
  const publicKey = secrets.get(ADMIN_KEY_SECRETS.publicKey) as string;
  const privateKey = secrets.get(ADMIN_KEY_SECRETS.privateKey) as string;
  try {
    return await openAdminApiSession(baseUrl, publicKey, privateKey, timeoutMs);
  } catch (error) {
    if (!(error instanceof AdminApiCallError)) throw error;
    const refused = error.status === 401 || error.status === 403;
    throw session.error(
      "admin-login",
      `Logging in to the Admin API failed: ${error.message} ` +
        (refused
          ? `Put the public and private key of an Atlas project API key with the Project Owner role in secrets.json as ${ADMIN_KEY_SECRETS.publicKey} and ${ADMIN_KEY_SECRETS.privateKey}, then run deploy again.`
          : "Check the network and --admin-api-url, then run deploy again.") +
        " Nothing was changed or pushed.",
    );
  }
}

/** One Admin API step; a failure becomes a DeployError for `step`, naming what to check. */
async function adminStep<T>(session: Session, step: DeployStep, run: () => Promise<T>, doing: string): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof AdminApiCallError)) throw error;
    const hint =
      error.status === 401 || error.status === 403
        ? "Check that the API key in secrets.json has the Project Owner role on this project."
        : error.status === 404
          ? "Check --project (the Atlas project id) and --app."
          : "Fix the cause and run deploy again.";
    throw session.error(step, `${doing} failed: ${error.message} ${hint} Nothing was changed or pushed.`);
  }
}

interface SecretTarget {
  projectId: string;
  appId: string;
  app: string;
}

async function setSecret(session: Session, admin: AdminApiSession, target: SecretTarget, name: string, value: string, existing: SecretInfo | undefined): Promise<void> {
  const verb = existing ? "Updating" : "Creating";
  try {
    if (existing) await admin.updateSecret(target.projectId, target.appId, existing, value);
    else await admin.createSecret(target.projectId, target.appId, name, value);
  } catch (error) {
    if (!(error instanceof AdminApiCallError)) throw error;
    throw session.error(
      "secret-set",
      `${verb} secret "${name}" of app "${target.app}" failed: ${error.message} Fix the cause and run deploy again (secrets already set are updated, not duplicated). Nothing was pushed.`,
    );
  }
  session.log(`${existing ? "Updated" : "Created"} secret "${name}"`);
}

async function push(session: Session, app: string, dir: string, dryRun: boolean, into: boolean): Promise<void> {
  if (!into) {
    session.log(
      `Note: push makes app "${app}" match ${dir}; whatever the remote app has that this directory lacks is removed` +
        (dryRun ? " (without --into, a real push needs --replace-app). " : ". ") +
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

// ---------------------------------------------------------------------------------------------
// Command line

const USAGE =
  "usage: npm run deploy -- --app CLIENT_APP_ID --project PROJECT_ID --into DIR [--dry-run] [--admin-api-url URL]\n" +
  "   or: npm run deploy -- --app CLIENT_APP_ID --project PROJECT_ID --replace-app [--dry-run]   (pushes dist/app alone, replacing the whole app)";

export interface DeployArgs {
  app: string;
  project?: string;
  dryRun: boolean;
  into?: string;
  replaceApp: boolean;
  adminApiUrl?: string;
  help: boolean;
}

const OPTIONS = {
  app: { type: "string" },
  project: { type: "string" },
  into: { type: "string" },
  "admin-api-url": { type: "string" },
  "dry-run": { type: "boolean" },
  "replace-app": { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** Strict, like the other CLIs: a misspelled option is an error, never silently ignored. */
export function parseArgs(argv: string[]): DeployArgs {
  let values: { app?: string; project?: string; into?: string; "admin-api-url"?: string; "dry-run"?: boolean; "replace-app"?: boolean; help?: boolean };
  try {
    ({ values } = parseNodeArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new DeployError("usage", `${usageProblem(error)}: ${USAGE}`);
  }
  for (const name of ["app", "project", "into", "admin-api-url"] as const) {
    if (values[name] === "") throw new DeployError("usage", `--${name} needs a value: ${USAGE}`);
  }
  const args: DeployArgs = { app: values.app ?? "", dryRun: values["dry-run"] ?? false, replaceApp: values["replace-app"] ?? false, help: values.help ?? false };
  if (values.project !== undefined) args.project = values.project;
  if (values.into !== undefined) args.into = values.into;
  if (values["admin-api-url"] !== undefined) args.adminApiUrl = values["admin-api-url"];
  if (!args.help && args.app === "") throw new DeployError("usage", `--app is required: ${USAGE}`);
  return args;
}

/** node:util's parse error in this CLI's words: the option and what is wrong with it. */
function usageProblem(error: unknown): string {
  const message = messageOf(error);
  const quoted = /'(-[^' ]*|[^']*)'/.exec(message)?.[1] ?? "";
  const flag = quoted.split(" ")[0];
  const code = (error as { code?: unknown }).code;
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    return message.includes("does not take an argument") ? `${flag} takes no value` : `${flag} needs a value`;
  }
  return `Unknown argument "${quoted}"`;
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  try {
    const args = parseArgs(argv);
    if (args.help) {
      console.log(USAGE);
      return 0;
    }
    await deploy({
      app: args.app,
      dryRun: args.dryRun,
      replaceApp: args.replaceApp,
      ...(args.project === undefined ? {} : { project: args.project }),
      // npm runs the script in the project root: a relative --into means the folder npm was run in.
      ...(args.into === undefined ? {} : { into: path.resolve(invocationDir(), args.into) }),
      ...(args.adminApiUrl === undefined ? {} : { adminApiBaseUrl: args.adminApiUrl }),
    });
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
