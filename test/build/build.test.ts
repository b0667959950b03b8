/**
 * The build, run on real inputs: this project, and fixture projects that each break one rule.
 * Outputs are inspected and loaded the way App Services loads them.
 */
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import vm from "node:vm";
import { buildApp, PROJECT_ROOT, type BuildResult } from "../../build/build";
import { writeTree } from "../helpers/tree";

const tmp = mkdtempSync(join(tmpdir(), "build-test-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("the project's build", () => {
  let result: BuildResult;
  beforeAll(async () => {
    result = await buildApp({ outDir: join(tmp, "app") });
  });

  it("writes an App Services app directory", () => {
    const out = result.outDir;
    expect(readdirSync(out).sort()).toEqual(["flowerbase.env", "functions", "root_config.json", "triggers", "values"]);
    const config = JSON.parse(readFileSync(join(out, "functions", "config.json"), "utf8"));
    const names = config.map((c: { name: string }) => c.name);
    expect(names).toEqual(expect.arrayContaining(["deleteCurrentUser", "deleteUser", "disableUser", "enableUser", "logoutUser", "deletePendingUser", "purgePendingUsers", "sweepOrphanedUserData"]));
    for (const name of names) expect(readdirSync(join(out, "functions"))).toContain(`${name}.js`);
    expect(config.find((c: { name: string }) => c.name === "deleteCurrentUser")).toEqual({ name: "deleteCurrentUser", private: false, run_as_system: true, disable_arg_logs: false });
    expect(config.find((c: { name: string }) => c.name === "deletePendingUser").disable_arg_logs).toBe(true);
    expect(config.find((c: { name: string }) => c.name === "purgePendingUsers").private).toBe(true);
  });

  it("writes flowerbase.env: one NAME=value line per value, JSON for non-strings, secrets named in a comment only", () => {
    const text = readFileSync(join(result.outDir, "flowerbase.env"), "utf8");
    const lines = text.split("\n").filter((line) => line && !line.startsWith("#"));
    const values = readdirSync(join(result.outDir, "values")).map((f) => JSON.parse(readFileSync(join(result.outDir, "values", f), "utf8")));
    const expected = values.filter((v) => !v.from_secret).map((v) => `${v.name}=${typeof v.value === "string" ? v.value : JSON.stringify(v.value)}`);
    expect(lines.sort()).toEqual(expected.sort());
    expect(lines).toEqual(expect.arrayContaining(["userDataCleanup=[]", "accountAdmins=[]", "pendingUserMaxAgeDays=7", "deletionAuditCollection=null"]));
    expect(text).toMatch(/^# Left out, they come from secrets.*: adminApiPrivateKey, adminApiPublicKey$/m);
    expect(text).not.toMatch(/^adminApiP(ublic|rivate)Key=/m);
    expect(text).not.toContain("adminApiPrivateKeySecret");
  });

  it("writes a scheduled trigger for each function with a schedule", () => {
    const trigger = JSON.parse(readFileSync(join(result.outDir, "triggers", "purgePendingUsers.json"), "utf8"));
    expect(trigger).toEqual({
      name: "purgePendingUsers",
      type: "SCHEDULED",
      disabled: false,
      config: { schedule: "0 3 * * *" },
      event_processors: { FUNCTION: { config: { function_name: "purgePendingUsers" } } },
    });
  });

  it("copies the values, with the key values backed by secrets", () => {
    const value = JSON.parse(readFileSync(join(result.outDir, "values", "adminApiPrivateKey.json"), "utf8"));
    expect(value).toEqual({ name: "adminApiPrivateKey", value: "adminApiPrivateKeySecret", from_secret: true });
    expect(result.values).toContain("userDataCleanup");
  });

  it("makes every function file self-contained, readable and ending with a bare exports assignment", () => {
    for (const fn of result.functions) {
      const code = readFileSync(fn.file, "utf8");
      expect(code).not.toMatch(/\bmodule\.exports\b|\brequire\(/);
      expect(code.trimEnd()).toMatch(/\nexports = async function \(\.\.\.args\) \{\n[^\n]+\n\};$/);
      expect(code.split("\n").length).toBeGreaterThan(100); // not minified
      expect(fn.bytes).toBe(Buffer.byteLength(code));
    }
  });

  it("leaves the emulator's table of forbidden members out of every function file (lib/ takes the limits from lib/limits.ts)", () => {
    for (const fn of result.functions) {
      const code = readFileSync(fn.file, "utf8");
      expect(code).not.toContain("Math methods");
      expect(code).not.toContain("no-math-es2015");
    }
  });

  it("gives files that load in a context without module, require, process or fetch", () => {
    const code = readFileSync(join(result.outDir, "functions", "deleteCurrentUser.js"), "utf8");
    const sandbox = vm.createContext({ exports: undefined });
    vm.runInContext(code, sandbox);
    expect(typeof sandbox.exports).toBe("function");
    expect(vm.runInContext("typeof module + typeof require + typeof process + typeof fetch", sandbox)).toBe("undefinedundefinedundefinedundefined");
  });
});

/** A minimal project: one function, the values and secrets it needs. */
function fixtureProject(name: string, files: Record<string, string>): string {
  const dir = join(tmp, name);
  mkdirSync(join(dir, "functions"), { recursive: true });
  cpSync(join(PROJECT_ROOT, "lib"), join(dir, "lib"), { recursive: true });
  writeFileSync(join(dir, "root_config.json"), '{ "name": "fixture" }');
  writeFileSync(join(dir, "secrets.example.json"), '{ "keySecret": "<placeholder>" }');
  const all = {
    "functions/hello.ts": `import { defineFunction } from "../lib/functionMeta";\nexport const meta = defineFunction({ private: false, runAsSystem: false, disableArgLogs: false });\nexport default async function hello() { return "hi"; }\n`,
    ...files,
  };
  writeTree(dir, all);
  return dir;
}

const failBuild = (dir: string) => buildApp({ projectDir: dir, outDir: join(dir, "dist") });

describe("build failures name the file and the fix", () => {
  it("accepts the minimal fixture", async () => {
    const result = await failBuild(fixtureProject("ok", {}));
    expect(result.functions.map((f) => f.name)).toEqual(["hello"]);
  });

  it("refuses a function without a default export", async () => {
    const dir = fixtureProject("no-default", { "functions/hello.ts": `export const meta = { private: false, runAsSystem: false, disableArgLogs: false };\nexport async function hello() {}\n` });
    await expect(failBuild(dir)).rejects.toThrow(/functions\/hello\.ts has no default export/);
  });

  it("refuses metadata that is not valid", async () => {
    const dir = fixtureProject("bad-meta", { "functions/hello.ts": `export const meta = { private: "no", runAsSystem: false, disableArgLogs: false };\nexport default async function hello() {}\n` });
    await expect(failBuild(dir)).rejects.toThrow(/functions\/hello\.ts: meta\.private must be true or false/);
  });

  it("refuses an unknown metadata key, so a misspelling cannot pass unnoticed", async () => {
    const dir = fixtureProject("meta-typo", { "functions/hello.ts": `export const meta = { private: true, runAsSystem: true, disableArgLogs: false, shedule: "0 3 * * *" };\nexport default async function hello() {}\n` });
    await expect(failBuild(dir)).rejects.toThrow(/functions\/hello\.ts: unknown meta key\(s\) shedule/);
  });

  it("refuses missing metadata", async () => {
    const dir = fixtureProject("no-meta", { "functions/hello.ts": `export default async function hello() {}\n` });
    await expect(failBuild(dir)).rejects.toThrow(/functions\/hello\.ts exports no metadata/);
  });

  it("refuses a schedule that is not cron", async () => {
    const dir = fixtureProject("bad-cron", { "functions/hello.ts": `export const meta = { private: true, runAsSystem: true, disableArgLogs: false, schedule: "daily" };\nexport default async function hello() {}\n` });
    await expect(failBuild(dir)).rejects.toThrow(/meta\.schedule must be a 5-field cron expression.*"daily": it needs exactly five fields/);
  });

  it("refuses a cron schedule with an impossible field", async () => {
    const dir = fixtureProject("bad-minute", { "functions/hello.ts": `export const meta = { private: true, runAsSystem: true, disableArgLogs: false, schedule: "99 3 * * *" };\nexport default async function hello() {}\n` });
    await expect(failBuild(dir)).rejects.toThrow(/meta\.schedule must be a 5-field cron expression such as "0 3 \* \* \*", got "99 3 \* \* \*": /);
  });

  it("refuses a value that names a secret missing from secrets.example.json", async () => {
    const dir = fixtureProject("bad-secret", { "values/key.json": `{ "name": "key", "value": "otherSecret", "from_secret": true }` });
    await expect(failBuild(dir)).rejects.toThrow(/values\/key\.json reads the secret "otherSecret", which secrets.example.json does not list/);
  });

  it("refuses a secret name App Services would refuse, as deploy does", async () => {
    const dir = fixtureProject("bad-secret-name", {});
    writeFileSync(join(dir, "secrets.example.json"), '{ "my secret!": "<placeholder>" }');
    await expect(failBuild(dir)).rejects.toThrow(/secrets\.example\.json has secret names App Services does not accept .*: my secret!/);
  });

  it("refuses a value whose name does not match its file", async () => {
    const dir = fixtureProject("bad-value", { "values/key.json": `{ "name": "other", "value": 1 }` });
    await expect(failBuild(dir)).rejects.toThrow(/values\/key\.json: "name" must be "key"/);
  });

  it("refuses a project without function sources", async () => {
    const dir = fixtureProject("no-sources", {});
    rmSync(join(dir, "functions", "hello.ts"));
    await expect(failBuild(dir)).rejects.toThrow(/^No function sources found in .*functions: add one TypeScript file per function\.$/);
  });

  it("refuses a value file without \"value\"", async () => {
    const dir = fixtureProject("no-value", { "values/key.json": `{ "name": "key" }` });
    await expect(failBuild(dir)).rejects.toThrow(/^values\/key\.json: "value" is missing\.$/);
  });

  it("refuses from_secret that is not true or false", async () => {
    const dir = fixtureProject("bad-from-secret", { "values/key.json": `{ "name": "key", "value": "keySecret", "from_secret": "yes" }` });
    await expect(failBuild(dir)).rejects.toThrow(/^values\/key\.json: "from_secret" must be true or false\.$/);
  });

  it("refuses a missing root_config.json", async () => {
    const dir = fixtureProject("no-root-config", {});
    rmSync(join(dir, "root_config.json"));
    await expect(failBuild(dir)).rejects.toThrow(/root_config\.json is missing\.$/);
  });

  it("refuses a root_config.json that is not JSON", async () => {
    const dir = fixtureProject("bad-root-config", {});
    writeFileSync(join(dir, "root_config.json"), "{ name: fixture }");
    await expect(failBuild(dir)).rejects.toThrow(/root_config\.json is not valid JSON: /);
  });

  it.each([
    ["a name that is not an environment variable name", "my-value", "1", /values\/my-value\.json: "my-value" is not a valid environment variable name \(letters, digits and _\): rename the value\./],
    ["a value with a line break", "multi", '"one\\ntwo"', /values\/multi\.json: the value cannot be written on one environment line \(a line break, or not JSON\): change the value\./],
    ["a value that needs quoting and holds a quote", "quoted", `"#it's"`, /values\/quoted\.json: the value needs quoting \(it starts with a quote or holds #\) and holds a ' too: change the value\./],
  ])("refuses a value flowerbase.env cannot hold: %s", async (_, name, value, message) => {
    const dir = fixtureProject(`env-${name}`, { [`values/${name}.json`]: `{ "name": "${name}", "value": ${value} }` });
    await expect(failBuild(dir)).rejects.toThrow(message);
  });

  it("refuses a function that bundles a package from node_modules", async () => {
    const dir = fixtureProject("packaged", {
      "functions/hello.ts": `import { meta as m } from "fake-pkg";\nexport const meta = m;\nexport default async function hello() {}\n`,
      "node_modules/fake-pkg/index.js": `export const meta = { private: false, runAsSystem: false, disableArgLogs: false };\n`,
      "node_modules/fake-pkg/package.json": `{ "name": "fake-pkg", "main": "index.js" }`,
    });
    await expect(failBuild(dir)).rejects.toThrow(/functions\/hello\.ts bundles code from node_modules/);
  });

  it("refuses code the runtime rejects, naming the source file, line, column and rule", async () => {
    const dir = fixtureProject("proxy", {
      "functions/hello.ts": `import { defineFunction } from "../lib/functionMeta";\nexport const meta = defineFunction({ private: false, runAsSystem: false, disableArgLogs: false });\nexport default async function hello() { return new Proxy({}, {}); }\n`,
    });
    await expect(failBuild(dir)).rejects.toThrow(/^hello builds into code the App Services runtime rejects:\nfunctions\/hello\.ts:3:52 no-proxy: Proxy is not supported/);
  });

  it("reports an esbuild syntax error with its file", async () => {
    const dir = fixtureProject("syntax", { "functions/hello.ts": `export default async function hello( {\n` });
    await expect(failBuild(dir)).rejects.toThrow(/functions\/hello\.ts: esbuild failed: .*hello\.ts:\d+/);
  });
});

describe("the output folder is replaced only when it is an earlier build", () => {
  it("refuses an app directory whose only functions are the bundle's, naming what the build does not write", async () => {
    const dir = fixtureProject("out-is-app", {});
    const out = join(dir, "dist");
    await failBuild(dir);
    // What --into leaves: the bundle's functions next to the app's own configuration.
    mkdirSync(join(out, "auth"));
    writeFileSync(join(out, "auth", "providers.json"), "{}");
    writeFileSync(join(out, ".app-services-bundle.json"), "{}");
    await expect(failBuild(dir)).rejects.toThrow(/is not an earlier build, so it is not replaced: it holds "\.app-services-bundle\.json", "auth", which no build writes\. Choose another --out/);
    expect(readdirSync(out).sort()).toEqual([".app-services-bundle.json", "auth", "flowerbase.env", "functions", "root_config.json"]);
    expect(readFileSync(join(out, "auth", "providers.json"), "utf8")).toBe("{}");
  });

  it("replaces an earlier build", async () => {
    const dir = fixtureProject("out-rebuilt", {});
    await failBuild(dir);
    const result = await failBuild(dir);
    expect(result.functions.map((f) => f.name)).toEqual(["hello"]);
  });
});

describe("a failed build", () => {
  it("leaves the previous build whole when flowerbase.env cannot be written", async () => {
    const dir = fixtureProject("env-fails", { "values/good.json": '{ "name": "good", "value": 1 }' });
    const out = join(dir, "dist");
    await failBuild(dir);
    const before = readdirSync(out).sort();
    writeFileSync(join(dir, "values", "my-value.json"), '{ "name": "my-value", "value": 1 }');
    await expect(failBuild(dir)).rejects.toThrow(/values\/my-value\.json: "my-value" is not a valid environment variable name/);
    expect(readdirSync(out).sort()).toEqual(before);
    expect(readdirSync(join(out, "functions")).sort()).toEqual(["config.json", "hello.js"]);
    expect(readFileSync(join(out, "flowerbase.env"), "utf8")).toMatch(/^good=1$/m);
  });
});
