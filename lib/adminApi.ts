/**
 * The Admin API login helper and a thin typed client for the user endpoints this bundle needs,
 * following ../shared/admin-api/openapi-admin-v3.yaml.
 */
import type { AdminApiConfig } from "./config";
import { adminRequest } from "./adminRequest";
import { ConfigError, isAdminApiError, messageOf } from "./errors";
import { logs } from "./logs";

/** Schema User, the fields this bundle reads. */
export interface AdminUser {
  _id: string;
  type?: string;
  disabled?: boolean;
  identities?: Array<{ id: string; provider_type: string }>;
  data?: Record<string, unknown>;
  creation_date?: number;
  last_authentication_date?: number;
}

/** An item of adminListPendingUsers. */
export interface PendingUser {
  _id: string;
  user_id?: string;
  domain_id: string;
  login_ids: Array<{ id_type: "email"; id: string }>;
}

/** What a delete did: removed the user, or found it already gone (a retried call). */
export type DeleteOutcome = "deleted" | "alreadyGone";

/** What adminLogin answers: the access token for requests, the refresh token that ends the session. */
export interface AdminSession {
  accessToken: string;
  /** Absent only when the server sent none: then there is no session to close. */
  refreshToken?: string;
}

/**
 * Logs in with the API key pair and returns the session's tokens.
 * A refused key is a configuration error that names the values to check.
 */
export async function adminLogin(http: AppServicesHttp, config: AdminApiConfig): Promise<AdminSession> {
  try {
    const { json } = await adminRequest(http, {
      operation: "adminLogin",
      method: "post",
      url: `${config.baseUrl}/auth/providers/mongodb-cloud/login`,
      body: { username: config.publicKey, apiKey: config.privateKey },
      ok: [200],
    });
    const body = (json ?? {}) as { access_token?: unknown; refresh_token?: unknown };
    const token = body.access_token;
    if (typeof token !== "string" || !token) {
      throw new ConfigError(`Admin API login at ${config.baseUrl} answered 200 without an access_token: check that the value adminApiBaseUrl points at the App Services Admin API (…/api/admin/v3.0).`);
    }
    return { accessToken: token, refreshToken: typeof body.refresh_token === "string" && body.refresh_token ? body.refresh_token : undefined };
  } catch (error) {
    if (isAdminApiError(error) && (error.status === 401 || error.status === 403)) {
      throw new ConfigError(
        `Admin API login was refused (status ${error.status}): check the values adminApiPublicKey and adminApiPrivateKey and the secrets behind them; they must hold the public and private key of an Atlas project API key with the Project Owner role on this app's project.`,
      );
    }
    throw error;
  }
}

export interface AdminApiClient {
  getUser(userId: string): Promise<AdminUser | undefined>;
  /** One page of 50 users, after the given user id. */
  listUsers(after?: string): Promise<AdminUser[]>;
  deleteUser(userId: string): Promise<DeleteOutcome>;
  disableUser(userId: string): Promise<void>;
  enableUser(userId: string): Promise<void>;
  logoutUser(userId: string): Promise<void>;
  /** One page of 50 pending registrations, after the given pending id. */
  listPendingUsers(after?: string): Promise<PendingUser[]>;
  deletePendingUser(email: string): Promise<DeleteOutcome>;
  /** Throws a ConfigError unless the configured group and app exist: guards anything that acts on a 404. */
  assertAppExists(): Promise<void>;
  /** Ends the session this client logged in with (adminDeleteSession, with the refresh token); its tokens stop working. */
  closeSession(): Promise<void>;
}

/** A client over the session from adminLogin. */
export function createAdminApiClient(http: AppServicesHttp, config: AdminApiConfig, session: AdminSession): AdminApiClient {
  const { accessToken, refreshToken } = session;
  const appUrl = `${config.baseUrl}/groups/${encodeURIComponent(config.groupId)}/apps/${encodeURIComponent(config.appId)}`;
  const call = (operation: string, method: "get" | "put" | "delete", path: string, ok: number[], listBody = false) =>
    adminRequest(http, { operation, method, url: `${appUrl}${path}`, token: accessToken, ok, listBody });
  const userPath = (userId: string) => `/users/${encodeURIComponent(userId)}`;
  const page = (after?: string) => (after ? `?after=${encodeURIComponent(after)}` : "");

  // Once confirmed in a session the app is not asked about again: a scheduled run that checked it
  // first then spends no request on a 404 ("already gone") of each delete.
  let appConfirmed = false;
  async function assertAppExists(): Promise<void> {
    if (appConfirmed) return;
    const app = await adminRequest(http, { operation: "adminGetApplication", method: "get", url: appUrl, token: accessToken, ok: [200, 404] });
    if (app.status === 404) {
      throw new ConfigError(
        `The Admin API has no app ${config.appId} in project ${config.groupId}: check the values adminApiGroupId and adminApiAppId (or remove them to use context.app).`,
      );
    }
    appConfirmed = true;
  }

  /**
   * Every request about one user or registration. A 404 means "no such user" only once the app is
   * known to exist (a wrong group or app id answers 404 too), so a misconfigured id never passes for
   * a missing user: `undefined` where "no such user" is an answer (get, delete), else the 404 error.
   */
  async function userCall(operation: string, method: "get" | "put" | "delete", path: string, ok: number[], notFoundIsAnswer: boolean) {
    try {
      return await call(operation, method, path, ok);
    } catch (error) {
      if (!isAdminApiError(error) || error.status !== 404) throw error;
      await assertAppExists();
      if (notFoundIsAnswer) return undefined;
      throw error;
    }
  }

  return {
    assertAppExists,
    async closeSession() {
      if (!refreshToken) return;
      await adminRequest(http, { operation: "adminDeleteSession", method: "delete", url: `${config.baseUrl}/auth/session`, token: refreshToken, ok: [204] });
    },
    async getUser(userId) {
      const found = await userCall("adminGetUser", "get", userPath(userId), [200], true);
      if (!found) return undefined;
      const json = found.json;
      // Any 200 is a live user, whatever its body: taking an empty body for "gone" would clean a live user's data.
      return typeof json === "object" && json !== null ? (json as AdminUser) : { _id: userId };
    },
    async listUsers(after) {
      const { json } = await call("adminListUsers", "get", `/users${page(after)}`, [200], true);
      return json as AdminUser[];
    },
    async deleteUser(userId) {
      return (await userCall("adminDeleteUser", "delete", userPath(userId), [204], true)) ? "deleted" : "alreadyGone";
    },
    async disableUser(userId) {
      await userCall("adminDisableUser", "put", `${userPath(userId)}/disable`, [204], false);
    },
    async enableUser(userId) {
      await userCall("adminEnableUser", "put", `${userPath(userId)}/enable`, [204], false);
    },
    async logoutUser(userId) {
      await userCall("adminUserLogout", "put", `${userPath(userId)}/logout`, [204], false);
    },
    async listPendingUsers(after) {
      const { json } = await call("adminListPendingUsers", "get", `/user_registrations/pending_users${page(after)}`, [200], true);
      return json as PendingUser[];
    },
    async deletePendingUser(email) {
      const deleted = await userCall("adminDeletePendingEmailPasswordUser", "delete", `/user_registrations/by_email/${encodeURIComponent(email)}`, [204], true);
      return deleted ? "deleted" : "alreadyGone";
    },
  };
}

/** Logs in once and returns a client: what every function that manages users starts with. */
export async function connectAdminApi(http: AppServicesHttp, config: AdminApiConfig): Promise<AdminApiClient> {
  return createAdminApiClient(http, config, await adminLogin(http, config));
}

/**
 * Closing a client's session, best effort: the returned function sends the request once (a second
 * call waits for the same one) and never rejects, so it can never fail work already done; a
 * failure is logged, and the session then ends when its refresh token expires.
 */
export function sessionCloser(fn: string, client: AdminApiClient): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => {
    closing = closing || client.closeSession().catch((error: unknown) => logs.adminSessionNotClosed(fn, messageOf(error)));
    return closing;
  };
}

/**
 * Logs in, runs `work`, and closes the session before returning, whether `work` succeeded or not.
 * `work` gets the closer too, to start the logout alongside its own last request.
 */
export async function withAdminApi<T>(
  fn: string,
  http: AppServicesHttp,
  config: AdminApiConfig,
  work: (client: AdminApiClient, closeSession: () => Promise<void>) => Promise<T>,
): Promise<T> {
  const client = await connectAdminApi(http, config);
  const close = sessionCloser(fn, client);
  try {
    return await work(client, close);
  } finally {
    await close();
  }
}
