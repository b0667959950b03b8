/**
 * The `--data` file's JSON schema, checked with ajv before anything in the file is used, and the
 * signing key's strength. Problems are named by JSON pointer (RFC 6901) and never quote a value:
 * the file holds the signing key and password hashes.
 */
import Ajv, { type ErrorObject, type SchemaValidateFunction } from "ajv";

export const STATE_FILE_FORMAT = "app-services-emulator-state";
export const STATE_FILE_VERSION = 1;

/** HS256 wants a key of at least its hash's size (RFC 7518 section 3.2): 32 bytes. */
const MIN_SIGNING_KEY_BYTES = 32;
/**
 * 32 random bytes hold about 30 distinct values; fewer than 16 means a key typed or padded by
 * hand (all zeros, a repeated word), which an attacker could guess. A random key falls below this
 * with a chance far under 1 in 10^12.
 */
const MIN_DISTINCT_KEY_BYTES = 16;

/** Why a base64 signing key is too weak to sign tokens with, or undefined when it is fine. */
function signingKeyWeakness(base64: string): string | undefined {
  const bytes = Buffer.from(base64, "base64");
  if (bytes.length === 0 || bytes.toString("base64") !== base64) return "must be a base64 string (the emulator writes 32 random bytes)";
  if (bytes.length < MIN_SIGNING_KEY_BYTES) return `is ${bytes.length} bytes long; HS256 needs at least ${MIN_SIGNING_KEY_BYTES} random bytes`;
  const distinct = new Set(bytes).size;
  if (distinct < MIN_DISTINCT_KEY_BYTES) return `is not random: only ${distinct} distinct byte values in ${bytes.length} bytes`;
  return undefined;
}

/** The `signingKey` keyword (schema value `true`): the string is a strong HS256 key. */
const signingKeyKeyword: SchemaValidateFunction = function validateSigningKey(_schema: unknown, data: unknown) {
  const weakness = typeof data === "string" ? signingKeyWeakness(data) : undefined;
  signingKeyKeyword.errors = weakness ? [{ keyword: "signingKey", message: weakness, params: {} }] : [];
  return weakness === undefined;
};

const objectId = { type: "string", pattern: "^[0-9a-f]{24}$" };
const text = { type: "string", minLength: 1 };
/** Seconds (users) or milliseconds (sessions) since the epoch. */
const time = { type: "integer", minimum: 0 };
const plainObject = { type: "object" };

const identity = {
  type: "object",
  additionalProperties: false,
  required: ["id", "providerType", "providerId", "providerData"],
  properties: {
    id: text,
    providerType: { enum: ["anon-user", "local-userpass", "api-key"] },
    providerId: objectId,
    providerData: plainObject,
    passwordHash: text,
  },
};

const user = {
  type: "object",
  additionalProperties: false,
  required: ["id", "type", "creationDate", "lastAuthenticationDate", "disabled", "data", "identities"],
  properties: {
    id: objectId,
    type: { enum: ["normal", "server"] },
    creationDate: time,
    lastAuthenticationDate: time,
    disabled: { type: "boolean" },
    data: plainObject,
    identities: { type: "array", minItems: 1, items: identity },
  },
};

const pending = {
  type: "object",
  additionalProperties: false,
  required: ["id", "email", "passwordHash"],
  properties: { id: objectId, email: text, passwordHash: text },
};

const session = {
  type: "object",
  additionalProperties: false,
  required: ["id", "kind", "subject", "deviceId", "createdAt", "expiresAt"],
  properties: {
    id: text,
    kind: { enum: ["client", "admin"] },
    subject: text,
    deviceId: text,
    createdAt: time,
    expiresAt: time,
  },
};

const STATE_FILE_SCHEMA = {
  type: "object",
  additionalProperties: false,
  required: ["format", "version", "state", "documents"],
  properties: {
    format: { const: STATE_FILE_FORMAT },
    version: { const: STATE_FILE_VERSION },
    savedAt: { type: "string" },
    state: {
      type: "object",
      additionalProperties: false,
      required: ["signingKey", "users", "pending", "sessions"],
      properties: {
        signingKey: { type: "string", signingKey: true },
        users: { type: "array", items: user },
        pending: { type: "array", items: pending },
        sessions: { type: "array", items: session },
      },
    },
    // Documents are canonical EJSON; the data service checks namespaces and values when it loads them.
    documents: { type: "object", additionalProperties: { type: "array", items: plainObject } },
  },
};

let compiled: ReturnType<Ajv["compile"]> | undefined;

function validator(): ReturnType<Ajv["compile"]> {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, strict: true });
    ajv.addKeyword({ keyword: "signingKey", type: "string", schemaType: "boolean", errors: true, validate: signingKeyKeyword });
    compiled = ajv.compile(STATE_FILE_SCHEMA);
  }
  return compiled;
}

/** At most this many problems are listed; the first ones are enough to start fixing. */
const MAX_LISTED = 5;

/** The schema problems of a parsed state file, each "<JSON pointer> <problem>"; empty when valid. */
export function stateFileSchemaProblems(value: unknown): string[] {
  const validate = validator();
  if (validate(value)) return [];
  return (validate.errors ?? []).slice(0, MAX_LISTED).map(describeProblem);
}

function describeProblem(error: ErrorObject): string {
  const at = error.instancePath === "" ? "/" : error.instancePath;
  if (error.keyword === "additionalProperties") {
    const extra = String((error.params as { additionalProperty?: unknown }).additionalProperty);
    return `${at}/${extra.replace(/~/g, "~0").replace(/\//g, "~1")} is not a field of the state file`;
  }
  if (error.keyword === "required") return `${at} ${error.message ?? "is incomplete"}`;
  return `${at} ${error.message ?? "is invalid"}`;
}
