/**
 * `npm start`: builds the bundle, starts the emulator on 127.0.0.1:8787 (by default), seeds a
 * demo into an empty state and prints how to try it with realm-web. Ctrl-C stops it cleanly.
 * Usage: npm start -- [--port N] [--host H] [--app-id ID] [--data FILE] [--secrets FILE] [--latency MS] [--function-time-limit SECONDS] [--allow-origin ORIGIN]... [--confirm-registrations=false] [--platform appservices|flowerbase]
 */
import { messageOf } from "../lib/errors";
import { existsSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { invocationDir } from "../build/invocationDir";
import { PROJECT_ROOT, buildApp } from "../build/build";
import { ADMIN_KEY_SECRETS, parseSecretsMap } from "../build/secretsFile";
import { generateAdminKeyPair } from "./accounts/adminKeys";
import { DEFAULT_CLIENT_APP_ID, startEmulator, type Emulator, type EmulatorOptions } from "./server";
import { FaultPlan } from "./faults";
import { printLine } from "./http/logText";
import { LIMITS } from "./runtime/rules";
import type { Platform } from "./runtime/types";
import { appHasCleanupPlan, demoCleanupPlan, seedDemo, type DemoSeed } from "./seed";
import { removeLeftoverTemps, writeFileAtomic } from "./data/atomicFile";
import { OriginError, parseAllowedOrigin } from "./http/cors";

export const DEFAULT_PORT = 8787;
/** The emulator's own secrets: its Admin API key pair, kept across starts. */
export const DEFAULT_SECRETS_FILE = join(PROJECT_ROOT, ".emulator", "secrets.json");

export interface CliOptions {
  port: number;
  host: string;
  appId: string;
  dataFile?: string;
  /** The emulator's own secrets (its Admin API key pair); never the secrets.json a deploy reads. */
  secretsFile: string;
  /** Added before every Admin API request and data-service call, to make round trips visible. */
  latencyMs: number;
  /** Each function execution's time limit (App Services': 300 s). */
  functionTimeLimitMs: number;
  /** Browser origins allowed to call the client API (empty: the default, http://localhost:* and http://127.0.0.1:*). */
  allowOrigins?: string[];
  /** false: new registrations stay pending (`--confirm-registrations=false`); default true. */
  confirmRegistrations?: boolean;
  /** Which platform the emulator plays (default App Services). */
  platform: Platform;
}

/** A bad command line (or --help): the message holds the usage; exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

const USAGE = "Usage: npm start -- [--port N] [--host H] [--app-id ID] [--data FILE] [--secrets FILE] [--latency MS] [--function-time-limit SECONDS] [--allow-origin ORIGIN]... [--confirm-registrations=false] [--platform appservices|flowerbase]";
const MAX_TIME_LIMIT_SECONDS = LIMITS.timeLimitMs / 1000;

export function parseCliArgs(argv: string[]): CliOptions {
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    values = parseArgs({
      args: argv,
      options: { port: { type: "string" }, host: { type: "string" }, "app-id": { type: "string" }, data: { type: "string" }, secrets: { type: "string" }, latency: { type: "string" }, "function-time-limit": { type: "string" }, "allow-origin": { type: "string", multiple: true }, "confirm-registrations": { type: "string" }, platform: { type: "string" }, help: { type: "boolean" } },
      strict: true,
    }).values;
  } catch (error) {
    throw new UsageError(`${messageOf(error)}\n${USAGE}`);
  }
  if (values.help) throw new UsageError(USAGE);
  const port = values.port === undefined ? DEFAULT_PORT : numberIn(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a whole number from 0 to 65535, got ${JSON.stringify(values.port)}.\n${USAGE}`);
  const latencyMs = values.latency === undefined ? 0 : numberIn(values.latency);
  if (!Number.isFinite(latencyMs) || latencyMs < 0 || latencyMs > 60_000) throw new UsageError(`--latency must be a number of milliseconds from 0 to 60000, got ${JSON.stringify(values.latency)}.\n${USAGE}`);
  const timeLimit = values["function-time-limit"] === undefined ? MAX_TIME_LIMIT_SECONDS : numberIn(values["function-time-limit"]);
  if (!(timeLimit > 0 && timeLimit <= MAX_TIME_LIMIT_SECONDS)) {
    throw new UsageError(`--function-time-limit must be a number of seconds above 0 and at most ${MAX_TIME_LIMIT_SECONDS} (App Services' limit), got ${JSON.stringify(values["function-time-limit"])}.\n${USAGE}`);
  }
  const platform = (values.platform as string | undefined) ?? "appservices";
  if (platform !== "appservices" && platform !== "flowerbase") throw new UsageError(`--platform must be appservices or flowerbase, got ${JSON.stringify(platform)}.\n${USAGE}`);
  const appId = (values["app-id"] as string | undefined) ?? DEFAULT_CLIENT_APP_ID;
  if (!/^[A-Za-z0-9_-]+$/.test(appId)) throw new UsageError(`--app-id may hold letters, digits, "-" and "_" only, got ${JSON.stringify(appId)}.`);
  let allowOrigins: string[];
  try {
    allowOrigins = ((values["allow-origin"] as string[] | undefined) ?? []).map(parseAllowedOrigin);
  } catch (error) {
    if (error instanceof OriginError) throw new UsageError(`${error.message}\n${USAGE}`);
    throw error;
  }
  const confirm = values["confirm-registrations"];
  if (confirm !== undefined && confirm !== "true" && confirm !== "false") {
    throw new UsageError(`--confirm-registrations must be true or false (e.g. --confirm-registrations=false keeps new registrations pending), got ${JSON.stringify(confirm)}.\n${USAGE}`);
  }
  return {
    port,
    allowOrigins,
    confirmRegistrations: confirm !== "false",
    host: (values.host as string | undefined) ?? "127.0.0.1",
    appId,
    dataFile: values.data === undefined ? undefined : resolve(invocationDir(), values.data as string),
    secretsFile: values.secrets === undefined ? DEFAULT_SECRETS_FILE : resolve(invocationDir(), values.secrets as string),
    latencyMs,
    functionTimeLimitMs: timeLimit * 1000,
    platform,
  };
}

/** An option's number; NaN for an empty or blank value, which Number() would read as 0 (`--port=`). */
function numberIn(value: string | boolean | string[]): number {
  return typeof value === "string" && value.trim() !== "" ? Number(value) : NaN;
}



/**
 * The emulator's secrets (shaped like secrets.example.json), kept in .emulator/secrets.json so the
 * generated Admin API key pair stays the same across starts. An unreadable file is reported,
 * never replaced.
 */
export async function loadOrCreateSecrets(file: string): Promise<Record<string, string>> {
  await removeLeftoverTemps(file);
  let secrets: Record<string, string> = {};
  if (existsSync(file)) {
    const parsed = parseSecretsMap(readFileSync(file, "utf8"), file, false, function secretsFileError(message) {
      return new Error(`${message} Fix it or delete it to generate a new Admin API key pair.`);
    });
    if (!Object.values(parsed).every((v) => typeof v === "string")) throw new Error(`${file} must be a JSON object of { "secretName": "value" } strings: fix it or delete it.`);
    secrets = parsed as Record<string, string>;
  }
  if (!secrets[ADMIN_KEY_SECRETS.publicKey] || !secrets[ADMIN_KEY_SECRETS.privateKey]) {
    const pair = generateAdminKeyPair();
    secrets = { ...secrets, [ADMIN_KEY_SECRETS.publicKey]: pair.publicKey, [ADMIN_KEY_SECRETS.privateKey]: pair.privateKey };
    await writeFileAtomic(file, `${JSON.stringify(secrets, null, 2)}\n`);
  }
  return secrets;
}

/** What the CLI prints once the emulator runs: where it is, the demo logins, and a snippet. */
export function banner(emulator: Emulator, seed: DemoSeed, options: CliOptions, cleanupFromDemo: boolean): string {
  // The snippet logs in a demo user that still exists; when all were deleted it registers one again.
  const existing = seed.users.find((u) => u.id);
  const target = existing ?? seed.users[0];
  const lines = [
    "",
    ...platformLines(emulator, options),
    `  account page:   ${emulator.url}/ (sign in, preview, download my data, delete my account)`,
    `  browser origins: ${options.allowOrigins?.length ? options.allowOrigins.join(", ") : "http://localhost:* and http://127.0.0.1:* (--allow-origin ORIGIN to change)"}`,
    ...emulator.nextTriggerRuns().map(({ trigger, at }) => `  trigger:        ${trigger}, next run ${at ? at.toISOString() : "(disabled)"}`),
    ...(options.latencyMs ? [`  latency:        ${options.latencyMs} ms before every Admin API request and data-service call`] : []),
    ...(options.functionTimeLimitMs !== LIMITS.timeLimitMs ? [`  time limit:     ${options.functionTimeLimitMs / 1000} s per function execution (App Services: ${MAX_TIME_LIMIT_SECONDS} s)`] : []),
    ...(options.confirmRegistrations === false ? ["  registrations:  stay pending (--confirm-registrations=false); purgePendingUsers removes old ones"] : []),
    `  state:          ${options.dataFile ? `saved in ${options.dataFile}` : "in memory (pass --data FILE to keep it)"}`,
    "",
    seed.seeded ? "Demo users (seeded now):" : "Demo users (seeded earlier; still there unless deleted):",
    ...seed.users.map((u) => `  ${u.email}  password: ${u.password}${u.id ? `  id: ${u.id}` : "  (deleted)"}`),
    `Demo data: demo.notes (owner_id) and demo.comments (author_id).${cleanupFromDemo ? " The emulator set a userDataCleanup plan for them: notes are deleted, comments anonymized." : ""}`,
    "",
    "Try it: run `node` in this folder and paste:",
    "",
    `const Realm = require("realm-web");`,
    `(async () => {`,
    `  const app = new Realm.App({ id: ${JSON.stringify(emulator.clientAppId)}, baseUrl: ${JSON.stringify(emulator.url)} });`,
    ...(existing ? [] : [`  await app.emailPasswordAuth.registerUser({ email: ${JSON.stringify(target.email)}, password: ${JSON.stringify(target.password)} });`]),
    `  const credentials = Realm.Credentials.emailPassword(${JSON.stringify(target.email)}, ${JSON.stringify(target.password)});`,
    `  const user = await app.logIn(credentials);`,
    `  const receipt = await user.functions.deleteCurrentUser();`,
    `  console.log("receipt:", JSON.stringify(receipt, null, 2));`,
    `  try {`,
    `    await app.logIn(credentials);`,
    `    console.log("unexpected: logging in again worked");`,
    `  } catch (err) {`,
    `    console.log("logging in again fails, as it should:", err.message);`,
    `  }`,
    // Run again once this user is gone, it ends in this one line instead of an unhandled rejection.
    `})().catch((err) => console.log("The snippet stopped: " + (err.error || err.message) + ". Was ${target.email} deleted by an earlier run? npm start prints a fresh snippet when it starts again."));`,
    "",
    "Press Ctrl-C to stop.",
  ];
  return lines.join("\n");
}

function platformLines(emulator: Emulator, options: CliOptions): string[] {
  if (emulator.platform === "flowerbase") {
    return [
      `Flowerbase emulator running at ${emulator.url}`,
      `  client app id:  ${emulator.clientAppId}`,
      `  users:          documents in main.auth_users (Flowerbase's shapes); values from dist/app/flowerbase.env; no Admin API`,
    ];
  }
  return [
    `App Services emulator running at ${emulator.url}`,
    `  client app id:  ${emulator.clientAppId}`,
    `  Admin API:      ${emulator.adminApiBaseUrl} (group ${emulator.appInfo.projectId}, app ${emulator.appInfo.id}; key pair in ${options.secretsFile.startsWith(PROJECT_ROOT) ? relative(PROJECT_ROOT, options.secretsFile) : options.secretsFile})`,
  ];
}

export async function main(argv: string[]): Promise<Emulator> {
  const options = parseCliArgs(argv);
  printLine("Building the function bundle...");
  const build = await buildApp();
  printLine(`Built ${build.functions.length} functions into ${build.outDir}`);
  const secrets = await loadOrCreateSecrets(options.secretsFile);
  const cleanupFromDemo = !appHasCleanupPlan(build.outDir);
  const emulator = await startEmulator(emulatorOptions(options, build.outDir, secrets));
  const seed = await seedDemo(emulator);
  await emulator.persist();
  printLine(banner(emulator, seed, options, cleanupFromDemo));
  stopOnSignals(emulator);
  return emulator;
}

/** The command line as startEmulator's options: the CLI runs triggers and logs each call with a timestamp. */
function emulatorOptions(options: CliOptions, appDir: string, secrets: Record<string, string>): EmulatorOptions {
  const faults = new FaultPlan();
  faults.latencyMs = options.latencyMs;
  return {
    appDir,
    host: options.host,
    port: options.port,
    clientAppId: options.appId,
    dataFile: options.dataFile,
    secrets,
    faults,
    runTriggers: true,
    functionTimeoutMs: options.functionTimeLimitMs,
    allowOrigins: options.allowOrigins,
    requireEmailConfirmation: options.confirmRegistrations === false,
    platform: options.platform,
    // Used only while the app's own plan is empty, so deleting an account visibly removes demo data.
    valueFallbacks: { userDataCleanup: demoCleanupPlan() },
    log: function logFunctionCall(line) {
      printLine(`[${new Date().toISOString()}] ${line}`);
    },
  };
}

/** Ctrl-C, SIGTERM or a vanished parent close the emulator (its state saved) and exit. */
function stopOnSignals(emulator: Emulator): void {
  let stopping = false;
  const stop = function stopOnSignal(signal: NodeJS.Signals | "parent process gone") {
    if (stopping) return;
    stopping = true;
    printLine(`\n${signal}: stopping the emulator...`);
    emulator.close().then(
      function exitCleanly() {
        process.exit(0);
      },
      function exitOnCloseError(error: unknown) {
        console.error(`Stopping failed: ${messageOf(error)}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  stopWhenOrphaned(() => stop("parent process gone"));
}

/**
 * How npm start and npm run dev end when start-up fails: --help prints the usage and exits 0, a
 * bad command line prints it and exits 2, anything else prints the error and exits 1.
 * `describeUsage` rewords the usage for the script that started (npm run dev).
 */
export function reportStartFailure(error: unknown, describeUsage: (usage: string) => string = (usage) => usage): never {
  if (error instanceof UsageError && process.argv.includes("--help")) {
    console.log(describeUsage(messageOf(error)));
    process.exit(0);
  }
  console.error(error instanceof UsageError ? describeUsage(messageOf(error)) : messageOf(error));
  process.exit(error instanceof UsageError ? 2 : 1);
}

/**
 * Stops when the process that started this one is gone (npm or tsx killed outright): an orphaned
 * emulator would keep serving its port with nobody left to stop it.
 */
function stopWhenOrphaned(stop: () => void): void {
  const parent = process.ppid;
  const timer = setInterval(function checkParent() {
    if (process.ppid !== parent) stop();
  }, 500);
  timer.unref();
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => reportStartFailure(error));
}
