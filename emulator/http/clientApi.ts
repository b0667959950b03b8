/**
 * The client API (/api/client/v2.0) that realm-web 2.0.1 speaks, unmodified: location, login
 * (anon-user, local-userpass), registration, profile, session refresh and logout, function calls
 * in canonical EJSON, and the built-in user delete. Errors are App Services' `{ error, error_code, link? }`.
 */
import { messageOf } from "../../lib/errors";
import { isObjectIdHex } from "../../lib/ids";
import { RUNTIME_ERRORS, runtimeErrorName } from "../runtime/functionRuntime";
import type { IncomingMessage } from "node:http";
import { randomBytes } from "node:crypto";
import { ObjectId } from "bson";
import type { RuntimeAppInfo, RuntimeUser } from "../runtime/types";
import type { EmulatorState } from "../accounts/accountState";
import { DOMAIN_ID, identitiesJson, type UserRecord } from "../accounts/records";
import type { AccessCheck } from "../accounts/sessions";
import { accountHttpError } from "./accountErrors";
import { authenticateRequest, bearerToken, requireAccess, requireRefresh } from "./auth";
import { readJsonObject } from "./body";
import { locationReply, matchClientRoute, parseEjson, readFunctionCall, runFunctionCall, type FunctionCaller } from "./functionCall";
import { HttpError, empty, json, type Reply } from "./reply";
import { Router, type RouteParams } from "./router";

export { CLIENT_API_PREFIX, MAX_FUNCTION_NAME_LENGTH, type FunctionCaller } from "./functionCall";

export interface ClientApiOptions {
  state: EmulatorState;
  clientAppId: string;
  appInfo: RuntimeAppInfo;
  /** The emulator's base URL: the `hostname` realm-web sends every later request to. */
  baseUrl(): string;
  runtime(): FunctionCaller;
  requireEmailConfirmation: boolean;
  /** One line per function call; never arguments, tokens or keys. */
  log(line: string): void;
}

interface ClientRequestContext {
  req: IncomingMessage;
  params: RouteParams;
  query: URLSearchParams;
}

type Handler = (ctx: ClientRequestContext) => Promise<Reply>;

/** `context.user` for a function called by this user. */
export function runtimeUser(user: UserRecord): RuntimeUser {
  return {
    id: user.id,
    type: user.type,
    data: { ...user.data },
    custom_data: {},
    identities: user.identities.map((i) => ({ id: i.id, provider_type: i.providerType, data: { ...i.providerData } })),
  };
}

/** The profile realm-web reads after login (`type`, `identities`, `data`). */
function profileJson(user: UserRecord): Record<string, unknown> {
  return {
    user_id: user.id,
    domain_id: DOMAIN_ID,
    identities: identitiesJson(user),
    data: { ...user.data },
    type: user.type,
  };
}

export function createClientApi(options: ClientApiOptions): { handle(req: IncomingMessage, path: string, query: URLSearchParams): Promise<Reply> } {
  const { state } = options;
  const router = new Router<Handler>()
    .add("GET", "/app/:clientAppId/location", location)
    .add("POST", "/app/:clientAppId/auth/providers/local-userpass/register", register)
    .add("POST", "/app/:clientAppId/auth/providers/:provider/login", login)
    .add("POST", "/app/:clientAppId/functions/call", callFunction)
    .add("GET", "/auth/profile", profile)
    .add("POST", "/auth/session", refreshSession)
    .add("DELETE", "/auth/session", logout)
    .add("DELETE", "/auth/delete", deleteSelf);

  async function handle(req: IncomingMessage, path: string, query: URLSearchParams): Promise<Reply> {
    const { handler, params } = matchClientRoute(router, req, path, options.clientAppId);
    return handler({ req, params, query });
  }

  async function location(): Promise<Reply> {
    return locationReply(options.baseUrl());
  }

  async function login({ req, params, query }: ClientRequestContext): Promise<Reply> {
    if (query.get("link") === "true") throw new HttpError(400, "linking identities is not supported by the emulator", "BadRequest");
    const body = await readJsonObject(req, parseEjson);
    const user = await authenticate(params.provider, body);
    state.touchAuthentication(user.id);
    const issued = await state.createSession("client", user.id, deviceIdOf(body));
    return json(200, { access_token: issued.accessToken, refresh_token: issued.refreshToken, user_id: user.id, device_id: issued.session.deviceId });
  }

  async function authenticate(provider: string, body: Record<string, unknown>): Promise<UserRecord> {
    if (provider === "anon-user") return state.createAnonymousUser();
    if (provider !== "local-userpass" && provider !== "api-key") {
      throw new HttpError(404, `authentication via '${provider}' is unsupported by the emulator (use anon-user, local-userpass or api-key)`, "AuthProviderNotFound");
    }
    try {
      if (provider === "api-key") return state.authenticateApiKey(body.key);
      return await state.authenticateEmailPassword(body.username, body.password);
    } catch (error) {
      throw accountHttpError(error);
    }
  }

  async function register({ req }: ClientRequestContext): Promise<Reply> {
    const body = await readJsonObject(req, parseEjson);
    try {
      await state.register(body.email, body.password, options.requireEmailConfirmation);
    } catch (error) {
      throw accountHttpError(error);
    }
    return empty(201);
  }

  async function profile({ req }: ClientRequestContext): Promise<Reply> {
    return json(200, profileJson(userOf(await authenticateRequest(state, req, "access"))));
  }

  async function refreshSession({ req }: ClientRequestContext): Promise<Reply> {
    const check = requireRefresh(await state.checkToken(bearerToken(req), "refresh"));
    return json(201, { access_token: await state.issueAccessToken(check.session) });
  }

  async function logout({ req }: ClientRequestContext): Promise<Reply> {
    const check = requireRefresh(await state.checkToken(bearerToken(req), "refresh"));
    state.revokeSession(check.session.id);
    return empty(204);
  }

  async function deleteSelf({ req }: ClientRequestContext): Promise<Reply> {
    const user = userOf(await authenticateRequest(state, req, "access"));
    state.deleteUser(user.id);
    return empty(204);
  }

  function userOf(check: Extract<AccessCheck, { ok: true }>): UserRecord {
    const user = state.getUser(check.session.subject);
    // checkToken already requires a live, enabled user; this only satisfies the type.
    if (!user) throw new HttpError(401, "invalid session: failed to find session", "InvalidSession");
    return user;
  }

  async function callFunction({ req }: ClientRequestContext): Promise<Reply> {
    // Authenticate before reading the body, as App Services does: a stale token costs no upload work.
    const user = userOf(requireAccess(await state.checkToken(bearerToken(req), "access"), "an access token"));
    const { name, args, body } = await readFunctionCall(req);
    if (body.service !== undefined) throw serviceNotFound(body.service);
    const callId = new ObjectId().toHexString();
    return runFunctionCall({ runtime: options.runtime(), name, args, user: runtimeUser(user), userId: user.id, log: options.log, errorAnswer: (error) => functionError(name, error, callId) });
  }

  /** Echoes a service name only when it is a short plain name: the caller chose it, and a 5 MB one comes back nowhere. */
  function serviceNotFound(service: unknown): HttpError {
    const plain = typeof service === "string" && /^[A-Za-z0-9_-]{1,64}$/.test(service);
    return new HttpError(404, plain ? `service not found: '${service}'` : "service not found", "ServiceNotFound");
  }

  function functionError(name: string, error: unknown, callId: string): HttpError {
    const message = messageOf(error);
    const link = `${options.baseUrl()}/groups/${options.appInfo.projectId}/apps/${options.appInfo.id}/logs?co_id=${callId}`;
    switch (runtimeErrorName(error)) {
      // A private function is as invisible to clients as a missing one.
      case RUNTIME_ERRORS.notFound:
      case RUNTIME_ERRORS.notCallable:
        return new HttpError(404, `function not found: '${name}'`, "FunctionNotFound", link);
      case RUNTIME_ERRORS.timeout:
        return new HttpError(400, `execution time limit exceeded: ${message}`, "ExecutionTimeLimitExceeded", link);
      case RUNTIME_ERRORS.execution:
        return new HttpError(400, message, "FunctionExecutionError", link);
      default:
        return new HttpError(500, `internal server error while calling function '${name}'`, "InternalServerError", link);
    }
  }

  return { handle };
}

/** realm-web sends `options.device.deviceId` as an ObjectId once the server gave it one. */
function deviceIdOf(body: Record<string, unknown>): string | undefined {
  const device = (body.options as { device?: { deviceId?: unknown } } | undefined)?.device;
  const id = device?.deviceId;
  if (id instanceof ObjectId) return id.toHexString();
  if (isObjectIdHex(id) && id !== "000000000000000000000000") return id.toLowerCase();
  return randomDeviceId();
}

function randomDeviceId(): string {
  return new ObjectId(randomBytes(12)).toHexString();
}

