/**
 * `npm run build [-- --out DIR] [-- --into DIR [--force]]`: builds dist/app and prints a table of
 * the functions; with --into, installs the bundle into an existing app directory.
 */
import { readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { buildApp, PROJECT_ROOT, type BuildResult } from "./build";
import { invocationDir } from "./invocationDir";
import { mergeInto } from "./merge";
import { messageOf } from "../lib/errors";

const USAGE = "usage: npm run build [-- --out DIR] [-- --into DIR [--force]]";
const HELP = `${USAGE}

Builds the function bundle into an App Services app directory (default dist/app).
  --out DIR    write the built app directory here instead of dist/app
  --into DIR   then install the bundle's functions, values and triggers into your app directory DIR
               (the one \`appservices pull --local DIR\` wrote), keeping everything else as it was
  --force      with --into: replace entries of yours with the same name, or bundle entries you changed
  --help       print this help
Relative paths are taken from the folder you ran npm in.`;

class HelpRequested extends Error {
  override name = "HelpRequested";
}

/** Strict: a misspelled option (or --into=DIR's cousins) is an error, never silently ignored. */
function parseBuildArgs(argv: string[]): { out?: string; into?: string; force: boolean } {
  let values: { out?: string; into?: string; force?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({ args: argv, options: { out: { type: "string" }, into: { type: "string" }, force: { type: "boolean" }, help: { type: "boolean" } }, strict: true }));
  } catch (error) {
    const missing = ["out", "into"].find((name) => messageOf(error).includes(`--${name} <value>`));
    throw new Error(`${missing ? `--${missing} needs a directory, e.g. --${missing} ../my-app` : messageOf(error)}\n${USAGE}`);
  }
  if (values.help) throw new HelpRequested(HELP);
  if (values.force && !values.into) throw new Error(`--force only applies with --into DIR.\n${USAGE}`);
  for (const name of ["out", "into"] as const) {
    if (values[name] !== undefined && (values[name] === "" || values[name]!.startsWith("--"))) throw new Error(`--${name} needs a directory, e.g. --${name} ../my-app\n${USAGE}`);
  }
  // npm runs scripts in the project root; INIT_CWD is where the user ran npm.
  const from = (dir: string | undefined) => (dir === undefined ? undefined : resolve(invocationDir(), dir));
  return { out: from(values.out), into: from(values.into), force: values.force ?? false };
}

function formatBuildTable(result: BuildResult): string {
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
  const { out, into, force } = parseBuildArgs(process.argv.slice(2));
  const result = await buildApp({ outDir: out });
  // The install runs before anything is printed: a refused --into prints only the refusal.
  const report = into ? mergeInto(result.outDir, into, { force, version: packageVersion() }) : undefined;
  console.log(formatBuildTable(result));
  console.log(`\nBuilt ${result.functions.length} functions, ${result.values.length} values, ${result.triggers.length} triggers into ${result.outDir.startsWith(PROJECT_ROOT) ? relative(PROJECT_ROOT, result.outDir) : result.outDir} in ${Math.round(result.milliseconds)} ms.`);
  if (into && report) {
    console.log(`Installed into ${into}: ${report.added.length} added, ${report.updated.length} updated, ${report.removed.length} removed, ${report.unchanged.length} unchanged.`);
    for (const { entry, reason } of report.kept) console.log(`Kept ${entry}: ${reason}. Delete it yourself if you no longer need it.`);
  }
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(join(PROJECT_ROOT, "package.json"), "utf8")) as { version: string }).version;
}

if (require.main === module) {
  main().catch((error: Error) => {
    if (error instanceof HelpRequested) {
      console.log(error.message);
      return;
    }
    console.error(`${error.name === "MergeError" ? "Not installed" : "Build failed"}: ${error.message}`);
    process.exit(1);
  });
}
