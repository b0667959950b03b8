/**
 * `npm run build` as a user runs it: the real CLI in a child process, printing its table, and
 * installing into a directory shaped like `appservices pull` output with --into.
 */
import { hashTree, writeTree } from "../helpers/tree";
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { PROJECT_ROOT } from "../../build/build";

const run = promisify(execFile);
const tsx = join(PROJECT_ROOT, "node_modules", ".bin", "tsx");
const tmp = mkdtempSync(join(tmpdir(), "build-cli-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function build(...args: string[]) {
  return run(tsx, [join(PROJECT_ROOT, "build", "cli.ts"), "--out", join(tmp, "app"), ...args], { cwd: PROJECT_ROOT, timeout: 60_000 });
}

/** A pulled app with its own function, value, trigger, auth and data source config. */
function pulledApp(): string {
  const dir = join(tmp, "pulled");
  const files: Record<string, string> = {
    "root_config.json": '{\n    "name": "my-app",\n    "deployment_model": "GLOBAL"\n}\n',
    "functions/config.json": '[\n    {\n        "name": "sendWelcomeEmail",\n        "private": true\n    }\n]\n',
    "functions/sendWelcomeEmail.js": "exports = async function (user) { return user.id; };\n",
    "values/mailFrom.json": '{ "name": "mailFrom", "value": "hello@example.com", "from_secret": false }\n',
    "triggers/nightly.json": '{ "name": "nightly", "type": "SCHEDULED", "function_name": "sendWelcomeEmail", "config": { "schedule": "0 0 * * *" }, "disabled": false }\n',
    "auth/providers.json": '{ "local-userpass": { "name": "local-userpass", "type": "local-userpass", "disabled": false } }\n',
    "data_sources/mongodb-atlas/config.json": '{ "name": "mongodb-atlas", "type": "mongodb-atlas" }\n',
    ".mdb/meta.json": '{ "client_app_id": "my-app-abcde" }\n',
    // The file the CLI keeps (deployTarget.ts APP_META_FILE): an install leaves it alone too.
    ".mdb/app_meta.json": '{ "client_app_id": "my-app-abcde", "group_id": "65f0c0de00000000000000a1" }\n',
  };
  writeTree(dir, files);
  return dir;
}

describe("npm run build", () => {
  it("prints a table of the functions with their sizes", async () => {
    const { stdout } = await build();
    expect(stdout).toMatch(/^function\s+size\s+callable by\s+runs as\s+schedule$/m);
    expect(stdout).toMatch(/^deleteCurrentUser\s+\d+\.\d KiB\s+client\s+system$/m);
    expect(stdout).toMatch(/^purgePendingUsers\s+\d+\.\d KiB\s+private\s+system\s+0 3 \* \* \*$/m);
    expect(stdout).toMatch(/Built 10 functions, \d+ values, 2 triggers into .* in \d+ ms\./);
  });

  it("installs into a pulled app with --into, leaving everything else byte for byte, and is repeatable", async () => {
    const dir = pulledApp();
    const before = hashTree(dir);
    const { stdout } = await build("--into", dir);
    expect(stdout).toMatch(/Installed into .*: \d+ added, 1 updated, 0 removed/);
    const after = hashTree(dir);
    for (const [file, hash] of Object.entries(before)) {
      if (file !== "functions/config.json") expect([file, after[file]]).toEqual([file, hash]);
    }
    const config = JSON.parse(readFileSync(join(dir, "functions", "config.json"), "utf8")) as Array<{ name: string }>;
    expect(config[0]).toEqual({ name: "sendWelcomeEmail", private: true });
    expect(config.map((c) => c.name)).toEqual(expect.arrayContaining(["deleteCurrentUser", "purgePendingUsers"]));
    expect(after["functions/deleteCurrentUser.js"]).toBeDefined();
    expect(after["triggers/sweepOrphanedUserData.json"]).toBeDefined();

    await build("--into", dir);
    expect(hashTree(dir)).toEqual(after);
  });

  it("fails with the reason and exit code 1 when the target is not an app", async () => {
    const empty = join(tmp, "empty");
    mkdirSync(empty);
    await expect(build("--into", empty)).rejects.toMatchObject({ code: 1, stdout: "", stderr: expect.stringMatching(/^Not installed: .*root_config\.json/m) });
  });

  it("--help prints the usage with --out and --into and exits 0", async () => {
    const { stdout, stderr } = await run(tsx, [join(PROJECT_ROOT, "build", "cli.ts"), "--help"], { cwd: PROJECT_ROOT, timeout: 60_000 });
    expect(stderr).toBe("");
    expect(stdout).toMatch(/^usage: npm run build/);
    expect(stdout).toMatch(/--out DIR +write the built app directory here/);
    expect(stdout).toMatch(/--into DIR +then install/);
  });

  it("takes relative --out and --into from the folder npm was run in (INIT_CWD)", async () => {
    const pulled = pulledApp();
    const env = { ...process.env, INIT_CWD: tmp };
    const { stdout } = await run(tsx, [join(PROJECT_ROOT, "build", "cli.ts"), "--out", "relative-app", "--into", "pulled"], { cwd: PROJECT_ROOT, env, timeout: 60_000 });
    expect(stdout).toMatch(/Installed into .*pulled: \d+ added/);
    expect(readFileSync(join(tmp, "relative-app", "functions", "config.json"), "utf8")).toContain("deleteCurrentUser");
    expect(readFileSync(join(pulled, "functions", "config.json"), "utf8")).toContain("deleteCurrentUser");
  });

  it("refuses to replace a folder that is not an earlier build with --out, and leaves it alone", async () => {
    const dir = pulledApp();
    const before = hashTree(dir);
    await expect(run(tsx, [join(PROJECT_ROOT, "build", "cli.ts"), "--out", dir], { cwd: PROJECT_ROOT, timeout: 60_000 })).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/is not empty and is not an earlier build, so it is not replaced: .*--into/),
    });
    expect(hashTree(dir)).toEqual(before);
  });

  it.each([[["--intoo", "x"]], [["--force"]]])("refuses %j with the usage instead of ignoring it", async (args) => {
    await expect(build(...args)).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/usage: npm run build/) });
  });

  it("says what --into needs when it is given no directory", async () => {
    await expect(build("--into")).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/--into needs a directory/) });
  });
});
