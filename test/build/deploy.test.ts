/**
 * `npm run deploy` against the emulator's Admin API (secrets) and a stand-in `appservices` CLI
 * (whoami, push), over real HTTP on 127.0.0.1. No secret value may reach the CLI's argv or
 * environment, a log line, an error, or the emulator's log.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { deploy, DeployError, main, parseArgs, type DeployOptions, type DeployStep } from "../../build/deploy";
import { MANIFEST_FILE } from "../../build/merge";
import { AdminSecretStore } from "../../emulator/http/adminSecrets";
import { makeFixtureApp, startTestEmulator } from "../helpers/emulator";
import { writeTree } from "../helpers/tree";

/**
 * A stand-in for the `appservices` CLI: appends `{ args, env }` as one JSON line to $STUB_RECORD,
 * fails (exit 1, echoing its argv to stderr) when $STUB_FAIL names its subcommand ("whoami",
 * "push"), and reports a logged-out user when $STUB_LOGGED_OUT is set.
 */
const STUB = `#!${process.execPath}
const fs = require("fs");
const args = process.argv.slice(2);
fs.appendFileSync(process.env.STUB_RECORD, JSON.stringify({ args, env: process.env }) + "\\n");
const command = args[0];
if (process.env.STUB_FAIL === command) {
  console.error("error: " + command + " failed for: " + args.join(" "));
  process.exit(1);
}
if (command === "whoami") {
  console.log(process.env.STUB_LOGGED_OUT ? "No user is currently logged in" : "Currently logged in user: abcdefgh (********-****-****-****-3ba985aa367a)");
} else {
  console.log("ok: " + args.join(" "));
}
`;

/** Easy to scan for: no argv, environment, log line, error message or stack may contain any. */
const PUBLIC_KEY = "SECRET-VALUE-PUBLIC-4b1d";
const PRIVATE_KEY = "SECRET-VALUE-PRIVATE-0e77-9a41";
const VALUE_B = 'SECRET-VALUE-BRAVO-"quoted"-91c2';
const SECRET_MARK = /SECRET-VALUE/;

const EXAMPLE = {
  adminApiPublicKeySecret: "<public key>",
  adminApiPrivateKeySecret: "<private key>",
  webhookToken: "<token from the webhook provider>",
};
const SECRETS = { adminApiPublicKeySecret: PUBLIC_KEY, adminApiPrivateKeySecret: PRIVATE_KEY, webhookToken: VALUE_B };
const APP = "delete-user-abcde";

type TestEmulator = Awaited<ReturnType<typeof startTestEmulator>>;
let emulator: TestEmulator;
const store = new AdminSecretStore();

let work: string;
let project: string;
let stubDir: string;
let record: string;
let logs: string[];

beforeAll(async () => {
  emulator = await startTestEmulator({
    appDir: makeFixtureApp(),
    clientAppId: APP,
    secrets: { adminApiPublicKeySecret: PUBLIC_KEY, adminApiPrivateKeySecret: PRIVATE_KEY },
    adminSecrets: store,
  });
});
afterAll(() => emulator?.close());

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
  // An empty build: a dry run compares the pushed directory with it (deployPlan.test.ts uses a real one).
  writeJson("dist/app/functions/config.json", []);
  writeJson("pulled/root_config.json", { name: "prod" });
  writeJson(`pulled/${MANIFEST_FILE}`, { functions: [], values: [], triggers: [] });
  for (const { _id } of store.list()) store.delete(_id);
  emulator.faults.clear();
  logs = [];
});

afterEach(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

function writeJson(file: string, value: object): void {
  writeTree(project, { [file]: value });
}

function options(extra: Partial<DeployOptions> = {}, stub: Record<string, string> = {}): DeployOptions {
  return {
    app: APP,
    project: emulator.appInfo.projectId,
    into: "pulled",
    adminApiBaseUrl: emulator.adminApiBaseUrl,
    cwd: project,
    env: { ...process.env, PATH: `${stubDir}${path.delimiter}${process.env.PATH ?? ""}`, STUB_RECORD: record, ...stub },
    log: (line) => logs.push(line),
    ...extra,
  };
}

/** Every call of the stub CLI, in order. */
function calls(): Array<{ args: string[]; env: Record<string, string> }> {
  if (!fs.existsSync(record)) return [];
  return fs.readFileSync(record, "utf8").trim().split("\n").filter(Boolean).map((line) => JSON.parse(line));
}

function commands(): string[] {
  return calls().map((c) => c.args[0] as string);
}

function liveAdminSessions(): number {
  return emulator.state.toSnapshot().sessions.filter((s) => s.kind === "admin").length;
}

/** No secret in any CLI argv or environment, log line, emulator log line, or the given texts. */
function expectNoSecretIn(...texts: Array<string | undefined>): void {
  for (const call of calls()) {
    expect(call.args.join(" ")).not.toMatch(SECRET_MARK);
    expect(Object.entries(call.env).map(([k, v]) => `${k}=${v}`).join("\n")).not.toMatch(SECRET_MARK);
  }
  for (const text of [...logs, ...emulator.logLines, ...texts]) expect(text ?? "").not.toMatch(SECRET_MARK);
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

describe("deploy: secrets through the Admin API", () => {
  test("sets every secret through the Admin API, then pushes; the CLI never sees a value", async () => {
    const sessionsBefore = liveAdminSessions();
    const result = await deploy(options());

    const dir = path.join(project, "pulled");
    expect(calls().map((c) => c.args)).toEqual([["whoami"], ["push", "--local", dir, "--remote", APP, "--yes"]]);
    expect(result).toEqual({ dir, dryRun: false, created: Object.keys(SECRETS).sort(), updated: [] });
    for (const [name, value] of Object.entries(SECRETS)) expect({ name, holds: store.holds(name, value) }).toEqual({ name, holds: true });
    expect(store.names()).toEqual(Object.keys(SECRETS).sort());
    expect(logs).toContain('Created secret "webhookToken"');
    // The Admin API session deploy opened is closed again.
    expect(liveAdminSessions()).toBe(sessionsBefore);
    expectNoSecretIn();
  });

  test("updates the secrets that exist, by id, without duplicating them", async () => {
    store.create("webhookToken", "old-value");
    const result = await deploy(options());
    expect(result).toMatchObject({ created: ["adminApiPrivateKeySecret", "adminApiPublicKeySecret"], updated: ["webhookToken"] });
    expect(store.holds("webhookToken", VALUE_B)).toBe(true);
    expect(store.names()).toEqual(Object.keys(SECRETS).sort());
    expect(logs).toContain('Updated secret "webhookToken"');
    expectNoSecretIn();
  });

  test("a multi-line secret and one with surrounding spaces are set exactly and hidden everywhere", async () => {
    const pem = "SECRET-VALUE-BEGIN-KEY\nSECRET-VALUE-MIDDLE-LINE\nSECRET-VALUE-END-KEY";
    writeJson("secrets.example.json", { ...EXAMPLE, padded: "<padded>" });
    writeJson("secrets.json", { ...SECRETS, webhookToken: pem, padded: "  SECRET-VALUE-padded  " });
    await deploy(options());
    expect(store.holds("webhookToken", pem)).toBe(true);
    expect(store.holds("padded", "  SECRET-VALUE-padded  ")).toBe(true);
    expectNoSecretIn();
  });

  test("--dry-run changes no secret and pushes with --dry-run", async () => {
    store.create("webhookToken", "old-value");
    const result = await deploy(options({ dryRun: true }));
    expect(commands()).toEqual(["whoami", "push"]);
    expect(calls().at(-1)?.args).toEqual(["push", "--local", path.join(project, "pulled"), "--remote", APP, "--yes", "--dry-run"]);
    expect(result).toMatchObject({ dryRun: true, created: ["adminApiPrivateKeySecret", "adminApiPublicKeySecret"], updated: ["webhookToken"] });
    expect(store.names()).toEqual(["webhookToken"]);
    expect(store.holds("webhookToken", "old-value")).toBe(true);
    expect(logs).toContain('[dry-run] would update secret "webhookToken" (no secret is changed on a dry run)');
    expectNoSecretIn();
  });

  test("the project and app can come from the pulled app's .mdb/app_meta.json", async () => {
    writeJson("pulled/.mdb/app_meta.json", { group_id: emulator.appInfo.projectId, app_id: emulator.appInfo.id, config_version: 20210101 });
    await deploy(options({ project: undefined }));
    expect(store.names()).toEqual(Object.keys(SECRETS).sort());
  });
});

describe("deploy: which app", () => {
  test("no project id anywhere says to pass --project", async () => {
    await expectFailure(deploy(options({ project: undefined })), "project", "--project <project id>", "Project Settings");
    expect(commands()).toEqual(["whoami"]);
  });

  test("a malformed --project is refused before anything runs", async () => {
    await expectFailure(deploy(options({ project: "my-project" })), "project", '"my-project"', "24 hexadecimal digits");
    expect(calls()).toEqual([]);
  });

  test("--project and .mdb/app_meta.json disagreeing is refused", async () => {
    writeJson("pulled/.mdb/app_meta.json", { group_id: "aaaaaaaaaaaaaaaaaaaaaaaa", app_id: emulator.appInfo.id });
    await expectFailure(deploy(options()), "project", "aaaaaaaaaaaaaaaaaaaaaaaa", "pulled from project");
    expect(store.names()).toEqual([]);
  });

  test("a directory pulled from another app is refused", async () => {
    writeJson("pulled/.mdb/app_meta.json", { group_id: emulator.appInfo.projectId, app_id: "bbbbbbbbbbbbbbbbbbbbbbbb" });
    await expectFailure(deploy(options()), "app-lookup", "bbbbbbbbbbbbbbbbbbbbbbbb", emulator.appInfo.id);
    expect(store.names()).toEqual([]);
    expect(commands()).not.toContain("push");
  });

  test("an unknown client app id names the apps the project has", async () => {
    await expectFailure(deploy(options({ app: "other-app-zzzzz" })), "app-lookup", 'No app "other-app-zzzzz"', APP, "--app");
    expect(commands()).not.toContain("push");
  });

  test("an unknown project says to check --project", async () => {
    await expectFailure(deploy(options({ project: "cccccccccccccccccccccccc" })), "app-lookup", "404", "--project");
  });

  test("a key pair the Admin API refuses is named (not its value), and nothing is set or pushed", async () => {
    writeJson("secrets.json", { ...SECRETS, adminApiPrivateKeySecret: "SECRET-VALUE-wrong-key" });
    await expectFailure(deploy(options()), "admin-login", "401", "adminApiPublicKeySecret and adminApiPrivateKeySecret", "Project Owner");
    expect(store.names()).toEqual([]);
    expect(commands()).toEqual(["whoami"]);
  });

  test("an unreachable Admin API stops before anything is set", async () => {
    await expectFailure(deploy(options({ adminApiBaseUrl: "http://127.0.0.1:9/api/admin/v3.0" })), "admin-login", "got no answer", "--admin-api-url");
    expect(commands()).toEqual(["whoami"]);
  });

  test("an Admin API URL that is not https (outside this machine) is refused", async () => {
    await expectFailure(deploy(options({ adminApiBaseUrl: "http://example.com/api/admin/v3.0" })), "usage", "https");
    await expectFailure(deploy(options({ adminApiBaseUrl: "not a url" })), "usage", "not a URL");
    expect(calls()).toEqual([]);
  });

  test("a failing secret create stops the rest: no push, and the error names the secret only", async () => {
    emulator.faults.inject({ match: "adminCreateASecret", kind: "status500" });
    await expectFailure(deploy(options()), "secret-set", 'Creating secret "adminApiPrivateKeySecret"', "500", "Nothing was pushed");
    expect(commands()).toEqual(["whoami"]);
    expect(store.names()).toEqual([]);
  });

  test("a dropped connection while listing secrets stops before anything is set", async () => {
    emulator.faults.inject({ match: "adminGetAllSecrets", kind: "drop" });
    await expectFailure(deploy(options()), "secrets-list", "got no answer");
    expect(store.names()).toEqual([]);
  });
});

/** A stand-in Admin API on 127.0.0.1 answering each request with `answer`; returns its base URL and the requests it saw. */
async function withFakeAdminApi(
  answer: (request: http.IncomingMessage) => { status: number; headers?: Record<string, string>; body?: unknown },
  run: (baseUrl: string, seen: string[]) => Promise<void>,
): Promise<void> {
  const seen: string[] = [];
  const server = http.createServer((request, response) => {
    seen.push(`${request.method} ${request.url}`);
    request.resume();
    request.on("end", () => {
      const { status, headers, body } = answer(request);
      response.writeHead(status, { "Content-Type": "application/json", ...headers });
      response.end(body === undefined ? "" : JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/admin/v3.0`, seen);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

describe("deploy: the Admin API's answers it does not trust", () => {
  test("a redirect is not followed: the key pair is never re-sent to where it points", async () => {
    await withFakeAdminApi(
      () => ({ status: 307, headers: { Location: `${emulator.adminApiBaseUrl}/auth/providers/mongodb-cloud/login` } }),
      async (baseUrl, seen) => {
        const sessionsBefore = liveAdminSessions();
        await expectFailure(deploy(options({ adminApiBaseUrl: baseUrl })), "admin-login", "adminLogin", "got no answer");
        expect(seen).toEqual(["POST /api/admin/v3.0/auth/providers/mongodb-cloud/login"]);
        expect(liveAdminSessions()).toBe(sessionsBefore);
      },
    );
    expect(commands()).toEqual(["whoami"]);
  });

  test("a login answered 200 without an access_token stops before anything is set", async () => {
    await withFakeAdminApi(
      () => ({ status: 200, body: { message: "welcome" } }),
      async (baseUrl) => {
        await expectFailure(deploy(options({ adminApiBaseUrl: baseUrl })), "admin-login", "answered without an access_token", "…/api/admin/v3.0");
      },
    );
    expect(commands()).toEqual(["whoami"]);
  });

  test("an app list answered 200 with something other than a list stops, and the session is closed", async () => {
    await withFakeAdminApi(
      (request) => (request.url?.endsWith("/login") ? { status: 200, body: { access_token: "access", refresh_token: "refresh" } } : request.method === "DELETE" ? { status: 204 } : { status: 200, body: { apps: [] } }),
      async (baseUrl, seen) => {
        await expectFailure(deploy(options({ adminApiBaseUrl: baseUrl })), "app-lookup", "adminListApplications answered 200 without a JSON list");
        expect(seen.at(-1)).toBe("DELETE /api/admin/v3.0/auth/session");
      },
    );
    expect(commands()).toEqual(["whoami"]);
  });

  test.each([
    ["credentials", "http://user:pass@127.0.0.1:9/api/admin/v3.0"],
    ["a query", "http://127.0.0.1:9/api/admin/v3.0?x=1"],
    ["a fragment", "http://127.0.0.1:9/api/admin/v3.0#top"],
  ])("an --admin-api-url with %s is refused before anything runs", async (_, url) => {
    const error = await expectFailure(deploy(options({ adminApiBaseUrl: url })), "usage", "must be a plain base URL (no credentials, query or fragment)");
    expect(error.message).not.toContain("user:pass");
    expect(calls()).toEqual([]);
  });
});

describe("deploy: timeoutMs", () => {
  test("an Admin API that never answers is given up on after timeoutMs", async () => {
    const server = http.createServer(() => undefined);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/admin/v3.0`;
      const started = Date.now();
      await expectFailure(deploy(options({ adminApiBaseUrl: baseUrl, timeoutMs: 1500 })), "admin-login", "got no answer: no answer within 2 s");
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe("deploy: the Admin API session is closed on failure", () => {
  test.each([
    ["an unknown app", () => options({ app: "other-app-zzzzz" }), () => undefined, "app-lookup"],
    ["a failing secret list", () => options(), () => emulator.faults.inject({ match: "adminGetAllSecrets", kind: "status500" }), "secrets-list"],
    ["a failing secret create", () => options(), () => emulator.faults.inject({ match: "adminCreateASecret", kind: "status500" }), "secret-set"],
  ] as Array<[string, () => DeployOptions, () => unknown, DeployStep]>)("after %s", async (_, makeOptions, arm, step) => {
    const sessionsBefore = liveAdminSessions();
    arm();
    await expectFailure(deploy(makeOptions()), step);
    expect(liveAdminSessions()).toBe(sessionsBefore);
  });
});

describe("deploy: a rerun after a failure part-way", () => {
  test("a failure on the 2nd secret, then a rerun: the secret already set is updated, not duplicated", async () => {
    let creates = 0;
    emulator.faults.inject({ match: (target) => target === "adminCreateASecret" && ++creates === 2, kind: "status500" });
    await expectFailure(deploy(options()), "secret-set", 'Creating secret "adminApiPublicKeySecret"', "updated, not duplicated", "Nothing was pushed");
    expect(store.names()).toEqual(["adminApiPrivateKeySecret"]);
    expect(commands()).toEqual(["whoami"]);

    const result = await deploy(options());
    expect(result).toMatchObject({ created: ["adminApiPublicKeySecret", "webhookToken"], updated: ["adminApiPrivateKeySecret"] });
    expect(store.names()).toEqual(Object.keys(SECRETS).sort());
    for (const [name, value] of Object.entries(SECRETS)) expect({ name, holds: store.holds(name, value) }).toEqual({ name, holds: true });
    expectNoSecretIn();
  });
});

describe("deploy: dist/app alone", () => {
  test("is refused without --replace-app, saying to use --into, before anything runs", async () => {
    await expectFailure(deploy(options({ into: undefined })), "replace-app", "npm run build -- --into DIR", "--into DIR", "--replace-app", "no data source");
    expect(calls()).toEqual([]);
    expect(store.names()).toEqual([]);
  });

  test("goes ahead with --replace-app, with a note that the remote app is replaced", async () => {
    await deploy(options({ into: undefined, replaceApp: true }));
    expect(calls().at(-1)?.args).toEqual(["push", "--local", path.join(project, "dist", "app"), "--remote", APP, "--yes"]);
    expect(logs.some((l) => l.startsWith(`Note: push makes app "${APP}" match`))).toBe(true);
    expectNoSecretIn();
  });

  test("a dry run of it needs no flag (it changes nothing) and says a real push would", async () => {
    await deploy(options({ into: undefined, dryRun: true }));
    expect(calls().at(-1)?.args.at(-1)).toBe("--dry-run");
    expect(logs.some((l) => l.includes("a real push needs --replace-app"))).toBe(true);
  });

  test("--replace-app with --into is a usage error", async () => {
    await expectFailure(deploy(options({ replaceApp: true })), "usage", "--replace-app only applies without --into");
  });
});

describe("deploy: checks before anything is set", () => {
  test("refuses an --into directory the bundle was not installed into", async () => {
    fs.rmSync(path.join(project, "pulled", MANIFEST_FILE));
    await expectFailure(deploy(options()), "app-dir", "does not have the bundle installed", "npm run build -- --into DIR");
    expect(commands()).toEqual(["whoami"]);
    expect(store.names()).toEqual([]);
  });

  test("a missing CLI stops everything and says how to install it", async () => {
    const env = { PATH: path.join(work, "empty-bin"), STUB_RECORD: record };
    await expectFailure(deploy({ ...options(), env }), "cli-missing", "npm install -g atlas-app-services-cli", "without internet access");
    expect(calls()).toEqual([]);
  });

  test("a logged-out CLI (whoami exits 0) stops before any secret or push", async () => {
    await expectFailure(deploy(options({}, { STUB_LOGGED_OUT: "1" })), "not-logged-in", "appservices login --api-key <public key> --private-api-key <private key>", "Project Owner");
    expect(commands()).toEqual(["whoami"]);
  });

  test("a failing whoami also counts as not logged in", async () => {
    await expectFailure(deploy(options({}, { STUB_FAIL: "whoami" })), "not-logged-in", "exited with code 1");
  });

  test("a secret missing from secrets.json is named and nothing is set or pushed", async () => {
    writeJson("secrets.json", { adminApiPublicKeySecret: PUBLIC_KEY, adminApiPrivateKeySecret: PRIVATE_KEY });
    const error = await expectFailure(deploy(options()), "secrets", "missing: webhookToken");
    expect(error.message).not.toContain("adminApiPrivateKeySecret");
    expect(commands()).toEqual(["whoami"]);
    expect(store.names()).toEqual([]);
  });

  test("a placeholder or empty secret is named", async () => {
    writeJson("secrets.json", { ...SECRETS, adminApiPrivateKeySecret: EXAMPLE.adminApiPrivateKeySecret, webhookToken: "  " });
    await expectFailure(deploy(options()), "secrets", "still the placeholder from the example: adminApiPrivateKeySecret", "empty: webhookToken");
  });

  test("a missing secrets.json says to copy the example", async () => {
    fs.rmSync(path.join(project, "secrets.json"));
    await expectFailure(deploy(options()), "secrets", "Copy secrets.example.json to secrets.json", "adminApiPrivateKeySecret, adminApiPublicKeySecret, webhookToken");
  });

  test("an unparsable secrets.json is reported without quoting it", async () => {
    fs.writeFileSync(path.join(project, "secrets.json"), `{ "adminApiPrivateKeySecret": ${PRIVATE_KEY} }`);
    await expectFailure(deploy(options()), "secrets", "secrets.json is not valid JSON");
  });

  test("an example without the key pair is refused: deploy logs in with it", async () => {
    writeJson("secrets.example.json", { webhookToken: "<token>" });
    await expectFailure(deploy(options()), "secrets", "adminApiPublicKeySecret and adminApiPrivateKeySecret", "logs in to the Admin API");
  });

  test("a missing build stops before any secret is set", async () => {
    fs.rmSync(path.join(project, "dist"), { recursive: true });
    await expectFailure(deploy(options({ into: undefined, replaceApp: true })), "app-dir", "npm run build");
    expect(store.names()).toEqual([]);
  });

  test("a failing push is reported with the CLI's output, after the secrets were set", async () => {
    await expectFailure(deploy(options({}, { STUB_FAIL: "push" })), "push", "exited with code 1", "error: push failed", "--dry-run");
    expect(commands()).toEqual(["whoami", "push"]);
    expect(store.names()).toEqual(Object.keys(SECRETS).sort());
  });
});

describe("parseArgs", () => {
  test("reads every option in both flag spellings", () => {
    expect(parseArgs(["--app", "my-app", "--project", "65f0c0de00000000000000a1", "--dry-run", "--into", "pulled"])).toEqual({
      app: "my-app",
      project: "65f0c0de00000000000000a1",
      dryRun: true,
      into: "pulled",
      replaceApp: false,
      help: false,
    });
    expect(parseArgs(["--app=my-app", "--replace-app", "--admin-api-url=http://127.0.0.1:1/api/admin/v3.0"])).toEqual({
      app: "my-app",
      dryRun: false,
      replaceApp: true,
      adminApiUrl: "http://127.0.0.1:1/api/admin/v3.0",
      help: false,
    });
  });

  test("requires --app and rejects unknown or valueless arguments", () => {
    expect(() => parseArgs([])).toThrow("--app is required");
    expect(() => parseArgs(["--app"])).toThrow("--app needs a value");
    expect(() => parseArgs(["--app", "x", "--project="])).toThrow("--project needs a value");
    expect(() => parseArgs(["--app", "x", "--force"])).toThrow('Unknown argument "--force"');
    expect(() => parseArgs(["--app", "x", "--value", "v"])).toThrow('Unknown argument "--value"');
    expect(() => parseArgs(["--app", "--dry-run"])).toThrow("--app needs a value");
    expect(() => parseArgs(["--app", "x", "stray"])).toThrow('Unknown argument "stray"');
    expect(() => parseArgs(["--app", "x", "--dry-run=yes"])).toThrow("--dry-run takes no value");
  });

  test("-h and --help need no --app", () => {
    expect(parseArgs(["-h"])).toMatchObject({ help: true });
    expect(parseArgs(["--help"])).toMatchObject({ help: true });
  });
});

describe("main", () => {
  it("takes a relative --into from the folder npm was run in (INIT_CWD), not the project root", async () => {
    const initCwd = process.env.INIT_CWD;
    const printed: string[] = [];
    const errorSpy = jest.spyOn(console, "error").mockImplementation((line: string) => void printed.push(line));
    process.env.INIT_CWD = work;
    try {
      expect(await main(["--app", APP, "--into", "not-pulled-yet", "--dry-run"])).toBe(1);
    } finally {
      errorSpy.mockRestore();
      if (initCwd === undefined) delete process.env.INIT_CWD;
      else process.env.INIT_CWD = initCwd;
    }
    expect(printed.join("\n")).toContain(`deploy failed (app-dir): ${path.join(work, "not-pulled-yet")} is not an App Services app directory`);
  });
});
