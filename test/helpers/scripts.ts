/**
 * The project's scripts run as a user runs them: with the project's own tsx, from the project root.
 */
import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import { PROJECT_ROOT } from "../../build/build";

export const TSX = path.join(PROJECT_ROOT, "node_modules", ".bin", "tsx");

/** Runs `script` (a path from the project root) with tsx; rejects on a non-zero exit, with its stdout and stderr. */
export function runScript(script: string, args: string[] = [], timeout = 60_000): Promise<{ stdout: string; stderr: string }> {
  return promisify(execFile)(TSX, [path.join(PROJECT_ROOT, script), ...args], { cwd: PROJECT_ROOT, timeout });
}

/** Runs `node -e code` from the project root (where its node_modules resolve). */
export function runNodeCode(code: string, timeout = 30_000): Promise<{ stdout: string; stderr: string }> {
  return promisify(execFile)(process.execPath, ["-e", code], { cwd: PROJECT_ROOT, timeout });
}
