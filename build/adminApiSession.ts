/**
 * The few Admin API v3.0 calls `npm run deploy` makes, over Node's own fetch (no child process,
 * so no secret ever sits in a command line or a child's environment), following
 * ../shared/admin-api/openapi-admin-v3.yaml: adminLogin, adminListApplications,
 * adminGetAllSecrets, adminCreateASecret, adminModifyASecret, and adminDeleteSession to end the
 * session. Secret values travel only in request bodies; no error built here quotes a body sent.
 */

import { DEFAULT_ADMIN_API_BASE_URL } from "../lib/config";
import { isRecord, tryParseJson } from "./json";

/** The same default the bundle's functions use (lib/config.ts). */
export const DEFAULT_ADMIN_API_URL = DEFAULT_ADMIN_API_BASE_URL;

/** An Admin API call failed. `status` is 0 when no answer came. The message never holds a sent body. */
export class AdminApiCallError extends Error {
  override name = "AdminApiCallError";
  constructor(
    readonly operation: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The spec's `AppInstance`, the fields deploy reads. */
export interface AppInstance {
  _id: string;
  client_app_id: string;
  name?: string;
  group_id?: string;
}

export interface SecretInfo {
  _id: string;
  name: string;
}

export interface AdminApiSession {
  listApps(groupId: string): Promise<AppInstance[]>;
  listSecrets(groupId: string, appId: string): Promise<SecretInfo[]>;
  createSecret(groupId: string, appId: string, name: string, value: string): Promise<void>;
  updateSecret(groupId: string, appId: string, secret: SecretInfo, value: string): Promise<void>;
  /** Ends the session (adminDeleteSession); best effort, never throws. */
  close(): Promise<void>;
}

interface Call {
  operation: string;
  method: string;
  path: string;
  token?: string;
  body?: unknown;
  ok: number[];
}

/** Logs in with an Atlas API key pair and returns a session for the calls deploy needs. */
export async function openAdminApiSession(baseUrl: string, publicKey: string, privateKey: string, timeoutMs: number): Promise<AdminApiSession> {
  const call = (request: Call) => callAdminApi(baseUrl, timeoutMs, request);
  const login = await call({
    operation: "adminLogin",
    method: "POST",
    path: "/auth/providers/mongodb-cloud/login",
    body: { username: publicKey, apiKey: privateKey },
    ok: [200],
  });
  const { access_token: access, refresh_token: refresh } = (login ?? {}) as { access_token?: unknown; refresh_token?: unknown };
  if (typeof access !== "string" || access === "") {
    throw new AdminApiCallError("adminLogin", 200, `adminLogin at ${baseUrl} answered without an access_token: check that the URL is the App Services Admin API (…/api/admin/v3.0).`);
  }
  const app = (groupId: string, appId: string) => `/groups/${encodeURIComponent(groupId)}/apps/${encodeURIComponent(appId)}`;
  return {
    async listApps(groupId) {
      const apps = await call({ operation: "adminListApplications", method: "GET", path: `/groups/${encodeURIComponent(groupId)}/apps`, token: access, ok: [200] });
      return listOf(apps, "adminListApplications").filter(isAppInstance);
    },
    async listSecrets(groupId, appId) {
      const secrets = await call({ operation: "adminGetAllSecrets", method: "GET", path: `${app(groupId, appId)}/secrets`, token: access, ok: [200] });
      return listOf(secrets, "adminGetAllSecrets").filter(isSecretInfo);
    },
    async createSecret(groupId, appId, name, value) {
      await call({ operation: "adminCreateASecret", method: "POST", path: `${app(groupId, appId)}/secrets`, token: access, body: { name, value }, ok: [201] });
    },
    async updateSecret(groupId, appId, secret, value) {
      const path = `${app(groupId, appId)}/secrets/${encodeURIComponent(secret._id)}`;
      await call({ operation: "adminModifyASecret", method: "PUT", path, token: access, body: { _id: secret._id, name: secret.name, value }, ok: [204] });
    },
    async close() {
      if (typeof refresh !== "string" || refresh === "") return;
      await call({ operation: "adminDeleteSession", method: "DELETE", path: "/auth/session", token: refresh, ok: [204] }).catch(() => undefined);
    },
  };
}

async function callAdminApi(baseUrl: string, timeoutMs: number, request: Call): Promise<unknown> {
  const where = `${request.method} ${baseUrl}${request.path}`;
  const headers: Record<string, string> = { Accept: "application/json" };
  if (request.token) headers.Authorization = `Bearer ${request.token}`;
  if (request.body !== undefined) headers["Content-Type"] = "application/json";
  let response: Response;
  try {
    response = await fetch(`${baseUrl}${request.path}`, {
      method: request.method,
      headers,
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      // A redirect would re-send the key pair or a secret to wherever it points.
      redirect: "error",
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new AdminApiCallError(request.operation, 0, `${request.operation} (${where}) got no answer: ${networkCause(error, timeoutMs)}.`);
  }
  const text = await response.text().catch(() => "");
  const parsed = tryParseJson(text);
  if (request.ok.includes(response.status)) return parsed;
  const apiError = isRecord(parsed) && typeof parsed.error === "string" ? `: ${parsed.error.slice(0, 300)}` : "";
  throw new AdminApiCallError(request.operation, response.status, `${request.operation} (${where}) answered ${response.status}${apiError}.`);
}

function networkCause(error: unknown, timeoutMs: number): string {
  // AbortSignal.timeout rejects with a DOMException, which is not an Error of every realm (jest's): judge it by its name.
  const name = isRecord(error) || error instanceof Error ? (error as { name?: unknown }).name : undefined;
  if (name === "TimeoutError" || name === "AbortError") return `no answer within ${Math.round(timeoutMs / 1000)} s`;
  const cause = error instanceof Error && isRecord(error.cause) ? error.cause : undefined;
  const code = cause && typeof cause.code === "string" ? cause.code : undefined;
  const message = error instanceof Error ? error.message : String(error);
  return code ? `${message} (${code})` : message;
}

function listOf(value: unknown, operation: string): unknown[] {
  if (Array.isArray(value)) return value;
  throw new AdminApiCallError(operation, 200, `${operation} answered 200 without a JSON list: check that the URL is the App Services Admin API (…/api/admin/v3.0).`);
}

function isAppInstance(value: unknown): value is AppInstance {
  return isRecord(value) && typeof value._id === "string" && typeof value.client_app_id === "string";
}

function isSecretInfo(value: unknown): value is SecretInfo {
  return isRecord(value) && typeof value._id === "string" && typeof value.name === "string";
}
