/**
 * The `--data` file: one JSON file holding the account state and the data service's documents.
 * Reading never writes; writing is atomic (emulator/data/atomicFile.ts).
 */
import { promises as fs } from "node:fs";
import { messageOf } from "../../lib/errors";
import { DocumentStore } from "./store";
import type { StateSnapshot } from "../accounts/accountState";
import { removeLeftoverTemps, writeFileAtomic } from "./atomicFile";
import { STATE_FILE_FORMAT, STATE_FILE_VERSION, stateFileSchemaProblems } from "./stateFileSchema";


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
 * Reads a state file at start: removes what interrupted writes left (never the file itself), then
 * reads. Undefined when it does not exist (a first start); a StateFileError naming the file and
 * the fields when it cannot be read or is not a valid state file. Never writes the file.
 */
export async function loadStateFile(file: string): Promise<StateFileContents | undefined> {
  await removeLeftoverTemps(file);
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

/** The first thing wrong with a parsed state file, or undefined. Format and version first: they say what the file is. */
function stateFileProblem(value: unknown): string | undefined {
  const head = typeof value === "object" && value !== null ? (value as { format?: unknown; version?: unknown }) : {};
  if (head.format !== STATE_FILE_FORMAT) return `it is not an emulator state file (no "format": "${STATE_FILE_FORMAT}")`;
  if (head.version !== STATE_FILE_VERSION) return `it has version ${JSON.stringify(head.version)}; this emulator reads version ${STATE_FILE_VERSION}`;
  const problems = stateFileSchemaProblems(value);
  return problems.length ? `it does not match the state file schema: ${problems.join("; ")}` : undefined;
}

/** Writes the whole state file atomically. */
export async function writeStateFile(file: string, contents: StateFileContents): Promise<void> {
  const text = JSON.stringify({ format: STATE_FILE_FORMAT, version: STATE_FILE_VERSION, savedAt: new Date().toISOString(), ...contents });
  await writeFileAtomic(file, text);
}

/** The persisted documents as a store (an empty one without a file); bad documents stop start-up, naming the file. */
export function restoreStore(file: string | undefined, persisted: StateFileContents | undefined): DocumentStore {
  if (!persisted) return new DocumentStore();
  try {
    return DocumentStore.fromEJSON(persisted.documents);
  } catch (error) {
    throw new StateFileError(file ?? "", `its documents are invalid (${messageOf(error)})`);
  }
}
