/**
 * `npm run build [-- --out DIR] [-- --into DIR [--force]]`: builds dist/app and prints a table of
 * the functions; with --into, installs the bundle into an existing app directory.
 */
import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { buildApp, PROJECT_ROOT, type BuildResult } from "./build";
import { mergeInto } from "./merge";

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i === -1) return undefined;
  const value = args[i + 1];
  if (!value || value.startsWith("--")) throw new Error(`${name} needs a directory, e.g. ${name} ../my-app`);
  return value;
}

export function formatBuildTable(result: BuildResult): string {
  const rows = result.functions.map((f) => [
    f.name,
    `${(f.bytes / 1024).toFixed(1)} KiB`,
    f.meta.private ? "private" : "client",
    f.meta.runAsSystem ? "system" : "user",
    f.meta.schedule ?? "",
  ]);
  const header = ["function", "size", "callable by", "runs as", "schedule"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const format = (r: string[]) => r.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd();
  return [format(header), ...rows.map(format)].join("\n");
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const into = option(args, "--into");
  const result = await buildApp({ outDir: option(args, "--out") });
  console.log(formatBuildTable(result));
  console.log(`\nBuilt ${result.functions.length} functions, ${result.values.length} values, ${result.triggers.length} triggers into ${result.outDir.startsWith(PROJECT_ROOT) ? relative(PROJECT_ROOT, result.outDir) : result.outDir} in ${Math.round(result.milliseconds)} ms.`);
  if (into) {
    const { version } = JSON.parse(readFileSync(join(PROJECT_ROOT, "package.json"), "utf8")) as { version: string };
    const report = mergeInto(result.outDir, into, { force: args.includes("--force"), version });
    console.log(`Installed into ${into}: ${report.added.length} added, ${report.updated.length} updated, ${report.removed.length} removed, ${report.unchanged.length} unchanged.`);
  }
}

main().catch((error: Error) => {
  console.error(`Build failed: ${error.message}`);
  process.exit(1);
});
