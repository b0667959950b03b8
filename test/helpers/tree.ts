/** Every file under `dir` (dotfiles included), by relative path, with the sha256 of its bytes. */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

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
