/** Trees of files for tests: write one, or hash one to see that nothing in it changed. */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

/** Every file under `dir` (dotfiles included), by relative path, with the sha256 of its bytes. */
export function hashTree(dir: string): Record<string, string> {
  const hashes: Record<string, string> = {};
  const walk = (relative: string): void => {
    for (const entry of fs.readdirSync(path.join(dir, relative), { withFileTypes: true })) {
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(child);
      else hashes[child] = createHash("sha256").update(fs.readFileSync(path.join(dir, child))).digest("hex");
    }
  };
  walk("");
  return hashes;
}

/** A tree of files: text as it is, anything else as 2-space JSON with a trailing newline. */
export type Tree = Record<string, string | object>;

/** Writes each file of `tree` under `dir`, making the folders on the way. */
export function writeTree(dir: string, tree: Tree): void {
  for (const [file, content] of Object.entries(tree)) {
    const full = path.join(dir, file);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, typeof content === "string" ? content : `${JSON.stringify(content, null, 2)}\n`);
  }
}
