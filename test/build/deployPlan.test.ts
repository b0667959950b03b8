/**
 * `npm run deploy -- --dry-run` without the App Services CLI or secrets.json: the local plan it
 * prints, built from the real build (test/helpers/builtApp.ts) and a pulled-shaped app directory
 * the bundle is installed into with the real merge (`npm run build -- --into`).
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { deploy, DeployError, type DeployOptions } from "../../build/deploy";
import { MANIFEST_FILE, mergeInto } from "../../build/merge";
import { builtAppDir } from "../helpers/builtApp";
import { writeTree } from "../helpers/tree";

const ROOT = path.join(__dirname, "..", "..");
const APP = "delete-user-abcde";
const PROJECT_ID = "65f0c0de00000000000000a1";
/** Easy to scan for: no printed line may contain any. */
const PUBLIC_KEY = "SECRET-VALUE-PUBLIC-7c1e";
const PRIVATE_KEY = "SECRET-VALUE-PRIVATE-55aa";
const SECRET_MARK = /SECRET-VALUE/;
const EXAMPLE = JSON.parse(fs.readFileSync(path.join(ROOT, "secrets.example.json"), "utf8")) as Record<string, string>;

let built: string;
let work: string;
let project: string;
let logs: string[];

beforeAll(async () => {
  built = await builtAppDir();
});

beforeEach(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "deploy-plan-test-"));
  project = path.join(work, "project");
  fs.cpSync(built, path.join(project, "dist", "app"), { recursive: true });
  fs.copyFileSync(path.join(ROOT, "secrets.example.json"), path.join(project, "secrets.example.json"));
  writeFile("pulled/root_config.json", { name: "production-app", deployment_model: "LOCAL" });
  writeFile("pulled/functions/config.json", [{ name: "onSignup", private: false }]);
  writeFile("pulled/functions/onSignup.js", "exports = async function (user) { return user; };\n");
  writeFile("pulled/data_sources/mongodb-atlas/config.json", { name: "mongodb-atlas", type: "mongodb-atlas" });
  fs.mkdirSync(path.join(work, "empty-bin"));
  logs = [];
});

afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

function writeFile(file: string, content: string | object): void {
  writeTree(project, { [file]: content });
}

function readJson(file: string): unknown {
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

/** No appservices on PATH, no secrets.json unless a test writes one, no network. */
function options(extra: Partial<DeployOptions> = {}): DeployOptions {
  return {
    app: APP,
    project: PROJECT_ID,
    into: "pulled",
    dryRun: true,
    cwd: project,
    env: { PATH: path.join(work, "empty-bin") },
    // Nothing listens here: a dry run that reached the network would fail the test.
    adminApiBaseUrl: "http://127.0.0.1:9/api/admin/v3.0",
    log: (line) => logs.push(line),
    ...extra,
  };
}

/**
 * A copy of the build as an older release had it: without exportCurrentUserData and the
 * sweepOrphanedUserData trigger, another pendingUserMaxAgeDays, deleteUser's config entry
 * different, and a function and trigger since retired.
 */
function olderBuild(): string {
  const old = path.join(work, "old-build");
  fs.cpSync(built, old, { recursive: true });
  const configFile = path.join(old, "functions", "config.json");
  const config = (readJson(configFile) as Array<Record<string, unknown>>)
    .filter((entry) => entry.name !== "exportCurrentUserData")
    .map((entry) => (entry.name === "deleteUser" ? { ...entry, disable_arg_logs: !entry.disable_arg_logs } : entry));
  config.push({ name: "retiredHelper", private: true, run_as_system: true, disable_arg_logs: true });
  fs.writeFileSync(configFile, JSON.stringify(config, null, 2));
  fs.rmSync(path.join(old, "functions", "exportCurrentUserData.js"));
  fs.writeFileSync(path.join(old, "functions", "retiredHelper.js"), "exports = function () { return 1; };\n");
  fs.rmSync(path.join(old, "triggers", "sweepOrphanedUserData.json"));
  const trigger = readJson(path.join(old, "triggers", "purgePendingUsers.json")) as Record<string, unknown>;
  const retired = { ...trigger, name: "retiredNightly", event_processors: { FUNCTION: { config: { function_name: "retiredHelper" } } } };
  fs.writeFileSync(path.join(old, "triggers", "retiredNightly.json"), JSON.stringify(retired, null, 2));
  fs.writeFileSync(path.join(old, "values", "pendingUserMaxAgeDays.json"), JSON.stringify({ name: "pendingUserMaxAgeDays", value: 30, from_secret: false }));
  return old;
}

function builtNames(kind: "functions" | "values" | "triggers"): string[] {
  if (kind === "functions") return (readJson(path.join(built, "functions", "config.json")) as Array<{ name: string }>).map((f) => f.name).sort();
  return fs.readdirSync(path.join(built, kind)).map((file) => (readJson(path.join(built, kind, file)) as { name: string }).name).sort();
}

/** The plan's entry lines ("  + function x"), in the order printed. */
function entryLines(): string[] {
  return logs.filter((line) => /^ {2}[+~=-] (function|value|trigger) /.test(line));
}

function expectNoSecretPrinted(...texts: string[]): void {
  for (const text of [...logs, ...texts]) expect(text).not.toMatch(SECRET_MARK);
}

describe("deploy --dry-run: what a push would send", () => {
  test("a directory behind the build: added, changed and removed entries, and the install to run first", async () => {
    mergeInto(olderBuild(), path.join(project, "pulled"));
    const result = await deploy(options());

    expect(result).toMatchObject({ dryRun: true, remoteSkipped: true, created: [], updated: [] });
    const changes = entryLines().filter((line) => !line.startsWith("  = "));
    expect(changes).toEqual([
      "  + function exportCurrentUserData",
      "  + trigger sweepOrphanedUserData",
      "  ~ function deleteUser",
      "  ~ value pendingUserMaxAgeDays",
      "  - function retiredHelper",
      "  - trigger retiredNightly",
    ]);
    expect(entryLines().filter((line) => line.startsWith("  = "))).toContain("  = function deleteCurrentUser");
    expect(logs).toContain("pulled is not up to date with the build: run `npm run build -- --into pulled` first (deploy pushes the directory as it is and does not install the bundle).");
    // The user's own function and the data source are not the bundle's: never listed.
    expect(logs.join("\n")).not.toContain("onSignup");
  });

  test("after `npm run build -- --into`, the same directory is up to date: every entry unchanged", async () => {
    mergeInto(olderBuild(), path.join(project, "pulled"));
    mergeInto(path.join(project, "dist", "app"), path.join(project, "pulled"));
    await deploy(options());

    const expected = [
      ...builtNames("functions").map((name) => `  = function ${name}`),
      ...builtNames("values").map((name) => `  = value ${name}`),
      ...builtNames("triggers").map((name) => `  = trigger ${name}`),
    ];
    expect(entryLines()).toEqual(expected);
    expect(logs).toContain("pulled is up to date with the build.");
  });

  test("an entry edited in the directory since the install shows as changed", async () => {
    mergeInto(path.join(project, "dist", "app"), path.join(project, "pulled"));
    fs.appendFileSync(path.join(project, "pulled", "functions", "deleteCurrentUser.js"), "\n// hotfix\n");
    await deploy(options());
    expect(entryLines().filter((line) => !line.startsWith("  = "))).toEqual([
      "  ~ function deleteCurrentUser (edited here since the bundle was installed: `npm run build -- --into` keeps the edit and stops unless you pass --force)",
    ]);
    expect(logs.some((line) => line.startsWith("pulled is not up to date"))).toBe(true);
  });

  test("an entry deleted from the directory is one the install restores without --force, as the install does", async () => {
    const pulled = path.join(project, "pulled");
    mergeInto(path.join(project, "dist", "app"), pulled);
    fs.rmSync(path.join(pulled, "functions", "deleteCurrentUser.js"));
    await deploy(options());
    expect(entryLines().filter((line) => !line.startsWith("  = "))).toEqual(["  ~ function deleteCurrentUser"]);
    expect(logs.some((line) => line.includes("would stop here"))).toBe(false);
    // What the dry run promised: the install, without --force, puts it back.
    expect(mergeInto(path.join(project, "dist", "app"), pulled).added).toEqual(["functions/deleteCurrentUser.js"]);
  });

  test("a collision the install would refuse: the entry is marked and the install's refusal printed", async () => {
    writeFile("pulled/values/pendingUserMaxAgeDays.json", { name: "pendingUserMaxAgeDays", value: 90 });
    await deploy(options());
    expect(entryLines()).toContain(
      "  + value pendingUserMaxAgeDays (this directory has its own of that name: `npm run build -- --into` stops unless you pass --force)",
    );
    const refusal = logs.find((line) => line.startsWith("`npm run build -- --into pulled` would stop here: "));
    expect(refusal).toContain('value "pendingUserMaxAgeDays" (values/pendingUserMaxAgeDays.json)');
    expect(() => mergeInto(path.join(project, "dist", "app"), path.join(project, "pulled"))).toThrow('value "pendingUserMaxAgeDays" (values/pendingUserMaxAgeDays.json)');
  });

  test("a pulled directory without the bundle: everything added, and the real deploy needs the install", async () => {
    await deploy(options());
    expect(entryLines()).toHaveLength(builtNames("functions").length + builtNames("values").length + builtNames("triggers").length);
    expect(entryLines().every((line) => line.startsWith("  + "))).toBe(true);
    expect(logs).toContain(`pulled does not have the bundle installed (no ${MANIFEST_FILE}), so a push would deploy none of it.`);
    expect(logs).toContain(`  - The bundle installed in ${path.join(project, "pulled")}: run \`npm run build -- --into pulled\` first.`);
  });

  test("without --into: every function, value and trigger of dist/app, and a warning that the whole app is replaced", async () => {
    await deploy(options({ into: undefined }));
    const listed = logs.filter((line) => /^ {4}(function|value|trigger) /.test(line));
    expect(listed).toEqual([
      ...builtNames("functions").map((name) => `    function ${name}`),
      ...builtNames("values").map((name) => `    value ${name}`),
      ...builtNames("triggers").map((name) => `    trigger ${name}`),
    ]);
    expect(logs.some((line) => line.startsWith(`Warning: a real push of ${path.join("dist", "app")} replaces the whole remote app`) && line.includes("--replace-app"))).toBe(true);
  });

  test("without a build, the dry run says to run `npm run build`", async () => {
    fs.rmSync(path.join(project, "dist"), { recursive: true });
    const error = await deploy(options()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeployError);
    expect(error).toMatchObject({ step: "app-dir" });
    expect((error as Error).message).toContain("run `npm run build` first");
    expect(logs).toEqual([]);
  });
});

describe("deploy --dry-run: secrets and what a real deploy needs", () => {
  beforeEach(() => mergeInto(path.join(project, "dist", "app"), path.join(project, "pulled")));

  test("no CLI and no secrets.json: the plan, each need with its fix, exit code 0 through the real command", async () => {
    const tsx = path.join(ROOT, "node_modules", ".bin", "tsx");
    const run = await promisify(execFile)(tsx, [path.join(ROOT, "build", "deploy.ts"), "--app", APP, "--into", "pulled", "--dry-run"], {
      cwd: project,
      env: { PATH: `${path.join(work, "empty-bin")}${path.delimiter}${path.dirname(process.execPath)}`, HOME: work },
    });
    const lines = run.stdout.split("\n");
    expect(run.stderr).toBe("");
    expect(lines).toContain("pulled is up to date with the build.");
    expect(lines).toContain("    adminApiPrivateKeySecret: secrets.json absent");
    expect(lines).toContain("    adminApiPublicKeySecret: secrets.json absent");
    const needs = lines.filter((line) => line.startsWith("  - "));
    expect(needs).toHaveLength(3);
    expect(needs[0]).toContain("The App Services CLI (`appservices`) is not on PATH. Install it with `npm install -g atlas-app-services-cli`");
    expect(needs[1]).toContain("secrets.json is missing. Copy secrets.example.json to secrets.json");
    expect(needs[2]).toContain("No Atlas project id: pass --project <project id>");
    expect(lines.some((line) => line.startsWith("Dry run done without the remote part") && line.includes("Nothing was set or pushed."))).toBe(true);
  });

  test("the project id can come from the pulled directory's .mdb/app_meta.json", async () => {
    writeFile("pulled/.mdb/app_meta.json", { group_id: PROJECT_ID, app_id: "aaaaaaaaaaaaaaaaaaaaaaaa" });
    await deploy(options({ project: undefined }));
    expect(logs.filter((line) => line.startsWith("  - ")).some((line) => line.includes("project id"))).toBe(false);
  });

  test("a secrets.json with a placeholder: each secret's readiness, never a value", async () => {
    writeFile("secrets.json", { adminApiPublicKeySecret: PUBLIC_KEY, adminApiPrivateKeySecret: EXAMPLE.adminApiPrivateKeySecret });
    const result = await deploy(options());
    expect(result.remoteSkipped).toBe(true);
    expect(logs).toContain("    adminApiPrivateKeySecret: still the placeholder from the example");
    expect(logs).toContain("    adminApiPublicKeySecret: ready");
    expect(logs.filter((line) => line.startsWith("  - ")).some((line) => line.includes("is not ready: still the placeholder from the example: adminApiPrivateKeySecret"))).toBe(true);
    expectNoSecretPrinted();
  });

  test("ready secrets are named, never shown, and the missing CLI alone still skips the remote part", async () => {
    writeFile("secrets.json", { adminApiPublicKeySecret: PUBLIC_KEY, adminApiPrivateKeySecret: PRIVATE_KEY });
    const result = await deploy(options());
    expect(result).toMatchObject({ remoteSkipped: true, created: [], updated: [] });
    expect(logs).toContain("    adminApiPrivateKeySecret: ready");
    expect(logs).toContain("    adminApiPublicKeySecret: ready");
    const needs = logs.filter((line) => line.startsWith("  - "));
    expect(needs).toHaveLength(1);
    expect(needs[0]).toContain("is not on PATH");
    expectNoSecretPrinted(JSON.stringify(result));
  });

  test("an unparsable secrets.json is named without quoting it", async () => {
    fs.writeFileSync(path.join(project, "secrets.json"), `{ "adminApiPrivateKeySecret": ${PRIVATE_KEY} }`);
    await deploy(options());
    expect(logs).toContain("    adminApiPrivateKeySecret: secrets.json not valid JSON");
    expect(logs.filter((line) => line.startsWith("  - ")).some((line) => line.includes("secrets.json is not valid JSON"))).toBe(true);
    expectNoSecretPrinted();
  });
});
