/**
 * `npm run trigger -- NAME`: runs a scheduled trigger's function now in the running emulator
 * (`npm start`), instead of waiting for its schedule. It logs in to the emulator's Admin API with
 * the emulator's own key pair (.emulator/secrets.json), calls POST /emulator/triggers/NAME/run,
 * logs out, and prints the function's result. The flowerbase profile has no Admin API, so this
 * does not work there (it says so).
 * Usage: npm run trigger -- NAME [--url URL] [--secrets FILE]
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { messageOf } from "../lib/errors";
import { invocationDir } from "../build/invocationDir";
import { DEFAULT_PORT, DEFAULT_SECRETS_FILE } from "./cli";
import { ADMIN_API_PREFIX } from "./http/adminApi";
import { TRIGGER_RUN_PREFIX } from "./http/triggerRoute";
import { ADMIN_KEY_SECRETS, parseSecretsMap } from "../build/secretsFile";

const USAGE = `Usage: npm run trigger -- NAME [--url URL] [--secrets FILE]
Runs the scheduled trigger NAME (or the trigger that runs the function NAME, e.g. purgePendingUsers) now,
in the emulator npm start runs at URL (default http://127.0.0.1:${DEFAULT_PORT}), signing in with its key pair
from FILE (default .emulator/secrets.json; pass the --secrets npm start was given).`;

class TriggerCliError extends Error {
  override name = "TriggerCliError";
}

export function parseTriggerArgs(argv: string[]): { name: string; url: string; secretsFile: string } | "help" {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { url: { type: "string" }, secrets: { type: "string" }, help: { type: "boolean" } }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new TriggerCliError(`${messageOf(error)}\n${USAGE}`);
  }
  if (parsed.values.help) return "help";
  if (parsed.positionals.length !== 1) throw new TriggerCliError(`Name one trigger to run, e.g. npm run trigger -- purgePendingUsers.\n${USAGE}`);
  const url = (parsed.values.url ?? `http://127.0.0.1:${DEFAULT_PORT}`).replace(/\/+$/, "");
  if (!/^https?:\/\/[^\s/]+$/.test(url)) throw new TriggerCliError(`--url must be the emulator's URL such as http://127.0.0.1:${DEFAULT_PORT}, got ${JSON.stringify(url)}.\n${USAGE}`);
  const secretsFile = parsed.values.secrets ? resolve(invocationDir(), parsed.values.secrets) : DEFAULT_SECRETS_FILE;
  return { name: parsed.positionals[0], url, secretsFile };
}

function readKeyPair(file: string): { username: string; apiKey: string } {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new TriggerCliError(`Cannot read the emulator's key pair from ${file}: start the emulator with npm start first (it writes that file), or pass --secrets FILE as given to npm start.`);
  }
  const secrets = parseSecretsMap(text, file, false, function triggerCliError(message) {
    return new TriggerCliError(`${message} npm start writes that file: delete it and restart npm start, or pass --secrets FILE as given to npm start.`);
  });
  const username = secrets[ADMIN_KEY_SECRETS.publicKey];
  const apiKey = secrets[ADMIN_KEY_SECRETS.privateKey];
  if (typeof username !== "string" || typeof apiKey !== "string") throw new TriggerCliError(`${file} holds no Admin API key pair: restart npm start, which writes one.`);
  return { username, apiKey };
}

async function request(url: string, init: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch {
    throw new TriggerCliError(`No emulator answers at ${new URL(url).origin}: start it with npm start, or pass --url with the URL it printed.`);
  }
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    body = { error: text.slice(0, 200) };
  }
  return { status: response.status, body };
}

export async function runTrigger(options: { name: string; url: string; secretsFile: string }): Promise<string> {
  const keys = readKeyPair(options.secretsFile);
  const json = { "Content-Type": "application/json" };
  const login = await request(`${options.url}${ADMIN_API_PREFIX}/auth/providers/mongodb-cloud/login`, { method: "POST", headers: json, body: JSON.stringify(keys) });
  if (login.status === 404) {
    // The flowerbase profile answers every Admin API path as unknown: Flowerbase has no Admin API.
    throw new TriggerCliError(
      `The emulator at ${options.url} has no Admin API (it runs --platform flowerbase, as Flowerbase has none), so npm run trigger cannot sign in to run a trigger there. ` +
        "Its scheduler runs the triggers on their schedules; to run one now, start the emulator without --platform flowerbase.",
    );
  }
  if (login.status !== 200) {
    throw new TriggerCliError(`The emulator at ${options.url} refused the key pair in ${options.secretsFile} (status ${login.status}): pass --secrets with the file npm start was given.`);
  }
  const { access_token: access, refresh_token: refresh } = login.body as { access_token: string; refresh_token: string };
  try {
    const run = await request(`${options.url}${TRIGGER_RUN_PREFIX}${encodeURIComponent(options.name)}/run`, { method: "POST", headers: { Authorization: `Bearer ${access}` } });
    if (run.status !== 200) throw new TriggerCliError(`${options.name}: ${String(run.body.error ?? `status ${run.status}`)}`);
    return `${String(run.body.trigger)} -> ${String(run.body.function)} ran: ${JSON.stringify(run.body.result)}`;
  } finally {
    // The Admin API session ends with this run; a failed logout only leaves it to expire.
    await request(`${options.url}${ADMIN_API_PREFIX}/auth/session`, { method: "DELETE", headers: { Authorization: `Bearer ${refresh}` } }).catch(() => undefined);
  }
}

if (require.main === module) {
  Promise.resolve()
    .then(() => parseTriggerArgs(process.argv.slice(2)))
    .then((options) => (options === "help" ? USAGE : runTrigger(options)))
    .then(
      function printOutcome(text: string) {
        console.log(text);
      },
      function reportTriggerFailure(error: unknown) {
        console.error(messageOf(error));
        process.exit(1);
      },
    );
}
