/**
 * Paths inside the app directory `--into` installs into, checked so that nothing is read or
 * written through a symbolic link: a symlinked `values/`, `functions/`, `triggers/` or file would
 * otherwise carry a write (or a removal) outside the directory the user named.
 *
 * The directory the user names may itself be a link (it is resolved once, with realpath); below
 * it, every component is checked with lstat, which never follows a link.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export type PathKind = "missing" | "file" | "directory" | "symlink" | "other";

/** What is at `relative` under `root`, without following a link at its last component. */
export function kindOf(root: string, relative: string): PathKind {
  const stat = fs.lstatSync(path.join(root, relative), { throwIfNoEntry: false });
  if (!stat) return "missing";
  if (stat.isSymbolicLink()) return "symlink";
  if (stat.isFile()) return "file";
  return stat.isDirectory() ? "directory" : "other";
}

/**
 * The first component of `relative` (a "/"-separated path under `root`) that is a symbolic link,
 * as a path relative to `root`; undefined when there is none. Missing components are fine: they
 * are created as real directories.
 */
export function firstSymlink(root: string, relative: string): string | undefined {
  const segments = relative.split("/");
  for (let end = 1; end <= segments.length; end++) {
    const prefix = segments.slice(0, end).join("/");
    const kind = kindOf(root, prefix);
    if (kind === "symlink") return prefix;
    if (kind === "missing") return undefined;
  }
  return undefined;
}

/** Every symbolic link among the given paths' components, once each, sorted. */
export function symlinksAmong(root: string, relatives: readonly string[]): string[] {
  const found = new Set<string>();
  for (const relative of relatives) {
    const link = firstSymlink(root, relative);
    if (link !== undefined) found.add(link);
  }
  return [...found].sort();
}
