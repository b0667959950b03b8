/**
 * The `--data` file: one JSON file holding the account state and the data service's documents.
 * Reading never writes; writing is atomic (emulator/data/atomicFile.ts).
 */
import { promises as fs } from "node:fs";
import type { StateSnapshot } from "../accounts/accountState";
import { writeFileAtomic } from "./atomicFile";

export const STATE_FILE_FORMAT = "app-services-emulator-state";
export const STATE_FILE_VERSION = 1;

export interface StateFileContents {
  state: StateSnapshot;
  /** DocumentStore.toEJSON(): namespaces to canonical EJSON documents. */
  documents: Record<string, unknown[]>;
}

export class StateFileError extends Error {
  override name = "StateFileError";
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`Cannot load emulator state from ${file}: ${reason}. The file was left unchanged; fix it, move it away, or start with another --data file.`);
  }
}

/**
 * Reads a state file. Undefined when it does not exist (a first start); a StateFileError naming
 * the file when it cannot be read or is not a valid state file. Never writes.
 */
export async function loadStateFile(file: string): Promise<StateFileContents | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    throw new StateFileError(file, `it cannot be read (${code ?? "unknown error"})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new StateFileError(file, "it is not valid JSON");
  }
  const problem = stateFileProblem(parsed);
  if (problem) throw new StateFileError(file, problem);
  const contents = parsed as { state: StateSnapshot; documents: Record<string, unknown[]> };
  return { state: contents.state, documents: contents.documents };
}

function stateFileProblem(value: unknown): string | undefined {
  if (!isObject(value) || value.format !== STATE_FILE_FORMAT) return `it is not an emulator state file (no "format": "${STATE_FILE_FORMAT}")`;
  if (value.version !== STATE_FILE_VERSION) return `it has version ${JSON.stringify(value.version)}; this emulator reads version ${STATE_FILE_VERSION}`;
  const state = value.state;
  if (!isObject(state) || typeof state.signingKey !== "string") return `"state" is missing or has no signingKey`;
  for (const key of ["users", "pending", "sessions"] as const) {
    if (!Array.isArray(state[key])) return `"state.${key}" must be an array`;
  }
  const users = state.users as unknown[];
  const badUser = users.findIndex((u) => !isObject(u) || typeof u.id !== "string" || !Array.isArray(u.identities) || !isObject(u.data));
  if (badUser >= 0) return `"state.users[${badUser}]" is not a user record`;
  const pending = state.pending as unknown[];
  const badPending = pending.findIndex((p) => !isObject(p) || typeof p.id !== "string" || typeof p.email !== "string" || typeof p.passwordHash !== "string");
  if (badPending >= 0) return `"state.pending[${badPending}]" is not a pending registration`;
  const sessions = state.sessions as unknown[];
  const badSession = sessions.findIndex((s) => !isObject(s) || typeof s.id !== "string" || typeof s.subject !== "string" || (s.kind !== "client" && s.kind !== "admin"));
  if (badSession >= 0) return `"state.sessions[${badSession}]" is not a session`;
  const documents = value.documents;
  if (!isObject(documents) || !Object.values(documents).every(Array.isArray)) return `"documents" must map namespaces to arrays of documents`;
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Writes the whole state file atomically. */
export async function writeStateFile(file: string, contents: StateFileContents): Promise<void> {
  const text = JSON.stringify({ format: STATE_FILE_FORMAT, version: STATE_FILE_VERSION, savedAt: new Date().toISOString(), ...contents });
  await writeFileAtomic(file, text);
}
