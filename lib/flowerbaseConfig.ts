/**
 * Configuration on Flowerbase, where `context.values.get(name)` returns `process.env[name]`: a
 * string or undefined (flowerforce/flowerbase packages/flowerbase/src/utils/context/helpers.ts:213-215),
 * and values/ and secrets are never read. Settings that are not strings arrive as JSON text (the
 * build writes them so in flowerbase.env) and are parsed here, once, before anything is touched.
 */
import { DEFAULT_OPERATION_BUDGET, VALUE_NAMES, optionalValue, parseCollectionRef, readSharedConfig, throwIfProblems, type SharedConfig, type Values } from "./config";

/** Where Flowerbase keeps its users, and the custom user data it keys by the user id. */
export interface UserStoreLocation {
  database: string;
  /** Flowerbase's `auth_collection` (default auth_users, flowerbase constants.ts:22). */
  collection: string;
  /** Flowerbase's custom user data: `collection_name` keyed by `user_id_field` (constants.ts:16-21). */
  customData: { database: string; collection: string; userIdField: string };
}

export interface FlowerbaseConfig extends SharedConfig {
  userStore: UserStoreLocation;
}

/**
 * The settings whose environment string is plain text; every other setting is JSON text. Listing
 * the strings (not the JSON ones) means a setting added later is parsed as JSON by default: a
 * number left as the string "900" would fail validation, never pass for something else.
 */
const STRING_VALUED: string[] = [
  VALUE_NAMES.publicKey,
  VALUE_NAMES.privateKey,
  VALUE_NAMES.baseUrl,
  VALUE_NAMES.groupId,
  VALUE_NAMES.appId,
  VALUE_NAMES.dataSource,
  VALUE_NAMES.runtime,
  VALUE_NAMES.userStoreDatabase,
  VALUE_NAMES.userStoreCollection,
];

const JSON_VALUED: string[] = Object.keys(VALUE_NAMES)
  .map((key) => VALUE_NAMES[key as keyof typeof VALUE_NAMES] as string)
  .filter((name) => STRING_VALUED.indexOf(name) < 0);

/** Whether a value is written as JSON in the environment (used by the build for flowerbase.env too). */
export function isJsonValued(name: string): boolean {
  return JSON_VALUED.indexOf(name) >= 0;
}

/**
 * The environment's strings as settings: JSON-valued ones parsed. A variable that is not valid
 * JSON is a problem naming it; its text is not quoted back (it may hold ids or field names).
 */
export function environmentValues(values: Values, problems: string[]): Values {
  const parsed: { [name: string]: unknown } = {};
  for (const name of JSON_VALUED) {
    const raw = values.get(name);
    if (typeof raw !== "string" || raw.trim() === "") {
      parsed[name] = raw === undefined || raw === null || raw === "" ? undefined : raw;
      continue;
    }
    try {
      parsed[name] = JSON.parse(raw);
    } catch (error) {
      problems.push(`Environment variable "${name}" is not valid JSON: write it as JSON text on one line, e.g. ${exampleOf(name)}.`);
    }
  }
  return {
    get(name: string): unknown {
      return isJsonValued(name) ? parsed[name] : values.get(name);
    },
  };
}

function exampleOf(name: string): string {
  switch (name) {
    case VALUE_NAMES.cleanup:
      return `${name}=[] (no cleanup) or ${name}=[{"database":"app","collection":"posts","ownerField":"owner_id","action":"delete"}]`;
    case VALUE_NAMES.admins:
      return `${name}=["64b7f0c2a1b2c3d4e5f60718"]`;
    case VALUE_NAMES.audit:
      return `${name}={"database":"app","collection":"deletions"}`;
    case VALUE_NAMES.jobState:
      return `${name}={"database":"accountDeletion","collection":"jobState"}`;
    case VALUE_NAMES.customUserData:
      return `${name}={"database":"main","collection":"users","userIdField":"id"}`;
    case VALUE_NAMES.allowServerUsers:
      return `${name}=false`;
    case VALUE_NAMES.pendingMaxAge:
      return `${name}=7`;
    case VALUE_NAMES.concurrency:
      return `${name}=10`;
    case VALUE_NAMES.runBudget:
      return `${name}=240`;
    case VALUE_NAMES.operationBudget:
      return `${name}=${DEFAULT_OPERATION_BUDGET}`;
    default:
      return `${name}=<JSON>`;
  }
}

/** Reads the Flowerbase configuration; throws one ConfigError listing every problem found. */
export function readFlowerbaseConfig(rawValues: Values): FlowerbaseConfig {
  const problems: string[] = [];
  const values = environmentValues(rawValues, problems);
  if (optionalValue(rawValues, VALUE_NAMES.cleanup) === undefined) {
    // Unset on Flowerbase would otherwise mean "delete the account and keep all its data".
    problems.push(
      `Environment variable "${VALUE_NAMES.cleanup}" is not set: set it to the cleanup plan as JSON, or to [] to delete accounts without touching any data (see flowerbase.env from the build).`,
    );
  }
  const shared = readSharedConfig(values, problems);
  const userStore = readUserStoreLocation(values, problems);
  throwIfProblems(problems);
  return { ...shared, userStore };
}

function readUserStoreLocation(values: Values, problems: string[]): UserStoreLocation {
  const database = optionalValue(values, VALUE_NAMES.userStoreDatabase);
  if (typeof database !== "string" || !database.trim()) {
    problems.push(
      `Environment variable "${VALUE_NAMES.userStoreDatabase}" is not set: set it to Flowerbase's auth database (auth_database in auth/providers.json, else the custom user data database_name, "main" by default).`,
    );
  }
  const collection = optionalValue(values, VALUE_NAMES.userStoreCollection) ?? "auth_users";
  if (typeof collection !== "string" || !collection.trim()) {
    problems.push(`Environment variable "${VALUE_NAMES.userStoreCollection}" must be a collection name (Flowerbase's auth_collection, "auth_users" by default).`);
  }
  const db = typeof database === "string" ? database.trim() : "";
  return { database: db, collection: String(collection).trim(), customData: readCustomData(values, db, problems) };
}

function readCustomData(values: Values, database: string, problems: string[]): UserStoreLocation["customData"] {
  const raw = optionalValue(values, VALUE_NAMES.customUserData);
  const fallback = { database, collection: "users", userIdField: "id" };
  if (raw === undefined) return fallback;
  const ref = parseCollectionRef(raw, VALUE_NAMES.customUserData, problems);
  const field = (raw as { userIdField?: unknown }).userIdField ?? "id";
  if (typeof field !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(field)) {
    problems.push(`Value "${VALUE_NAMES.customUserData}".userIdField must be a plain field name (Flowerbase's user_id_field, "id" by default).`);
    return fallback;
  }
  return ref ? { database: ref.database, collection: ref.collection, userIdField: field } : fallback;
}
