/**
 * The client API of the flowerbase profile: the routes realm-web uses, answered as Flowerbase
 * answers them (flowerforce/flowerbase packages/flowerbase/src/): location, local-userpass register
 * and login, profile, session refresh and logout, and function calls with `context.user` shaped
 * as Flowerbase shapes it. Users, tokens and sessions are documents (./accounts.ts).
 */
import type { IncomingMessage } from "node:http";
import { messageOf } from "../../lib/errors";
import { bearerToken } from "../http/auth";
import { readJsonObject } from "../http/body";
import { locationReply, matchClientRoute, parseEjson, readFunctionCall, runFunctionCall, type FunctionCaller } from "../http/functionCall";
import { HttpError, empty, json, type Reply } from "../http/reply";
import { Router, type RouteParams } from "../http/router";
import { RUNTIME_ERRORS, runtimeErrorName, thrownNameOf } from "../runtime/functionRuntime";
import { accountHttpError } from "../http/accountErrors";
import { FlowerbaseSessionError, flowerbaseContextUser, type FlowerbaseAccounts } from "./accounts";

export interface FlowerbaseClientApiOptions {
  accounts: FlowerbaseAccounts;
  clientAppId: string;
  baseUrl(): string;
  runtime(): FunctionCaller;
  requireEmailConfirmation: boolean;
  log(line: string): void;
}

type Handler = (ctx: { req: IncomingMessage; params: RouteParams }) => Promise<Reply>;

/** Flowerbase's answer to a refused token (auth/plugins/jwt.ts:19-24); account refusals as http/accountErrors.ts answers them. */
function authHttpError(error: unknown): unknown {
  return error instanceof FlowerbaseSessionError ? new HttpError(401, "unauthorized", "InvalidSession") : accountHttpError(error);
}

async function answering<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw authHttpError(error);
  }
}

export function createFlowerbaseClientApi(options: FlowerbaseClientApiOptions): { handle(req: IncomingMessage, path: string, query: URLSearchParams): Promise<Reply> } {
  const { accounts } = options;
  const router = new Router<Handler>()
    .add("GET", "/app/:clientAppId/location", location)
    .add("POST", "/app/:clientAppId/auth/providers/local-userpass/register", register)
    .add("POST", "/app/:clientAppId/auth/providers/local-userpass/login", login)
    .add("POST", "/app/:clientAppId/functions/call", callFunction)
    .add("GET", "/auth/profile", profile)
    .add("POST", "/auth/session", refreshSession)
    .add("DELETE", "/auth/session", logout);

  async function handle(req: IncomingMessage, path: string): Promise<Reply> {
    const { handler, params } = matchClientRoute(router, req, path, options.clientAppId);
    return handler({ req, params });
  }

  async function location(): Promise<Reply> {
    return locationReply(options.baseUrl());
  }

  async function register({ req }: { req: IncomingMessage }): Promise<Reply> {
    const body = await readJsonObject(req, parseEjson);
    const userId = await answering(() => accounts.register(body.email, body.password, options.requireEmailConfirmation));
    return json(201, { userId });
  }

  async function login({ req }: { req: IncomingMessage }): Promise<Reply> {
    const body = await readJsonObject(req, parseEjson);
    const issued = await answering(() => accounts.login(body.username, body.password));
    // device_id is always empty (local-userpass/controller.ts:372-376).
    return json(200, { access_token: issued.accessToken, refresh_token: issued.refreshToken, device_id: "", user_id: issued.userId });
  }

  /** GET /auth/profile (auth/controller.ts:59-91). */
  async function profile({ req }: { req: IncomingMessage }): Promise<Reply> {
    const { claims, user } = await answering(() => accounts.checkAccess(bearerToken(req)));
    return json(200, { user_id: claims.id, domain_id: options.clientAppId, identities: user.identities, custom_data: claims.custom_data ?? {}, type: "normal", data: { email: user.email } });
  }

  async function refreshSession({ req }: { req: IncomingMessage }): Promise<Reply> {
    const accessToken = await answering(() => accounts.refresh(bearerToken(req)));
    return json(201, { access_token: accessToken });
  }

  async function logout({ req }: { req: IncomingMessage }): Promise<Reply> {
    await accounts.logout(bearerToken(req));
    return empty(204);
  }

  async function callFunction({ req }: { req: IncomingMessage }): Promise<Reply> {
    const { claims } = await answering(() => accounts.checkAccess(bearerToken(req)));
    const { name, args } = await readFunctionCall(req);
    return runFunctionCall({ runtime: options.runtime(), name, args, user: flowerbaseContextUser(claims), userId: claims.id, log: options.log, errorAnswer: (error) => functionError(name, error) });
  }

  /** A thrown error: 400 with `error` holding JSON of message and name (features/functions/controller.ts:454-460). */
  function functionError(name: string, error: unknown): HttpError {
    switch (runtimeErrorName(error)) {
      case RUNTIME_ERRORS.notFound:
      case RUNTIME_ERRORS.notCallable:
        return new HttpError(404, `function not found: '${name}'`, "FunctionNotFound");
      default:
        return new HttpError(400, JSON.stringify({ message: messageOf(error), name: errorName(error) }), "FunctionExecutionError");
    }
  }

  return { handle };
}

/** Flowerbase sends the thrown error's own name; the runtime's own errors (limits, load failures) keep theirs. */
function errorName(error: unknown): string {
  const name = (error as { name?: unknown } | null)?.name;
  return thrownNameOf(error) ?? (typeof name === "string" ? name : "Error");
}

