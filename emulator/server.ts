/**
 * The local App Services emulator: one HTTP server with the Admin API (/api/admin/v3.0) and the
 * client API realm-web speaks (/api/client/v2.0), running a built app directory's functions.
 * The functions' Admin API values point back at this server without editing values/: the
 * emulator's secrets hold its own API key pair and `adminApiBaseUrl` is overridden.
 */
import { FaultPlan } from "./faults";
import { AppHost, type AppChanges } from "./runtime/appHost";
import type { FunctionRuntime } from "./runtime/functionRuntime";
import { createMongoDbService } from "./data/service";
import type { DocumentStore } from "./data/store";
import type { ContextUser, Platform, RuntimeAppInfo } from "./runtime/types";
import { FlowerbaseAccounts } from "./flowerbase/accounts";
import { createFlowerbaseClientApi } from "./flowerbase/clientApi";
import { FLOWERBASE_AUTH } from "./flowerbase/documents";
import { EmulatorState } from "./accounts/accountState";
import { generateAdminKeyPair } from "./accounts/adminKeys";
import type { Clock } from "./accounts/clock";
import { loadStateFile, restoreStore } from "./data/stateFile";
import { answerAfterSaving, saveEveryChange } from "./data/stateSaver";
import { ADMIN_API_PREFIX, createAdminApi } from "./http/adminApi";
import type { AdminSecretStore } from "./http/adminSecrets";
import { CLIENT_API_PREFIX, createClientApi } from "./http/clientApi";
import { createAccountPage } from "./http/accountPage";
import { createCorsPolicy } from "./http/cors";
import { browserFacing, dispatcher, type Routes } from "./http/dispatch";
import { closeServer, listenForRequests, type Listening } from "./http/listen";
import { createTriggerRoute } from "./http/triggerRoute";
import { printLine, redactor } from "./http/logText";
import { startScheduler, type Scheduler } from "./scheduler";
import { fallbacksForEmptyValues } from "./valueFallbacks";
import { ADMIN_KEY_SECRETS } from "../build/secretsFile";

/** The Atlas project (group) id and app `_id` the emulator's Admin API routes accept. */
const EMULATOR_GROUP_ID = "65f0c0de00000000000000a1";
const EMULATOR_APP_ID = "65f0c0de00000000000000b2";
export const DEFAULT_CLIENT_APP_ID = "delete-user-demo-abcde";

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
  /**
   * Used only while the app's own value is empty (missing, null, "", [] or {}), checked again at
   * every reload: the CLI's demo cleanup plan gives way to a plan the app adds later.
   */
  valueFallbacks?: Record<string, unknown>;
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
  /**
   * "appservices" (default) or "flowerbase": Flowerbase's context (no context.app, values from the
   * built flowerbase.env as strings, the auth service), its users as documents in main.auth_users
   * with its token rules, and no Admin API.
   */
  platform?: Platform;
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
  platform: Platform;
  /** The flowerbase profile's users, sessions and tokens (documents in the store); undefined otherwise. */
  flowerbase?: FlowerbaseAccounts;
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

export type { AppChanges } from "./runtime/appHost";
export { PortInUseError } from "./http/listen";

export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  const host = options.host ?? "127.0.0.1";
  const clientAppId = options.clientAppId ?? DEFAULT_CLIENT_APP_ID;
  const faults = options.faults ?? new FaultPlan();
  // Persisted state first: a bad file must stop start-up before anything listens or writes.
  const { store, state } = await restoreState(options.dataFile, options.clock);
  const { secrets, adminKeys } = emulatorSecrets(options.secrets, state);
  const redact = redactor(secrets);
  const writeLine = options.log ?? printLine;
  /** Every line the emulator logs goes through here, so no call site can forget to redact. */
  const log = function logRedacted(line: string) {
    writeLine(redact(line));
  };

  // The server listens first because the functions' adminApiBaseUrl needs its port.
  const listening = await listenForRequests(host, options.port ?? 0);
  const adminApiBaseUrl = `${listening.url}${ADMIN_API_PREFIX}`;
  const platform = options.platform ?? "appservices";
  const apps = await hostApp(options, listening, { secrets, adminApiBaseUrl, clientAppId, state, store, faults });
  const changes = saveEveryChange(options.dataFile, state, store, log);
  const parts = platformParts(platform, { options, state, store, faults, clientAppId, apps, baseUrl: () => listening.url, log });
  const dispatch = dispatcher(parts.routes, redact, log);
  const cors = createCorsPolicy({ allowOrigins: options.allowOrigins, ownOrigin: () => listening.url, clientPrefix: CLIENT_API_PREFIX });
  const accountPage = createAccountPage({ clientAppId, baseUrl: () => listening.url });
  listening.serve(browserFacing(cors, accountPage, () => listening.url, answerAfterSaving(dispatch, changes, log)));

  const schedule = (): Scheduler | undefined => (options.runTriggers ? startScheduler(apps.app.triggers, () => apps.runtime, log, parts.triggerUser) : undefined);
  let scheduler = schedule();

  return {
    url: listening.url,
    port: listening.port,
    clientAppId,
    adminApiBaseUrl,
    adminKeys,
    get appInfo() {
      return apps.appInfo;
    },
    state,
    store,
    faults,
    platform,
    flowerbase: parts.flowerbase,
    get runtime() {
      return apps.runtime;
    },
    reload() {
      const changes = apps.reload();
      scheduler?.stop();
      scheduler = schedule();
      return changes;
    },
    async persist() {
      if (changes) await changes.saver.save();
    },
    nextTriggerRuns() {
      return scheduler ? scheduler.nextRuns() : apps.app.triggers.map((t) => ({ trigger: t.name, at: null }));
    },
    async close() {
      scheduler?.stop();
      await closeServer(listening.server);
      await apps.close();
      if (changes) await changes.saver.save();
    },
  };
}

async function restoreState(dataFile: string | undefined, clock: Clock | undefined): Promise<{ store: DocumentStore; state: EmulatorState }> {
  const persisted = dataFile ? await loadStateFile(dataFile) : undefined;
  const store = restoreStore(dataFile, persisted);
  return { store, state: new EmulatorState({ clock, snapshot: persisted?.state }) };
}

/** The emulator's secrets: the given ones over a freshly generated Admin API key pair, which the state then accepts. */
function emulatorSecrets(given: Record<string, string> | undefined, state: EmulatorState) {
  const generated = generateAdminKeyPair();
  const secrets: Record<string, string> = {
    [ADMIN_KEY_SECRETS.publicKey]: generated.publicKey,
    [ADMIN_KEY_SECRETS.privateKey]: generated.privateKey,
    ...given,
  };
  const adminKeys = { publicKey: secrets[ADMIN_KEY_SECRETS.publicKey], privateKey: secrets[ADMIN_KEY_SECRETS.privateKey] };
  state.setAdminKeys(adminKeys.publicKey, adminKeys.privateKey);
  return { secrets, adminKeys };
}

/**
 * What the platform decides once the app is loaded. App Services: its client API, the Admin API
 * and the trigger route guarded by it, the system user for triggers. Flowerbase: its users as
 * documents and its client API, no Admin API (its paths and the trigger route answer as unknown),
 * and `{}` as a trigger's user.
 */
function platformParts(
  platform: Platform,
  deps: { options: EmulatorOptions; state: EmulatorState; store: DocumentStore; faults: FaultPlan; clientAppId: string; apps: AppHost; baseUrl(): string; log(line: string): void },
): { routes: Routes; flowerbase?: FlowerbaseAccounts; triggerUser?: ContextUser } {
  const { options, state, store, faults, clientAppId, apps, baseUrl, log } = deps;
  const clientOptions = { clientAppId, baseUrl, runtime: () => apps.runtime, requireEmailConfirmation: options.requireEmailConfirmation ?? false, log };
  if (platform === "flowerbase") {
    // Signed with the persisted state's key, so with --data the profile's sessions survive a restart.
    const flowerbase = new FlowerbaseAccounts(createMongoDbService(store, new FaultPlan()), FLOWERBASE_AUTH, state.clock, Buffer.from(state.toSnapshot().signingKey, "base64"));
    return { routes: { clientApi: createFlowerbaseClientApi({ ...clientOptions, accounts: flowerbase }) }, flowerbase, triggerUser: {} };
  }
  return {
    routes: {
      clientApi: createClientApi({ ...clientOptions, state, appInfo: apps.appInfo }),
      adminApi: createAdminApi({ state, faults, groupId: EMULATOR_GROUP_ID, appId: EMULATOR_APP_ID, clientAppId, appName: apps.appInfo.name, secrets: options.adminSecrets }),
      triggerRoute: createTriggerRoute({ state, triggers: () => apps.app.triggers, runtime: () => apps.runtime, log }),
    },
  };
}

/** Loads the app and its runtime; a failure closes the server that was already listening. */
async function hostApp(
  options: EmulatorOptions,
  listening: Listening,
  deps: { secrets: Record<string, string>; adminApiBaseUrl: string; clientAppId: string; state: EmulatorState; store: DocumentStore; faults: FaultPlan },
): Promise<AppHost> {
  const flowerbase = options.platform === "flowerbase";
  // The functions' settings point at this emulator: its Admin API, or on Flowerbase its auth database.
  const own = flowerbase ? { userStoreDatabase: FLOWERBASE_AUTH.database } : { adminApiBaseUrl: deps.adminApiBaseUrl };
  try {
    return new AppHost({
      appDir: options.appDir,
      load: {
        secrets: deps.secrets,
        platform: options.platform,
        // A getter, read at every load (AppHost keeps this object): the fallbacks follow the app's values.
        get valueOverrides() {
          return { ...fallbacksForEmptyValues(options.appDir, options.valueFallbacks), ...own, ...options.valueOverrides };
        },
      },
      flowerbaseAuth: flowerbase ? FLOWERBASE_AUTH : undefined,
      appInfo: {
        id: EMULATOR_APP_ID,
        clientAppId: deps.clientAppId,
        projectId: EMULATOR_GROUP_ID,
        deployment: { model: "GLOBAL", providerRegion: "aws-us-east-1" },
        hostingUri: "",
      },
      now: () => deps.state.clock.now(),
      data: createMongoDbService(deps.store, deps.faults),
      timeoutMs: options.functionTimeoutMs,
      console: options.functionConsole,
    });
  } catch (error) {
    await closeServer(listening.server);
    throw error;
  }
}

