/**
 * The banner `npm start` prints, for an emulator a test started: the options are the CLI's own
 * defaults (parseCliArgs with no arguments) with this emulator's address, and the snippet it
 * prints can be cut out and run as printed.
 */
import { banner, parseCliArgs } from "../../emulator/cli";
import type { DemoSeed } from "../../emulator/seed";
import type { Emulator } from "../../emulator/server";
import type { Platform } from "../../emulator/runtime/types";
import { runNodeCode } from "./scripts";

export function bannerFor(emulator: Emulator, seed: DemoSeed, platform: Platform = "appservices"): string {
  return banner(emulator, seed, { ...parseCliArgs([]), port: emulator.port, host: "127.0.0.1", appId: emulator.clientAppId, secretsFile: "/tmp/secrets.json", platform }, true);
}

/** The realm-web snippet in a banner: from `const Realm` to its closing `})()`. */
export function snippetIn(bannerText: string): string {
  const lines = bannerText.split("\n");
  return lines.slice(lines.findIndex((l) => l.startsWith("const Realm")), lines.findIndex((l) => l.startsWith("})()")) + 1).join("\n");
}

/** Runs a banner's snippet as printed, in a separate node process from the project root; its stdout. */
export async function runSnippet(snippet: string): Promise<string> {
  return (await runNodeCode(snippet)).stdout;
}
