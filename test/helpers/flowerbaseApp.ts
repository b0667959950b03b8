/**
 * A Flowerbase app directory as a team that moved there keeps it (its own function and trigger,
 * the data source folder Flowerbase needs at start-up, its auth providers), with the bundle
 * installed into it by the real `--into` merge. The Flowerbase profile's suites run this, so what
 * they prove holds for the bundle merged into such an app, not only for dist/app alone.
 * Shapes from flowerforce/flowerbase (packages/flowerbase/src): functions/config.json and
 * <name>.js (features/functions/utils.ts:12-36), triggers in the event_processors form
 * (features/triggers/index.ts:72), data_sources/mongodb-atlas/ (features/rules/utils.ts:5-7).
 */
import * as path from "node:path";
import { mergeInto } from "../../build/merge";
import { builtAppDir } from "./builtApp";
import { tempDir } from "./emulator";
import { writeTree } from "./tree";

const OWN_FILES: Record<string, string> = {
  "functions/config.json": JSON.stringify([{ name: "appHello", private: false, run_as_system: false }], null, 2),
  "functions/appHello.js": 'exports = async function () { return "hello from the app"; };\n',
  "triggers/appNightly.json": JSON.stringify({ name: "appNightly", type: "SCHEDULED", disabled: true, config: { schedule: "0 1 * * *" }, event_processors: { FUNCTION: { config: { function_name: "appHello" } } } }, null, 2),
  "data_sources/mongodb-atlas/config.json": JSON.stringify({ name: "mongodb-atlas", type: "mongodb-atlas" }),
  "auth/providers.json": JSON.stringify({ "local-userpass": { name: "local-userpass", type: "local-userpass", disabled: false } }, null, 2),
};

/** A fresh Flowerbase-shaped app with the current build installed into it; returns its directory. */
export async function flowerbaseAppWithBundle(): Promise<string> {
  const dir = path.join(tempDir("flowerbase-app"), "app");
  writeTree(dir, OWN_FILES);
  mergeInto(await builtAppDir(), dir);
  return dir;
}
