/**
 * The local App Services emulator: one HTTP server with the Admin API (/api/admin/v3.0) and the
 * client API realm-web speaks (/api/client/v2.0), running a built app directory's functions.
 * The functions' Admin API values point back at this server without editing values/: the
 * emulator's secrets hold its own API key pair and `adminApiBaseUrl` is overridden.
 */
import { messageOf } from "../lib/errors";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { randomBytes, randomUUID } from "node:crypto";
import { FaultPlan } from "./faults";
import { loadAppDirectory, type LoadedApp } from "./runtime/appDirectory";
import { FunctionRuntime } from "./runtime/functionRuntime";
import { DocumentStore, createMongoDbService } from "./runtime/mongodb";
import type { RuntimeAppInfo } from "./runtime/types";
import { EmulatorState } from "./accounts/accountState";
import type { Clock } from "./accounts/clock";
import { redactTokens } from "./accounts/tokens";
import { StateFileError, loadStateFile, type StateFileContents } from "./data/stateFile";
import { StateSaver } from "./data/stateSaver";
import { ADMIN_API_PREFIX, createAdminApi } from "./http/adminApi";
import { CLIENT_API_PREFIX, createClientApi } from "./http/clientApi";
import { createAccountPage } from "./http/accountPage";
import { createCorsPolicy } from "./http/cors";
import { TRIGGER_RUN_PREFIX, createTriggerRoute } from "./http/triggerRoute";
import { HttpError, errorReply, sendReply, type Reply } from "./http/reply";
import { notFoundError } from "./http/router";
import type { AdminSecretStore } from "./http/adminSecrets";
import { startScheduler, type Scheduler } from "./scheduler";

/** The Atlas project (group) id and app `_id` the emulator's Admin API routes accept. */
export const EMULATOR_GROUP_ID = "65f0c0de00000000000000a1";
export const EMULATOR_APP_ID = "65f0c0de00000000000000b2";
export const DEFAULT_CLIENT_APP_ID = "delete-user-demo-abcde";
/** The secrets (secrets.example.json) that hold the Admin API key pair. */
export const ADMIN_PUBLIC_KEY_SECRET = "adminApiPublicKeySecret";
export const ADMIN_PRIVATE_KEY_SECRET = "adminApiPrivateKeySecret";

export interface EmulatorOptions {
  /** A built app directory (dist/app). */
  appDir: string;
  /** Default "127.0.0.1": the emulator has no TLS and demo credentials, so loopback only. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  clientAppId?: string;
  /** Persist state here across restarts. */
  dataFile?: string;
  /** The emulator's own secrets; the Admin API key pair is generated when absent. */
  secrets?: Record<string, string>;
  /** Merged over the app's values after secrets (and over the emulator's adminApiBaseUrl). */
  valueOverrides?: Record<string, unknown>;
  /** Latency and failures for Admin API operations (by operationId) and the data service. */
  faults?: FaultPlan;
  functionTimeoutMs?: number;
  /** false (default): registrations confirm at once; true: they stay pending. */
  requireEmailConfirmation?: boolean;
  /** One line per function call: name, user id, outcome, duration. Never arguments, tokens or keys. */
  log?: (line: string) => void;
  /** Run the app's scheduled triggers on their cron schedules (the CLI does; default off). */
  runTriggers?: boolean;
  /** Time source for tokens and ids; tests inject one to expire tokens. */
  clock?: Clock;
  /** Where functions' console.log/error go; default the process console. */
  functionConsole?: { log(...args: unknown[]): void; error(...args: unknown[]): void };
  /** The Admin API's secrets store (in memory); tests pass one to check what deploy set. */
  adminSecrets?: AdminSecretStore;
  /** Origins allowed to call the client API from a browser (http/cors.ts); default any http://localhost:* or http://127.0.0.1:*. */
  allowOrigins?: string[];
}

export interface Emulator {
  url: string;
  port: number;
  clientAppId: string;
  adminApiBaseUrl: string;
  adminKeys: { publicKey: string; privateKey: string };
  /** `context.app` as functions see it: `projectId` and `id` are the Admin API group and app ids. */
  appInfo: RuntimeAppInfo;
  state: EmulatorState;
  store: DocumentStore;
  faults: FaultPlan;
  /** The current function runtime (replaced by reload()). */
  readonly runtime: FunctionRuntime;
  /**
   * Reads the app directory again (after a rebuild) and swaps the runtime for the calls that
   * follow; state, documents, sessions and keys stay. Returns what changed, function by function.
   */
  reload(): AppChanges;
  /** The scheduled triggers and when each runs next (null when runTriggers is off). */
  nextTriggerRuns(): Array<{ trigger: string; at: Date | null }>;
  /** Writes the state file now (no-op without dataFile): for changes made outside a request. */
  persist(): Promise<void>;
  close(): Promise<void>;
}

export interface AppChanges {
  added: string[];
  changed: string[];
  removed: string[];
}

export class PortInUseError extends Error {
  override name = "PortInUseError";
}

/** A fresh Admin API key pair shaped like Atlas's: 8 lowercase letters, and a UUID. */
export function generateAdminKeyPair(): { publicKey: string; privateKey: string } {
  const letters = "abcdefghijklmnopqrstuvwxyz";
  const publicKey = Array.from(randomBytes(8), (b) => letters[b % letters.length]).join("");
  return { publicKey, privateKey: randomUUID() };
}

export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  const host = options.host ?? "127.0.0.1";
  const clientAppId = options.clientAppId ?? DEFAULT_CLIENT_APP_ID;
  const faults = options.faults ?? new FaultPlan();
  const writeLine = options.log ?? function printLine(line: string) { console.log(line); };

  // Load persisted state first: a bad file must stop start-up before anything listens or writes.
  const persisted = options.dataFile ? await loadStateFile(options.dataFile) : undefined;
  const store = restoreStore(options.dataFile, persisted);
  const state = new EmulatorState({ clock: options.clock, snapshot: persisted?.state });

  const generated = generateAdminKeyPair();
  const secrets: Record<string, string> = {
    [ADMIN_PUBLIC_KEY_SECRET]: generated.publicKey,
    [ADMIN_PRIVATE_KEY_SECRET]: generated.privateKey,
    ...options.secrets,
  };
  const adminKeys = { publicKey: secrets[ADMIN_PUBLIC_KEY_SECRET], privateKey: secrets[ADMIN_PRIVATE_KEY_SECRET] };
  state.setAdminKeys(adminKeys.publicKey, adminKeys.privateKey);

  /** Keeps the key pair and tokens out of anything the emulator sends or logs. */
  function redact(text: string): string {
    let out = redactTokens(text);
    for (const secret of Object.values(secrets)) if (secret.length >= 6) out = out.split(secret).join("[redacted]");
    return out;
  }
  /** Every line the emulator logs goes through here, so no call site can forget to redact. */
  const log = (line: string) => writeLine(redact(line));

  // The server starts first because the functions' adminApiBaseUrl needs its port.
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const server = createServer(function onRequest(req, res) {
    if (handler) handler(req, res);
    else sendReply(req, res, errorReply(new HttpError(503, "emulator is starting", "ServiceUnavailable")));
  });
  const port = await listen(server, host, options.port ?? 0);
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  const adminApiBaseUrl = `${url}${ADMIN_API_PREFIX}`;

  let runtime: FunctionRuntime;
  let appInfo: RuntimeAppInfo;
  let app: LoadedApp;
  const data = createMongoDbService(store, faults);
  const loadApp = () => loadAppDirectory(options.appDir, { secrets, valueOverrides: { adminApiBaseUrl, ...options.valueOverrides } });
  const newRuntime = () => new FunctionRuntime({ app, appInfo, data, timeoutMs: options.functionTimeoutMs, console: options.functionConsole });
  try {
    app = loadApp();
    appInfo = {
      id: EMULATOR_APP_ID,
      clientAppId,
      name: app.name,
      projectId: EMULATOR_GROUP_ID,
      deployment: { model: "GLOBAL", providerRegion: "aws-us-east-1" },
      lastDeployed: new Date(state.clock.now()).toISOString(),
      hostingUri: "",
    };
    runtime = newRuntime();
  } catch (error) {
    await closeServer(server);
    throw error;
  }

  const saver = options.dataFile
    ? new StateSaver(options.dataFile, (): StateFileContents => ({ state: state.toSnapshot(), documents: store.toEJSON() }), function reportSaveError(error) {
        log(`state: could not save ${options.dataFile}: ${messageOf(error)}`);
      })
    : undefined;
  // Every change reaches the disk, wherever it came from: a request, a trigger, a seed.
  const saveAfterChange = () => void saver?.save().catch(() => undefined);
  if (saver) {
    state.onChange(saveAfterChange);
    store.onChange(saveAfterChange);
  }

  const adminApi = createAdminApi({ state, faults, groupId: EMULATOR_GROUP_ID, appId: EMULATOR_APP_ID, clientAppId, appName: appInfo.name, secrets: options.adminSecrets });
  const clientApi = createClientApi({
    state,
    clientAppId,
    appInfo,
    baseUrl: () => url,
    runtime: () => runtime,
    requireEmailConfirmation: options.requireEmailConfirmation ?? false,
    log,
  });

  const cors = createCorsPolicy({ allowOrigins: options.allowOrigins, ownOrigin: () => url, clientPrefix: CLIENT_API_PREFIX });
  const accountPage = createAccountPage({ clientAppId, baseUrl: () => url });
  const triggerRoute = createTriggerRoute({ state, triggers: () => app.triggers, runtime: () => runtime, log });

  handler = function handleRequest(req, res) {
    const path = pathOf(req.url);
    const early = cors.check(req, res, path);
    if (early) return sendReply(req, res, early);
    if (accountPage.serve(req, res, path)) return;
    dispatch(req)
      .then(async function answer(reply) {
        // A changing request is on disk before its answer leaves: a 2xx means the change survives a
        // restart, so a change that could not be saved is answered as a server error.
        if (saver && req.method !== "GET" && req.method !== "HEAD" && reply.kind !== "drop") {
          const saved = await saver.save().then(() => true, () => false);
          if (!saved) reply = errorReply(new HttpError(500, "the change was made but could not be saved to the data file", "InternalServerError"));
        }
        sendReply(req, res, reply);
      })
      .catch(function reportAnswerFailure(error: unknown) {
        log(`emulator: could not answer ${req.method ?? ""} ${req.url ?? ""}: ${messageOf(error)}`);
        res.destroy();
      });
  };

  async function dispatch(req: IncomingMessage): Promise<Reply> {
    const method = req.method ?? "GET";
    try {
      const parsed = new URL(req.url ?? "/", url);
      const path = parsed.pathname;
      if (path === ADMIN_API_PREFIX || path.startsWith(`${ADMIN_API_PREFIX}/`)) {
        return await adminApi.handle(req, path.slice(ADMIN_API_PREFIX.length), parsed.searchParams);
      }
      if (path === CLIENT_API_PREFIX || path.startsWith(`${CLIENT_API_PREFIX}/`)) {
        return await clientApi.handle(req, path.slice(CLIENT_API_PREFIX.length), parsed.searchParams);
      }
      if (path.startsWith(TRIGGER_RUN_PREFIX)) return await triggerRoute.handle(req, path);
      throw notFoundError(method, path);
    } catch (error) {
      if (error instanceof HttpError) return errorReply(new HttpError(error.status, redact(error.message), error.errorCode, error.link));
      log(`emulator: internal error on ${method} ${req.url ?? ""}: ${messageOf(error)}`);
      return errorReply(new HttpError(500, "internal server error", "InternalServerError"));
    }
  }

  const schedule = (): Scheduler | undefined =>
    options.runTriggers ? startScheduler(app.triggers, () => runtime, log) : undefined;
  let scheduler = schedule();

  return {
    url,
    port,
    clientAppId,
    adminApiBaseUrl,
    adminKeys,
    appInfo,
    state,
    store,
    faults,
    get runtime() {
      return runtime;
    },
    reload() {
      const previous = app.functions;
      app = loadApp();
      appInfo = { ...appInfo, lastDeployed: new Date(state.clock.now()).toISOString() };
      runtime = newRuntime();
      scheduler?.stop();
      scheduler = schedule();
      const names = (m: Map<string, unknown>) => [...m.keys()];
      return {
        added: names(app.functions).filter((n) => !previous.has(n)),
        changed: names(app.functions).filter((n) => previous.has(n) && previous.get(n)?.source !== app.functions.get(n)?.source),
        removed: names(previous).filter((n) => !app.functions.has(n)),
      };
    },
    async persist() {
      if (saver) await saver.save();
    },
    nextTriggerRuns() {
      return scheduler ? scheduler.nextRuns() : app.triggers.map((t) => ({ trigger: t.name, at: null }));
    },
    async close() {
      scheduler?.stop();
      await closeServer(server);
      if (saver) await saver.save();
    },
  };
}

/** The request's path, or "" when its URL cannot be parsed (dispatch then answers the error). */
function pathOf(requestUrl: string | undefined): string {
  try {
    return new URL(requestUrl ?? "/", "http://emulator").pathname;
  } catch {
    return "";
  }
}

function restoreStore(file: string | undefined, persisted: StateFileContents | undefined): DocumentStore {
  if (!persisted) return new DocumentStore();
  try {
    return DocumentStore.fromEJSON(persisted.documents);
  } catch (error) {
    throw new StateFileError(file ?? "", `its documents are invalid (${messageOf(error)})`);
  }
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off("listening", onListening);
      if (error.code === "EADDRINUSE") reject(new PortInUseError(`Port ${port} on ${host} is already in use: stop the program using it or choose another port (--port).`));
      else if (error.code === "EADDRNOTAVAIL") reject(new Error(`Cannot listen on ${host}:${port}: that address is not available on this machine (--host).`));
      else reject(error);
    };
    const onListening = () => {
      server.off("error", onError);
      resolve((server.address() as AddressInfo).port);
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen(port, host);
  });
}

/** Stops accepting, ends idle and open connections, and resolves when the server is closed. */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
