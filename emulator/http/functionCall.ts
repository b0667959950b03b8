/**
 * What both client APIs (App Services' in ./clientApi.ts, Flowerbase's in
 * ../flowerbase/clientApi.ts) do alike: EJSON bodies, route matching under /api/client/v2.0 with
 * the client app id check, the location answer, a function call's body checks, and running and
 * logging the call. Each platform keeps only its own error answers.
 */
import type { IncomingMessage } from "node:http";
import { EJSON } from "bson";
import { opsOf } from "../runtime/errors";
import type { ContextUser } from "../runtime/types";
import { readJsonObject } from "./body";
import { escapeForLog } from "./logText";
import { HttpError, json, type Reply } from "./reply";
import { Router, methodNotAllowedError, notFoundError, type RouteParams } from "./router";

export const CLIENT_API_PREFIX = "/api/client/v2.0";

/**
 * The longest function name a call may give, in UTF-16 units. A name is the path of its source
 * in the app (`functions/<name>.js`, docs-app-services source/functions.txt, "Define a Function"),
 * and 1024 bytes is the portable path limit (POSIX _XOPEN_PATH_MAX, macOS PATH_MAX); a name has
 * at least as many UTF-8 bytes as UTF-16 units, so no deployable function has a longer name.
 * Anything longer is refused before it is logged.
 */
export const MAX_FUNCTION_NAME_LENGTH = 1024;

/** The part of FunctionRuntime the client APIs use (so tests can reason about it in isolation). */
export interface FunctionCaller {
  /** The result as canonical EJSON (undefined for undefined) and the async operations the call took; errors carry `ops` too. */
  run(name: string, args: unknown[], user: ContextUser, origin: "client" | "system"): Promise<{ ejson: string | undefined; ops: number }>;
}

/** Request bodies are EJSON: realm-web serializes them canonically (e.g. the device id as $oid). */
export const parseEjson = (text: string): unknown => EJSON.parse(text);

/** The route for a request, or the 404/405 to answer; a `:clientAppId` must be this app's. */
export function matchClientRoute<H>(router: Router<H>, req: IncomingMessage, path: string, clientAppId: string): { handler: H; params: RouteParams } {
  const method = req.method ?? "GET";
  const match = router.match(method, path);
  if (match.kind === "notFound") throw notFoundError(method, `${CLIENT_API_PREFIX}${path}`);
  if (match.kind === "wrongMethod") throw methodNotAllowedError(method, match.allowed);
  const appId = match.params.clientAppId;
  if (appId !== undefined && appId !== clientAppId) throw new HttpError(404, `cannot find app using Client App ID '${appId}'`, "AppNotFound");
  return { handler: match.route.handler, params: match.params };
}

/** GET /app/:clientAppId/location: realm-web sends every later request to `hostname`. */
export function locationReply(baseUrl: string): Reply {
  return json(200, { deployment_model: "GLOBAL", location: "US-VA", hostname: baseUrl, ws_hostname: baseUrl.replace(/^http/, "ws") });
}

/** A function call's body, checked: a string name of bounded length and an array of arguments. */
export async function readFunctionCall(req: IncomingMessage): Promise<{ name: string; args: unknown[]; body: Record<string, unknown> }> {
  const body = await readJsonObject(req, parseEjson);
  const { name, arguments: args = [] } = body;
  if (typeof name !== "string" || name === "") throw new HttpError(400, 'function call needs a string "name"', "InvalidParameter");
  if (name.length > MAX_FUNCTION_NAME_LENGTH) {
    // Refused before it reaches a log line or an error text; the name itself is not echoed.
    throw new HttpError(400, `function name is ${name.length} characters long; names are at most ${MAX_FUNCTION_NAME_LENGTH}`, "InvalidParameter");
  }
  if (!Array.isArray(args)) throw new HttpError(400, 'function call "arguments" must be an array', "InvalidParameter");
  return { name, args, body };
}

export interface FunctionCallRun {
  runtime: FunctionCaller;
  name: string;
  args: unknown[];
  user: ContextUser;
  /** For the log line; never an email or a token. */
  userId: string;
  /** One line per call; never arguments, tokens or keys. */
  log(line: string): void;
  /** The platform's answer to a failed call. */
  errorAnswer(error: unknown): HttpError;
}

/** Runs a client's function call: its EJSON result, or the platform's error; one log line either way. */
export async function runFunctionCall(call: FunctionCallRun): Promise<Reply> {
  const started = Date.now();
  // `ops`: the call's async operations (rules.ts LIMITS.asyncOperations).
  const logCall = (outcome: string, ops: number) =>
    call.log(`function ${escapeForLog(call.name)} user=${call.userId} ${escapeForLog(outcome)} ${Date.now() - started}ms ops=${ops}`);
  try {
    const execution = await call.runtime.run(call.name, call.args, call.user, "client");
    logCall("ok", execution.ops);
    return { kind: "text", status: 200, text: execution.ejson ?? '{"$undefined":true}' };
  } catch (error) {
    const answer = call.errorAnswer(error);
    logCall(`error: ${answer.errorCode}: ${answer.message}`, opsOf(error));
    throw answer;
  }
}
