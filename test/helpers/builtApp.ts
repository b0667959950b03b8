/**
 * Test harness for the built functions: builds this project once per test file into a temp dir
 * and starts the emulator on 127.0.0.1 (port 0) on it. Function calls go through the emulator's
 * runtime, which loads the real dist files in a vm context with only the App Services globals.
 */
import { join } from "node:path";
import { buildApp } from "../../build/build";
import type { Emulator, EmulatorOptions } from "../../emulator/server";
import type { CallOrigin, RuntimeUser } from "../../emulator/runtime/types";
import { startTestEmulator, tempDir } from "./emulator";

let built: Promise<string> | undefined;

/** The app directory built from this project's sources (once per test file, removed after it). */
export function builtAppDir(): Promise<string> {
  built ??= buildApp({ outDir: join(tempDir("built-app"), "app") }).then((r) => r.outDir);
  return built;
}

export interface Harness {
  emulator: Emulator;
  /** Every line the emulator logged and the functions printed, in order. */
  lines: string[];
}

/** The built app in an emulator; pass `lines` to collect several emulators' output in one place. */
export async function startBuiltApp(options: Partial<EmulatorOptions> = {}, lines: string[] = []): Promise<Harness> {
  const print = (...args: unknown[]) => void lines.push(args.map(String).join(" "));
  const emulator = await startTestEmulator({ appDir: await builtAppDir(), log: print, functionConsole: { log: print, error: print }, ...options });
  return { emulator, lines };
}

export function userOf(id: string, type: RuntimeUser["type"] = "normal", email?: string): RuntimeUser {
  return {
    id,
    type,
    data: email ? { email } : {},
    custom_data: {},
    identities: [{ id: `${id}-identity`, provider_type: type === "server" ? "api-key" : "local-userpass" }],
  };
}

export { SYSTEM_USER } from "../../emulator/runtime/types";

/** The built app with a cleanup plan, an audit collection and one account admin: what the cleanup suites share. */
export async function startBuiltAppWithAdmin(plan: unknown[]): Promise<Harness & { admin: string }> {
  const h = await startBuiltApp({ valueOverrides: { userDataCleanup: plan, deletionAuditCollection: { database: "app", collection: "deletions" } } });
  const admin = await createUser(h.emulator);
  h.emulator.runtime.setValue("accountAdmins", [admin]);
  return { ...h, admin };
}

let emails = 0;
/** A new email/password user in the emulator; returns its id. */
export async function createUser(emulator: Emulator, email = `user${++emails}-${Date.now()}@example.com`): Promise<string> {
  const user = await emulator.state.createEmailPasswordUser(email, "password-123");
  return user.id;
}

/** Calls a function as the given user and returns its result or the error it threw (never both). */
export async function runFunction(
  emulator: Emulator,
  name: string,
  user: RuntimeUser,
  args: unknown[] = [],
  origin: CallOrigin = "client",
): Promise<{ result?: unknown; error?: Error }> {
  try {
    return { result: await emulator.runtime.call(name, args, user, origin) };
  } catch (error) {
    return { error: error as Error };
  }
}

export { JWT_PATTERN } from "../../emulator/accounts/tokens";
