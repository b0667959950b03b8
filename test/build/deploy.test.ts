import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { deploy, DeployError, parseArgs, parseSecretNames, type DeployOptions, type DeployStep } from "../../build/deploy";
import { MANIFEST_FILE } from "../../build/merge";

/**
 * A stand-in for the `appservices` CLI: appends its argv as one JSON line to $STUB_RECORD, fails
 * (exit 1, echoing its argv, secret values included, to stderr) when $STUB_FAIL names its
 * subcommand ("whoami", "secrets list", "secrets create", "secrets update", "push"), reports a
 * logged-out user when $STUB_LOGGED_OUT is set, and lists the secrets named in $STUB_EXISTING.
 * Its success output also echoes argv, plain and as JSON, so the tests see that echoed output is scrubbed.
 */
const STUB = `#!${process.execPath}
const fs = require("fs");
const args = process.argv.slice(2);
fs.appendFileSync(process.env.STUB_RECORD, JSON.stringify(args) + "\\n");
const command = args[0] === "secrets" ? "secrets " + args[1] : args[0];
if (process.env.STUB_FAIL === command) {
  console.error("error: " + command + " failed for: " + args.join(" "));
  process.exit(1);
}
const log = (fields) => console.log(JSON.stringify({ time: "2026-01-01T00:00:00Z", level: "info", ...fields }));
switch (command) {
  case "whoami":
    console.log(process.env.STUB_LOGGED_OUT ? "No user is currently logged in" : "Currently logged in user: abcdefgh (********-****-****-****-3ba985aa367a)");
    break;
  case "secrets list": {
    const names = (process.env.STUB_EXISTING || "").split(",").filter(Boolean);
    if (names.length === 0) log({ message: "No available secrets to show" });
    else log({ message: "Found " + names.length + " secrets", headers: ["ID", "Name"], data: names.map((Name, i) => ({ ID: "id" + i, Name })) });
    break;
  }
  default:
    console.log("ok: " + args.join(" "));
    console.log("as JSON: " + JSON.stringify(args));
}
`;

/** Easy to scan for: no log line, error message or stack may contain either. */
const VALUE_A = "SECRET-VALUE-ALPHA-7f3e9c";
const VALUE_B = 'SECRET-VALUE-BRAVO-"quoted"-91c2';
const SECRET_MARK = /SECRET-VALUE/;

const EXAMPLE = { adminApiPrivateKey: "<Atlas private API key>", webhookToken: "<token from the webhook provider>" };
const SECRETS = { adminApiPrivateKey: VALUE_A, webhookToken: VALUE_B };
const APP = "delete-user-abcde";

let work: string;
let project: string;
let stubDir: string;
let record: string;
let logs: string[];

beforeEach(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "deploy-test-"));
  project = path.join(work, "project");
  stubDir = path.join(work, "bin");
  record = path.join(work, "calls.jsonl");
  fs.mkdirSync(stubDir);
  fs.writeFileSync(path.join(stubDir, "appservices"), STUB, { mode: 0o755 });
  writeJson("secrets.example.json", EXAMPLE);
  writeJson("secrets.json", SECRETS);
  writeJson("dist/app/root_config.json", { name: "app" });
  logs = [];
});

afterEach(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

function writeJson(file: string, value: unknown): void {
  const full = path.join(project, file);
  fs.mkdirSync(path.dirname(full), { recursive: true });
  fs.writeFileSync(full, `${JSON.stringify(value, null, 2)}\n`);
}

function options(stub: Record<string, string> = {}, extra: Partial<DeployOptions> = {}): DeployOptions {
  return {
    app: APP,
    cwd: project,
    env: { ...process.env, PATH: `${stubDir}${path.delimiter}${process.env.PATH ?? ""}`, STUB_RECORD: record, ...stub },
    log: (line) => logs.push(line),
    ...extra,
  };
}

/** Every argv the stub CLI was called with, in order. */
function calls(): string[][] {
  if (!fs.existsSync(record)) return [];
  return fs.readFileSync(record, "utf8").trim().split("\n").filter(Boolean).map((line) => JSON.parse(line) as string[]);
}

function commands(): string[] {
  return calls().map((args) => (args[0] === "secrets" ? `secrets ${args[1]}` : (args[0] as string)));
}

function expectNoSecretIn(...texts: Array<string | undefined>): void {
  for (const text of [...logs, ...texts]) expect(text ?? "").not.toMatch(SECRET_MARK);
}

async function expectFailure(run: Promise<unknown>, step: DeployStep, ...fragments: string[]): Promise<DeployError> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DeployError);
  const failure = error as DeployError;
  expect({ name: failure.name, step: failure.step }).toEqual({ name: "DeployError", step });
  for (const fragment of fragments) expect(failure.message).toContain(fragment);
  expectNoSecretIn(failure.message, failure.stack, String(failure));
  return failure;
}

describe("deploy", () => {
  test("checks the login, sets secrets, then pushes, in that order and with the CLI's flags", async () => {
    const result = await deploy(options({ STUB_EXISTING: "adminApiPrivateKey,unrelated" }));

    const dir = path.join(project, "dist", "app");
    expect(calls()).toEqual([
      ["whoami"],
      ["secrets", "list", "--app", APP, "--output-format", "json"],
      ["secrets", "update", "--app", APP, "--secret", "adminApiPrivateKey", "--value", VALUE_A],
      ["secrets", "create", "--app", APP, "--name", "webhookToken", "--value", VALUE_B],
      ["push", "--local", dir, "--remote", APP, "--yes"],
    ]);
    expect(result).toEqual({ dir, dryRun: false, created: ["webhookToken"], updated: ["adminApiPrivateKey"] });
    // The stub echoed the values; the log shows *** instead.
    expect(logs.join("\n")).toContain("--value ***");
    expectNoSecretIn();
  });

  test("pushes the --into directory, resolved against the project root", async () => {
    writeJson("pulled/root_config.json", { name: "prod" });
    writeJson(`pulled/${MANIFEST_FILE}`, { functions: [], values: [], triggers: [] });
    await deploy(options({}, { into: "pulled" }));
    expect(calls().at(-1)).toEqual(["push", "--local", path.join(project, "pulled"), "--remote", APP, "--yes"]);
    expectNoSecretIn();
  });

  test("refuses an --into directory the bundle was not installed into, before anything is set", async () => {
    writeJson("pulled/root_config.json", { name: "prod" });
    await expectFailure(deploy(options({}, { into: "pulled" })), "app-dir", "does not have the bundle installed", "npm run build -- --into DIR");
    expect(commands()).not.toContain("push");
    expect(commands().filter((c) => c.startsWith("secrets ") && c !== "secrets list")).toEqual([]);
  });

  test("hides every line of a multi-line secret and a secret with surrounding spaces", async () => {
    const pem = "SECRET-VALUE-BEGIN-KEY\nSECRET-VALUE-MIDDLE-LINE\nSECRET-VALUE-END-KEY";
    writeJson("secrets.json", { adminApiPrivateKey: pem, webhookToken: "  SECRET-VALUE-padded  " });
    await deploy(options());
    expect(logs.length).toBeGreaterThan(3);
    expectNoSecretIn();
  });

  test("--dry-run pushes with --dry-run and touches no secret", async () => {
    const result = await deploy(options({ STUB_EXISTING: "webhookToken" }, { dryRun: true }));
    expect(commands()).toEqual(["whoami", "secrets list", "push"]);
    expect(calls().at(-1)).toEqual(["push", "--local", path.join(project, "dist", "app"), "--remote", APP, "--yes", "--dry-run"]);
    expect(result).toMatchObject({ dryRun: true, created: ["adminApiPrivateKey"], updated: ["webhookToken"] });
    expect(logs).toContain('[dry-run] would create secret "adminApiPrivateKey" (no secret is changed on a dry run)');
    expect(logs).toContain('[dry-run] would update secret "webhookToken" (no secret is changed on a dry run)');
    expectNoSecretIn();
  });

  test("a missing CLI stops everything and says how to install it", async () => {
    const env = { PATH: path.join(work, "empty-bin"), STUB_RECORD: record };
    await expectFailure(
      deploy({ ...options(), env }),
      "cli-missing",
      "npm install -g atlas-app-services-cli",
      "without internet access",
    );
    expect(calls()).toEqual([]);
  });

  test("a logged-out CLI (whoami exits 0) stops before any secret or push", async () => {
    await expectFailure(
      deploy(options({ STUB_LOGGED_OUT: "1" })),
      "not-logged-in",
      "appservices login --api-key <public key> --private-api-key <private key>",
      "Project Owner",
    );
    expect(commands()).toEqual(["whoami"]);
  });

  test("a failing whoami also counts as not logged in", async () => {
    await expectFailure(deploy(options({ STUB_FAIL: "whoami" })), "not-logged-in", "exited with code 1");
    expect(commands()).toEqual(["whoami"]);
  });

  test("a secret missing from secrets.json is named and nothing is set or pushed", async () => {
    writeJson("secrets.json", { adminApiPrivateKey: VALUE_A });
    const error = await expectFailure(deploy(options()), "secrets", "missing: webhookToken");
    expect(error.message).not.toContain("adminApiPrivateKey");
    expect(commands()).toEqual(["whoami"]);
  });

  test("a placeholder or empty secret is named", async () => {
    writeJson("secrets.json", { adminApiPrivateKey: EXAMPLE.adminApiPrivateKey, webhookToken: "  " });
    await expectFailure(
      deploy(options()),
      "secrets",
      "still the placeholder from the example: adminApiPrivateKey",
      "empty: webhookToken",
    );
    expect(commands()).toEqual(["whoami"]);
  });

  test("a missing secrets.json says to copy the example", async () => {
    fs.rmSync(path.join(project, "secrets.json"));
    await expectFailure(deploy(options()), "secrets", "Copy secrets.example.json to secrets.json", "adminApiPrivateKey, webhookToken");
    expect(commands()).toEqual(["whoami"]);
  });

  test("an unparsable secrets.json is reported without quoting it", async () => {
    fs.writeFileSync(path.join(project, "secrets.json"), `{ "adminApiPrivateKey": ${VALUE_A} }`);
    await expectFailure(deploy(options()), "secrets", "secrets.json is not valid JSON");
  });

  test("a missing build stops before any secret is set", async () => {
    fs.rmSync(path.join(project, "dist"), { recursive: true });
    await expectFailure(deploy(options()), "app-dir", "npm run build");
    expect(commands()).toEqual(["whoami"]);
  });

  test("a failing secrets list stops before any secret is set", async () => {
    await expectFailure(deploy(options({ STUB_FAIL: "secrets list" })), "secrets-list", "Project Owner");
    expect(commands()).toEqual(["whoami", "secrets list"]);
  });

  test("a failing secrets create stops the rest, and its echoed value is scrubbed", async () => {
    const error = await expectFailure(
      deploy(options({ STUB_FAIL: "secrets create" })),
      "secret-set",
      'Creating secret "adminApiPrivateKey" failed',
      "--value ***",
      "Nothing was pushed",
    );
    // The stub's stderr (quoted in the message) echoed the value.
    expect(error.message).toContain("error: secrets create failed for: secrets create --app");
    expect(commands()).toEqual(["whoami", "secrets list", "secrets create"]);
  });

  test("a failing secrets update stops the rest", async () => {
    await expectFailure(
      deploy(options({ STUB_FAIL: "secrets update", STUB_EXISTING: "adminApiPrivateKey" })),
      "secret-set",
      'Updating secret "adminApiPrivateKey" failed',
    );
    expect(commands()).toEqual(["whoami", "secrets list", "secrets update"]);
  });

  test("a failing push is reported with the CLI's output", async () => {
    await expectFailure(deploy(options({ STUB_FAIL: "push" })), "push", "exited with code 1", "error: push failed", "--dry-run");
    expect(commands()).toEqual(["whoami", "secrets list", "secrets create", "secrets create", "push"]);
  });

  test("no secrets in the example means none are set", async () => {
    writeJson("secrets.example.json", {});
    fs.rmSync(path.join(project, "secrets.json"));
    const result = await deploy(options());
    expect(commands()).toEqual(["whoami", "secrets list", "push"]);
    expect(result).toMatchObject({ created: [], updated: [] });
  });
});

describe("parseSecretNames", () => {
  test("reads the names from the JSON table", () => {
    const out = `${JSON.stringify({ message: "Found 2 secrets", headers: ["ID", "Name"], data: [{ ID: "1", Name: "a" }, { ID: "2", Name: "b-c" }] })}\n`;
    expect([...parseSecretNames(out)]).toEqual(["a", "b-c"]);
  });

  test("an empty list has no names", () => {
    expect(parseSecretNames(`${JSON.stringify({ message: "No available secrets to show" })}\n`).size).toBe(0);
  });

  test("falls back to the words of a text table", () => {
    const names = parseSecretNames("12:00:00 UTC INFO  Found 1 secrets\n  ID    Name\n  ----  -----\n  6a1f  myKey\n");
    expect(names.has("myKey")).toBe(true);
    expect(names.has("other")).toBe(false);
  });
});

describe("parseArgs", () => {
  test("reads --app, --into and --dry-run in both flag spellings", () => {
    expect(parseArgs(["--app", "my-app", "--dry-run", "--into", "pulled"])).toEqual({ app: "my-app", dryRun: true, into: "pulled", help: false });
    expect(parseArgs(["--app=my-app", "--into=dir"])).toEqual({ app: "my-app", dryRun: false, into: "dir", help: false });
  });

  test("requires --app and rejects unknown arguments", () => {
    expect(() => parseArgs([])).toThrow("--app is required");
    expect(() => parseArgs(["--app"])).toThrow("--app needs a value");
    expect(() => parseArgs(["--app", "x", "--force"])).toThrow('Unknown argument "--force"');
  });
});
