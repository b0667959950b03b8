/**
 * Shared helpers for the emulator tests: temp dirs, a hand-written fixture app directory, the
 * real build, HTTP calls to the emulator (loopback only, the real global fetch), and an
 * in-memory storage so each realm-web App starts with no remembered users.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startEmulator, type Emulator, type EmulatorOptions } from "../../emulator/server";

const tempDirs: string[] = [];

/** A fresh temp folder, removed when the test file ends. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of tempDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

export interface FixtureFunction {
  /** An App Services function file: `exports = async function (...) { ... };` */
  source: string;
  private?: boolean;
  disableArgLogs?: boolean;
}

/** Functions most tests need: echo context.user and args, throw, hang, private. */
export const FIXTURE_FUNCTIONS: Record<string, FixtureFunction> = {
  echo: { source: "exports = async function (...args) { return { args: args, user: context.user }; };" },
  whoami: { source: "exports = async function () { return context.user.id; };" },
  fail: { source: 'exports = async function () { throw new Error("boom: the widget is broken"); };' },
  hang: { source: "exports = function () { return new Promise(function () {}); };" },
  secretOnly: { source: 'exports = async function () { return "private result"; };', private: true },
  nothing: { source: "exports = async function () { };" },
  quiet: { source: "exports = async function (x) { return typeof x; };", disableArgLogs: true },
  bsonTypes: {
    source:
      'exports = async function () { return { id: new BSON.ObjectId("65f0c0de0000000000000123"), big: BSON.Long.fromString("9007199254740993"), at: new Date(0), n: 1.5 }; };',
  },
  countNotes: {
    source:
      'exports = async function () { return context.services.get("mongodb-atlas").db("demo").collection("notes").count({ owner_id: context.user.id }); };',
  },
  addNote: {
    source:
      'exports = async function (title) { await context.services.get("mongodb-atlas").db("demo").collection("notes").insertOne({ owner_id: context.user.id, title: title }); return "ok"; };',
  },
};

/** Writes a minimal app directory (what `npm run build` writes) into a temp folder. */
export function makeFixtureApp(functions: Record<string, FixtureFunction> = FIXTURE_FUNCTIONS, values: Record<string, unknown> = {}): string {
  const dir = tempDir("emulator-fixture-app");
  fs.mkdirSync(path.join(dir, "functions"), { recursive: true });
  fs.mkdirSync(path.join(dir, "values"), { recursive: true });
  fs.writeFileSync(path.join(dir, "root_config.json"), JSON.stringify({ name: "fixture-app", deployment_model: "GLOBAL", provider_region: "aws-us-east-1" }));
  const config = Object.entries(functions).map(([name, f]) => ({
    name,
    private: f.private ?? false,
    run_as_system: false,
    disable_arg_logs: f.disableArgLogs ?? false,
  }));
  fs.writeFileSync(path.join(dir, "functions", "config.json"), JSON.stringify(config, null, 2));
  for (const [name, f] of Object.entries(functions)) fs.writeFileSync(path.join(dir, "functions", `${name}.js`), f.source);
  for (const [name, value] of Object.entries(values)) {
    fs.writeFileSync(path.join(dir, "values", `${name}.json`), JSON.stringify({ name, value, from_secret: false }));
  }
  return dir;
}

/** Starts an emulator on 127.0.0.1, port 0, collecting its log lines and the functions' console output. */
export async function startTestEmulator(
  options: Partial<EmulatorOptions> & { appDir: string },
): Promise<Emulator & { logLines: string[]; consoleLines: string[] }> {
  const logLines: string[] = [];
  const consoleLines: string[] = [];
  const collect = (...args: unknown[]) => consoleLines.push(args.map(String).join(" "));
  const emulator = await startEmulator({
    host: "127.0.0.1",
    port: 0,
    log: (line) => logLines.push(line),
    functionConsole: { log: collect, error: collect },
    ...options,
  });
  return Object.assign(emulator, { logLines, consoleLines });
}

/** A started test emulator, as startTestEmulator returns it. */
export type TestEmulator = Awaited<ReturnType<typeof startTestEmulator>>;

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed JSON body, or undefined for an empty body. */
  body: any;
}

export interface ApiRequest {
  token?: string;
  /** Serialized with JSON.stringify unless `raw` is given. */
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
}

/** One HTTP request to the emulator, by path (e.g. "/api/admin/v3.0/auth/session"). */
export async function call(baseUrl: string, method: string, urlPath: string, request: ApiRequest = {}): Promise<ApiResponse> {
  const headers: Record<string, string> = { Accept: "application/json", ...request.headers };
  if (request.token) headers.Authorization = `Bearer ${request.token}`;
  let body: string | undefined = request.raw;
  if (request.body !== undefined) {
    body = JSON.stringify(request.body);
    headers["Content-Type"] ??= "application/json";
  }
  const response = await fetch(`${baseUrl}${urlPath}`, { method, headers, body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: text ? JSON.parse(text) : undefined };
}

export const ADMIN = "/api/admin/v3.0";
export const CLIENT = "/api/client/v2.0";

/** The Admin API path prefix of the emulator's app. */
export function appPath(emulator: Emulator): string {
  return `${ADMIN}/groups/${emulator.appInfo.projectId}/apps/${emulator.appInfo.id}`;
}

export async function adminLogin(emulator: Emulator): Promise<{ access: string; refresh: string }> {
  const res = await call(emulator.url, "POST", `${ADMIN}/auth/providers/mongodb-cloud/login`, {
    body: { username: emulator.adminKeys.publicKey, apiKey: emulator.adminKeys.privateKey },
  });
  if (res.status !== 200) throw new Error(`admin login failed: ${res.status} ${res.text}`);
  return { access: res.body.access_token, refresh: res.body.refresh_token };
}

/** The client API's email/password login request, answered as it comes. */
export function passwordLogin(emulator: Emulator, email: string, password: string): Promise<ApiResponse> {
  return call(emulator.url, "POST", `${CLIENT}/app/${emulator.clientAppId}/auth/providers/local-userpass/login`, { body: { username: email, password } });
}

/** Logs in through the client API with email/password; returns the raw tokens. */
export async function clientLogin(emulator: Emulator, email: string, password: string): Promise<{ access: string; refresh: string; userId: string }> {
  const res = await passwordLogin(emulator, email, password);
  if (res.status !== 200) throw new Error(`client login failed: ${res.status} ${res.text}`);
  return { access: res.body.access_token, refresh: res.body.refresh_token, userId: res.body.user_id };
}

export async function anonLogin(emulator: Emulator): Promise<{ access: string; refresh: string; userId: string }> {
  const res = await call(emulator.url, "POST", `${CLIENT}/app/${emulator.clientAppId}/auth/providers/anon-user/login`, { body: { options: { device: {} } } });
  if (res.status !== 200) throw new Error(`anonymous login failed: ${res.status} ${res.text}`);
  return { access: res.body.access_token, refresh: res.body.refresh_token, userId: res.body.user_id };
}

/** Calls a function through the client API with an access token. */
export function callFunction(emulator: Emulator, token: string, name: string, args: unknown[] = []): Promise<ApiResponse> {
  return call(emulator.url, "POST", `${CLIENT}/app/${emulator.clientAppId}/functions/call`, { token, body: { name, arguments: args } });
}

/** The payload of a JWT, decoded without checking it. */
export function jwtPayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8"));
}
