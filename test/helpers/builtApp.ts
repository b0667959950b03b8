/**
 * Test harness for the built functions: builds this project once per test file into a temp dir
 * and starts the emulator on 127.0.0.1 (port 0) on it. Function calls go through the emulator's
 * runtime, which loads the real dist files in a vm context with only the App Services globals.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildApp } from "../../build/build";
import { startEmulator, type Emulator, type EmulatorOptions } from "../../emulator/server";
import type { CallOrigin, RuntimeUser } from "../../emulator/runtime/types";

let built: Promise<string> | undefined;
const dirs: string[] = [];

/** The app directory built from this project's sources (once per test file). */
export function builtAppDir(): Promise<string> {
  if (!built) {
    const dir = mkdtempSync(join(tmpdir(), "built-app-"));
    dirs.push(dir);
    built = buildApp({ outDir: join(dir, "app") }).then((r) => r.outDir);
  }
  return built;
}

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

export interface Harness {
  emulator: Emulator;
  /** Every line the emulator and the functions logged. */
  lines: string[];
}

export async function startBuiltApp(options: Partial<EmulatorOptions> = {}): Promise<Harness> {
  const lines: string[] = [];
  const emulator = await startEmulator({ appDir: await builtAppDir(), log: (line) => lines.push(line), ...options });
  return { emulator, lines };
}

/** Captures what the functions print through the sandbox's console (the host console). */
export function captureConsole(lines: string[]): () => void {
  const log = jest.spyOn(console, "log").mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(" ")));
  const error = jest.spyOn(console, "error").mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(" ")));
  return () => {
    log.mockRestore();
    error.mockRestore();
  };
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

let emails = 0;
/** A new email/password user in the emulator; returns its id. */
export async function createUser(emulator: Emulator, email = `user${++emails}-${Date.now()}@example.com`): Promise<string> {
  const user = await emulator.state.createEmailPasswordUser(email, "password-123");
  return user.id;
}

/** Calls a function as the given user and returns its result or the error it threw (never both). */
export async function callFunction(
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

export { JWT_PATTERN } from "../../emulator/tokens";
