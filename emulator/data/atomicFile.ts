/** Atomic file replacement, for the state file and the CLI's secrets file. */
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import { basename, dirname, join } from "node:path";

/**
 * Replaces `file` with `text` or leaves it as it was: a sibling temp file (mode 0600: it may hold
 * keys and password hashes), flushed to disk, renamed over the file; removed on any failure.
 */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  await fs.mkdir(dirname(file), { recursive: true });
  const temp = tempNameFor(file);
  try {
    const handle = await fs.open(temp, "w", 0o600);
    try {
      await handle.writeFile(text, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, file);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
}

/** `<file>.<pid>.<8 hex>.tmp`: the writer's pid tells a leftover from a write in progress. */
function tempNameFor(file: string): string {
  return `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
}

/** Matches the names tempNameFor gives, capturing the pid. */
function tempNamePattern(file: string): RegExp {
  return new RegExp(`^${basename(file).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.(\\d+)\\.[0-9a-f]{8}\\.tmp$`);
}

/**
 * Removes the temp files of `file` that an interrupted writeFileAtomic left (a crash or a kill
 * between open and rename). A temp file whose writer is still running is kept: that write is not
 * interrupted. Returns the names removed. A missing folder has nothing to clean.
 */
export async function removeLeftoverTemps(file: string): Promise<string[]> {
  const dir = dirname(file);
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return [];
  }
  const pattern = tempNamePattern(file);
  const leftovers = names.filter((name) => {
    const pid = pattern.exec(name)?.[1];
    return pid !== undefined && !processIsRunning(Number(pid));
  });
  await Promise.all(leftovers.map((name) => fs.rm(join(dir, name), { force: true })));
  return leftovers;
}

function processIsRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
