/**
 * The Admin API v3.0 operations the bundle uses, answering as ../shared/admin-api/openapi-admin-v3.yaml
 * describes them (status codes, `User`, `Error`). Paths here are relative to /api/admin/v3.0.
 * Every request first waits for the fault plan's latency, then asks it for a fault by the
 * operation's OpenAPI operationId, before anything is checked or changed.
 */
import type { IncomingMessage } from "node:http";
import { FAILURE_FAULTS, type FaultPlan } from "../faults";
import type { EmulatorState } from "../accounts/accountState";
import { nowSeconds } from "../accounts/clock";
import { AdminSecretStore, adminSecretsRoutes } from "./adminSecrets";
import { DOMAIN_ID, identitiesJson, type PendingRecord, type UserRecord } from "../accounts/records";
import { accountHttpError } from "./accountErrors";
import { authenticateRequest, bearerToken, requireRefresh } from "./auth";
import { readJsonObject } from "./body";
import { HttpError, empty, json, type Reply } from "./reply";
import { Router, methodNotAllowedError, notFoundError, type RouteParams } from "./router";

export const ADMIN_API_PREFIX = "/api/admin/v3.0";
/** The Admin API answers at most 50 users or pending users a page. */
const ADMIN_PAGE_SIZE = 50;

export interface AdminApiOptions {
  state: EmulatorState;
  faults: FaultPlan;
  /** The only group (project) and app ids the routes accept; any other → 404. */
  groupId: string;
  appId: string;
  clientAppId: string;
  appName: string;
  /** The app's secrets (deploy sets them); a fresh, empty store when absent. */
  secrets?: AdminSecretStore;
}

interface AdminRequestContext {
  req: IncomingMessage;
  params: RouteParams;
  query: URLSearchParams;
  /** The fault plan asked for this answer out of order (a list page, test-only). */
  outOfOrder?: boolean;
}

type Handler = (ctx: AdminRequestContext) => Promise<Reply>;

interface Operation {
  operationId: string;
  /** Whether the operation needs an Admin API access token and a known group/app. */
  appScoped: boolean;
  run: Handler;
}

/** The spec's `User` schema. */
function userJson(user: UserRecord): Record<string, unknown> {
  return {
    _id: user.id,
    identities: identitiesJson(user),
    type: user.type,
    creation_date: user.creationDate,
    last_authentication_date: user.lastAuthenticationDate,
    disabled: user.disabled,
    data: { ...user.data },
  };
}

/** An item of adminListPendingUsers. */
function pendingJson(p: PendingRecord): Record<string, unknown> {
  return { _id: p.id, user_id: "", domain_id: DOMAIN_ID, login_ids: [{ id_type: "email", id: p.email }] };
}

const userNotFound = () => new HttpError(404, "user not found", "UserNotFound");

export function createAdminApi(options: AdminApiOptions): { handle(req: IncomingMessage, path: string, query: URLSearchParams): Promise<Reply> } {
  const { state, faults } = options;
  const router = new Router<Operation>();
  const app = "/groups/:groupId/apps/:appId";

  const op = (operationId: string, appScoped: boolean, run: Handler): Operation => ({ operationId, appScoped, run });

  router
    .add("POST", "/auth/providers/mongodb-cloud/login", op("adminLogin", false, adminLogin))
    .add("POST", "/auth/session", op("adminCreateSession", false, adminCreateSession))
    .add("DELETE", "/auth/session", op("adminDeleteSession", false, adminDeleteSession))
    .add("GET", app, op("adminGetApplication", true, adminGetApplication))
    .add("GET", `${app}/users`, op("adminListUsers", true, adminListUsers))
    .add("POST", `${app}/users`, op("adminCreateUser", true, adminCreateUser))
    .add("GET", `${app}/users/:userId`, op("adminGetUser", true, adminGetUser))
    .add("DELETE", `${app}/users/:userId`, op("adminDeleteUser", true, adminDeleteUser))
    .add("PUT", `${app}/users/:userId/disable`, op("adminDisableUser", true, ({ params }) => setDisabled(params.userId, true)))
    .add("PUT", `${app}/users/:userId/enable`, op("adminEnableUser", true, ({ params }) => setDisabled(params.userId, false)))
    .add("PUT", `${app}/users/:userId/logout`, op("adminUserLogout", true, adminUserLogout))
    .add("GET", `${app}/user_registrations/pending_users`, op("adminListPendingUsers", true, adminListPendingUsers))
    .add("DELETE", `${app}/user_registrations/by_email/:email`, op("adminDeletePendingEmailPasswordUser", true, adminDeletePending));
  const secretsDeps = { state, groupId: options.groupId, store: options.secrets ?? new AdminSecretStore(), application: adminGetApplication };
  for (const r of adminSecretsRoutes(secretsDeps)) router.add(r.method, r.pattern, op(r.operationId, r.appScoped, r.run));

  async function handle(req: IncomingMessage, path: string, query: URLSearchParams): Promise<Reply> {
    await faults.delay();
    const method = req.method ?? "GET";
    const match = router.match(method, path);
    if (match.kind === "notFound") throw notFoundError(method, `${ADMIN_API_PREFIX}${path}`);
    if (match.kind === "wrongMethod") throw methodNotAllowedError(method, match.allowed);
    const { operationId, appScoped, run } = match.route.handler;
    const fault = faults.take(operationId, operationId === "adminListUsers" ? [...FAILURE_FAULTS, "outOfOrder"] : FAILURE_FAULTS);
    if (fault === "drop") return { kind: "drop" };
    if (fault === "status500") throw new HttpError(500, `internal server error (injected fault on ${operationId})`, "InternalServerError");
    if (appScoped) {
      await authenticateRequest(state, req, "admin-access");
      if (match.params.groupId !== options.groupId || match.params.appId !== options.appId) {
        throw new HttpError(404, `app not found: no app ${match.params.appId} in group ${match.params.groupId}`, "AppNotFound");
      }
    }
    return run({ req, params: match.params, query, outOfOrder: fault === "outOfOrder" });
  }

  async function adminLogin({ req }: AdminRequestContext): Promise<Reply> {
    const { username, apiKey } = await readJsonObject(req);
    if (typeof username !== "string" || typeof apiKey !== "string") {
      throw new HttpError(400, "expected a JSON body with string fields username and apiKey", "BadRequest");
    }
    const userId = state.checkAdminKey(username, apiKey);
    if (!userId) throw new HttpError(401, "failed to authenticate with MongoDB Cloud API: invalid API key", "InvalidPassword");
    const issued = await state.createSession("admin", userId);
    return json(200, { access_token: issued.accessToken, refresh_token: issued.refreshToken, user_id: userId, device_id: issued.session.deviceId });
  }

  async function adminCreateSession({ req }: AdminRequestContext): Promise<Reply> {
    const check = await state.checkToken(bearerToken(req), "admin-refresh");
    // The spec allows this operation one 401 answer only, whatever was wrong with the token.
    if (!check.ok) throw new HttpError(401, "invalid refresh token: incorrect token type", "InvalidSession");
    return json(201, { access_token: await state.issueAccessToken(check.session) });
  }

  async function adminDeleteSession({ req }: AdminRequestContext): Promise<Reply> {
    const check = requireRefresh(await state.checkToken(bearerToken(req), "admin-refresh"));
    state.revokeSession(check.session.id);
    return empty(204);
  }

  async function adminGetApplication(): Promise<Reply> {
    const now = nowSeconds(state.clock);
    return json(200, {
      _id: options.appId,
      client_app_id: options.clientAppId,
      name: options.appName,
      group_id: options.groupId,
      domain_id: DOMAIN_ID,
      location: "US-VA",
      deployment_model: "GLOBAL",
      provider_region: "aws-us-east-1",
      product: "standard",
      last_used: now,
      last_modified: now,
    });
  }

  async function adminListUsers({ query, outOfOrder }: AdminRequestContext): Promise<Reply> {
    const sort = query.get("sort");
    if (sort !== null && sort !== "_id") throw new HttpError(400, `invalid sort field "${sort}": the only valid value is "_id"`, "InvalidParameter");
    const desc = query.get("desc");
    if (desc !== null && desc !== "true" && desc !== "false") throw new HttpError(400, `invalid desc "${desc}": expected true or false`, "InvalidParameter");
    const users = state.listUsers({ after: query.get("after") ?? undefined, desc: desc === "true", limit: ADMIN_PAGE_SIZE });
    if (outOfOrder) users.reverse();
    return json(200, users.map(userJson));
  }

  async function adminCreateUser({ req }: AdminRequestContext): Promise<Reply> {
    const { email, password } = await readJsonObject(req);
    try {
      return json(201, userJson(await state.createEmailPasswordUser(email, password)));
    } catch (error) {
      throw accountHttpError(error);
    }
  }

  async function adminGetUser({ params }: AdminRequestContext): Promise<Reply> {
    const user = state.getUser(params.userId);
    if (!user) throw userNotFound();
    return json(200, userJson(user));
  }

  async function adminDeleteUser({ params }: AdminRequestContext): Promise<Reply> {
    if (!state.deleteUser(params.userId)) throw userNotFound();
    return empty(204);
  }

  async function setDisabled(userId: string, disabled: boolean): Promise<Reply> {
    if (!state.setDisabled(userId, disabled)) throw userNotFound();
    return empty(204);
  }

  async function adminUserLogout({ params }: AdminRequestContext): Promise<Reply> {
    if (!state.getUser(params.userId)) throw userNotFound();
    state.revokeSessionsOf("client", params.userId);
    return empty(204);
  }

  async function adminListPendingUsers({ query }: AdminRequestContext): Promise<Reply> {
    const pending = state.listPending({ after: query.get("after") ?? undefined, limit: ADMIN_PAGE_SIZE });
    return json(200, pending.map(pendingJson));
  }

  async function adminDeletePending({ params }: AdminRequestContext): Promise<Reply> {
    if (!state.deletePendingByEmail(params.email)) throw userNotFound();
    return empty(204);
  }

  return { handle };
}
