/**
 * Reads and validates every value the bundle uses, once per call, before anything is touched.
 * All problems are reported together, each naming the value and the fix.
 */
import { isObjectIdHex } from "./ids";
import { parseCleanupPlan, isPlainObject, typeName, type CleanupRule } from "./cleanupPlan";
import { ConfigError } from "./errors";
import { LIMITS } from "./limits";

export const DEFAULT_ADMIN_API_BASE_URL = "https://services.cloud.mongodb.com/api/admin/v3.0";

/** The names of the values this bundle reads (values/<name>.json). */
export const VALUE_NAMES = {
  publicKey: "adminApiPublicKey",
  privateKey: "adminApiPrivateKey",
  baseUrl: "adminApiBaseUrl",
  groupId: "adminApiGroupId",
  appId: "adminApiAppId",
  allowServerUsers: "allowServerUserSelfDelete",
  cleanup: "userDataCleanup",
  audit: "deletionAuditCollection",
  admins: "accountAdmins",
  pendingMaxAge: "pendingUserMaxAgeDays",
  dataSource: "dataSourceName",
  jobState: "jobStateCollection",
  concurrency: "batchConcurrency",
  runBudget: "scheduledRunBudgetSeconds",
  runtime: "runtime",
  userStoreDatabase: "userStoreDatabase",
  userStoreCollection: "userStoreCollection",
  customUserData: "customUserDataCollection",
  operationBudget: "scheduledRunOperationBudget",
} as const;

/** The default operation budget of a scheduled run: margin under the runtime's 1000 async operations. */
export const DEFAULT_OPERATION_BUDGET = 900;
/** Below this a run could not log in, read its resume point, do one step and close (lib/operationBudget.ts). */
export const MIN_OPERATION_BUDGET = 20;

export interface AdminApiConfig {
  baseUrl: string;
  groupId: string;
  appId: string;
  publicKey: string;
  privateKey: string;
}

/** The settings both platforms share. */
export interface SharedConfig {
  allowServerUserSelfDelete: boolean;
  cleanupRules: CleanupRule[];
  auditCollection?: { database: string; collection: string };
  accountAdmins: string[];
  pendingUserMaxAgeDays: number;
  dataSourceName: string;
  /** Where the scheduled functions keep their resume points. */
  jobStateCollection: { database: string; collection: string };
  /** Admin API requests a scheduled run keeps in flight at once. */
  batchConcurrency: number;
  /** A scheduled run starts no new work after this many seconds (App Services stops it at 300). */
  scheduledRunBudgetSeconds: number;
  /** Async operations a scheduled run may issue in all (App Services stops an execution at 1000). */
  scheduledRunOperationBudget: number;
}

/** App Services: users through the Admin API. */
export interface BundleConfig extends SharedConfig {
  adminApi: AdminApiConfig;
}

export type Values = { get(name: string): unknown };
type AppInfo = { id?: string; projectId?: string };

/** A value as a setting: null and "" count as unset. */
export function optionalValue(values: Values, name: string): unknown {
  const v = values.get(name);
  return v === null || v === "" ? undefined : v;
}

/** Reads the App Services configuration; throws one ConfigError listing every problem found. */
export function readConfig(values: Values, app: AppInfo | undefined): BundleConfig {
  const problems: string[] = [];
  // Without context.app (Flowerbase) this is a configuration error naming the values, not a TypeError.
  const adminApi = readAdminApiConfig(values, app || {}, problems);
  const shared = readSharedConfig(values, problems);
  throwIfProblems(problems);
  return { adminApi, ...shared };
}

export function throwIfProblems(problems: string[]): void {
  if (problems.length > 0) {
    throw new ConfigError(`Configuration problem${problems.length > 1 ? "s" : ""}: ${problems.join(" ")}`);
  }
}

function readAdminApiConfig(values: Values, app: AppInfo, problems: string[]): AdminApiConfig {
  const publicKey = requiredSecret(values, VALUE_NAMES.publicKey, problems);
  const privateKey = requiredSecret(values, VALUE_NAMES.privateKey, problems);

  const baseUrl = optionalValue(values, VALUE_NAMES.baseUrl) ?? DEFAULT_ADMIN_API_BASE_URL;
  if (typeof baseUrl !== "string" || !/^https?:\/\/[^\s/]+/.test(baseUrl)) {
    problems.push(`Value "${VALUE_NAMES.baseUrl}" must be an http(s) URL such as ${DEFAULT_ADMIN_API_BASE_URL}; remove it to use that default.`);
  }
  const groupId = idValue(optionalValue(values, VALUE_NAMES.groupId), app.projectId, VALUE_NAMES.groupId, "context.app.projectId", problems);
  const appId = idValue(optionalValue(values, VALUE_NAMES.appId), app.id, VALUE_NAMES.appId, "context.app.id", problems);
  return { baseUrl: String(baseUrl).replace(/\/+$/, ""), groupId, appId, publicKey, privateKey };
}

/** The settings both platforms share, from values that are already parsed (JSON on Flowerbase). */
export function readSharedConfig(values: Values, problems: string[]): SharedConfig {
  const optional = (name: string): unknown => optionalValue(values, name);

  const allowServer = optional(VALUE_NAMES.allowServerUsers) ?? false;
  if (typeof allowServer !== "boolean") problems.push(`Value "${VALUE_NAMES.allowServerUsers}" must be true or false, got ${typeName(allowServer)}.`);

  const plan = parseCleanupPlan(optional(VALUE_NAMES.cleanup));
  problems.push(...plan.problems.map((p) => `Value ${p}`));

  const auditCollection = parseCollectionRef(optional(VALUE_NAMES.audit), VALUE_NAMES.audit, problems);

  const admins = optional(VALUE_NAMES.admins) ?? [];
  if (!Array.isArray(admins) || !admins.every(isObjectIdHex)) {
    problems.push(`Value "${VALUE_NAMES.admins}" must be an array of App Services user ids (24 hex characters each), e.g. ["64b7f0c2a1b2c3d4e5f60718"].`);
  }

  const maxAge = optional(VALUE_NAMES.pendingMaxAge) ?? 7;
  if (typeof maxAge !== "number" || !isFinite(maxAge) || maxAge <= 0) {
    problems.push(`Value "${VALUE_NAMES.pendingMaxAge}" must be a positive number of days, got ${JSON.stringify(maxAge)}.`);
  }

  const dataSourceName = optional(VALUE_NAMES.dataSource) ?? "mongodb-atlas";
  if (typeof dataSourceName !== "string") problems.push(`Value "${VALUE_NAMES.dataSource}" must be the name of the linked data source, e.g. "mongodb-atlas".`);

  const jobState = parseCollectionRef(optional(VALUE_NAMES.jobState), VALUE_NAMES.jobState, problems) ?? DEFAULT_JOB_STATE;

  const concurrency = optional(VALUE_NAMES.concurrency) ?? 10;
  if (typeof concurrency !== "number" || !isFinite(concurrency) || Math.floor(concurrency) !== concurrency || concurrency < 1 || concurrency > 20) {
    problems.push(`Value "${VALUE_NAMES.concurrency}" must be a whole number from 1 to 20 (App Services allows 25 sockets), got ${JSON.stringify(concurrency)}.`);
  }
  const runBudget = optional(VALUE_NAMES.runBudget) ?? 240;
  if (typeof runBudget !== "number" || !(runBudget > 0 && runBudget <= 280)) {
    problems.push(`Value "${VALUE_NAMES.runBudget}" must be a number of seconds above 0 and at most 280, inside the 300 s limit, got ${JSON.stringify(runBudget)}.`);
  }

  const operationBudget = optional(VALUE_NAMES.operationBudget) ?? DEFAULT_OPERATION_BUDGET;
  if (typeof operationBudget !== "number" || Math.floor(operationBudget) !== operationBudget || operationBudget < MIN_OPERATION_BUDGET || operationBudget > LIMITS.asyncOperations) {
    problems.push(
      `Value "${VALUE_NAMES.operationBudget}" must be a whole number of async operations from ${MIN_OPERATION_BUDGET} to ${LIMITS.asyncOperations} (App Services stops a function at ${LIMITS.asyncOperations}; the default ${DEFAULT_OPERATION_BUDGET} leaves a margin), got ${JSON.stringify(operationBudget)}.`,
    );
  }


  return {
    allowServerUserSelfDelete: allowServer as boolean,
    cleanupRules: plan.rules,
    auditCollection,
    accountAdmins: Array.isArray(admins) ? (admins as string[]).map((id) => String(id).toLowerCase()) : [],
    pendingUserMaxAgeDays: maxAge as number,
    dataSourceName: dataSourceName as string,
    jobStateCollection: jobState,
    batchConcurrency: concurrency as number,
    scheduledRunBudgetSeconds: runBudget as number,
    scheduledRunOperationBudget: operationBudget as number,
  };
}

function requiredSecret(values: Values, name: string, problems: string[]): string {
  const value = values.get(name);
  if (typeof value === "string" && value.trim().length > 0) return value.trim();
  problems.push(
    `Value "${name}" is ${value === undefined ? "missing" : "empty or not a string"}: create it with from_secret: true, pointing at a secret that holds the Admin API key (see secrets.example.json).`,
  );
  return "";
}

function idValue(override: unknown, fromApp: string | undefined, name: string, source: string, problems: string[]): string {
  const id = override ?? fromApp;
  if (isObjectIdHex(id)) return id;
  if (override !== undefined) problems.push(`Value "${name}" must be a 24-hex id; remove it to use ${source}.`);
  else problems.push(`${source} is not available (got ${JSON.stringify(fromApp)}): set the value "${name}" to the id.`);
  return "";
}

const DEFAULT_JOB_STATE = { database: "accountDeletion", collection: "jobState" };

export function parseCollectionRef(raw: unknown, name: string, problems: string[]): { database: string; collection: string } | undefined {
  if (raw === undefined) return undefined;
  if (isPlainObject(raw) && typeof raw.database === "string" && raw.database && typeof raw.collection === "string" && raw.collection) {
    return { database: raw.database, collection: raw.collection };
  }
  problems.push(`Value "${name}" must be { "database": "...", "collection": "..." }, or null for the default.`);
  return undefined;
}
