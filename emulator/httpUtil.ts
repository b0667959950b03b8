/**
 * Small HTTP helpers shared by the emulator's Admin API and client API: bounded body reading,
 * JSON answers in App Services' error shape `{ error, error_code, link? }`, and a path router.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { EmailInUseError, InvalidRegistrationError, type AccessCheck } from "./state";

/** App Services refuses request bodies over 18 MB (../shared/docs/app-services.md, limits). */
export const MAX_BODY_BYTES = 18 * 1024 * 1024;

/** An answer that is an error: thrown by handlers, turned into a JSON reply by the server. */
export class HttpError extends Error {
  override name = "HttpError";
  constructor(
    readonly status: number,
    /** The `error` text sent to the client; must never hold a token, key or password. */
    message: string,
    readonly errorCode: string,
    readonly link?: string,
  ) {
    super(message);
  }
}

/**
 * Reads the whole body, at most `limit` bytes. Chunks are kept once and joined once, so an
 * 18 MB body costs about 36 MB at the peak, never several copies per chunk.
 * Over the limit it throws a 413 HttpError at once and discards the rest of the upload, so the
 * client can still read the answer instead of seeing a reset connection.
 */
async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) {
    discardRest(req);
    throw tooLarge(limit);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) {
        discardRest(req);
        throw tooLarge(limit);
      }
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof HttpError) throw error;
    // The client went away mid-upload; nobody will read the answer, but keep it an HttpError.
    throw new HttpError(400, "the request body was cut off before its end", "BadRequest");
  }
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, `request body exceeds the ${Math.round(limit / (1024 * 1024))} MB limit`, "RequestBodyTooLarge");
}

/** Keeps the socket draining (without buffering) so the answer can be written and read. */
function discardRest(req: IncomingMessage): void {
  req.removeAllListeners("data");
  req.on("data", function discardChunk() {});
  req.resume();
}

/**
 * Parses a JSON request body. A present Content-Type must be JSON (415 otherwise); an absent one
 * is accepted, because App Services' own http client does not always send it.
 * `parse` lets the client API read canonical EJSON with bson's parser.
 */
export async function readJsonBody(req: IncomingMessage, parse: (text: string) => unknown = JSON.parse): Promise<unknown> {
  const type = req.headers["content-type"];
  if (type !== undefined && !/^application\/(?:[\w.+-]+\+)?json\b/i.test(type.trim())) {
    discardRest(req);
    throw new HttpError(415, "unsupported content type: expected application/json", "UnsupportedMediaType");
  }
  const text = (await readBody(req)).toString("utf8");
  if (text.trim() === "") throw new HttpError(400, "request body is empty: expected a JSON document", "BadRequest");
  try {
    return parse(text);
  } catch (error) {
    // Only the position: parser messages quote the input, which may hold a password.
    const position = /position (\d+)/.exec(error instanceof Error ? error.message : "");
    throw new HttpError(400, `invalid JSON in request body${position ? ` at position ${position[1]}` : ""}`, "BadRequest");
  }
}

/** A request body that must be a JSON object (400 otherwise). */
export async function readJsonObject(req: IncomingMessage, parse?: (text: string) => unknown): Promise<Record<string, unknown>> {
  const value = await readJsonBody(req, parse);
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new HttpError(400, "expected a JSON object as the request body", "BadRequest");
  return value as Record<string, unknown>;
}

/** What a handler answers; the server sends it (after saving state, for changing requests). */
export type Reply =
  | { kind: "json"; status: number; body: unknown }
  /** An already serialized JSON text (the client API's EJSON answers). */
  | { kind: "text"; status: number; text: string }
  /** No body and, as realm-web expects of a 204, no Content-Type. */
  | { kind: "empty"; status: number }
  /** Destroy the connection without answering (an injected "drop" fault). */
  | { kind: "drop" };

export const json = (status: number, body: unknown): Reply => ({ kind: "json", status, body });
export const empty = (status: number): Reply => ({ kind: "empty", status });

export function errorReply(error: HttpError): Reply {
  const body: Record<string, string> = { error: error.message, error_code: error.errorCode };
  if (error.link) body.link = error.link;
  return json(error.status, body);
}

export function sendReply(req: IncomingMessage, res: ServerResponse, reply: Reply): void {
  switch (reply.kind) {
    case "json":
      return sendJson(res, reply.status, reply.body);
    case "text":
      return sendText(res, reply.status, reply.text);
    case "empty":
      return sendEmpty(res, reply.status);
    case "drop":
      req.socket.destroy();
      return;
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  sendText(res, status, JSON.stringify(body));
}

/** Sends an already serialized JSON text (EJSON answers of the client API). */
function sendText(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(text),
    "Cache-Control": "no-store",
  });
  res.end(text);
}

function sendEmpty(res: ServerResponse, status: number): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status);
  res.end();
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (typeof header !== "string") return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : undefined;
}

export type RouteParams = Record<string, string>;

export interface Route<H> {
  method: string;
  /** A path like "/groups/:groupId/apps/:appId/users/:userId" (relative to the API root). */
  pattern: string;
  handler: H;
}

export type RouteMatch<H> =
  | { kind: "found"; route: Route<H>; params: RouteParams }
  | { kind: "wrongMethod"; allowed: string[] }
  | { kind: "notFound" };

/** A path router: matches a method and path, decoding path parameters. */
export class Router<H> {
  private readonly compiled: Array<{ route: Route<H>; regex: RegExp; names: string[] }> = [];

  add(method: string, pattern: string, handler: H): this {
    const names: string[] = [];
    const source = pattern
      .split("/")
      .map((part) => {
        if (part.startsWith(":")) {
          names.push(part.slice(1));
          return "([^/]+)";
        }
        return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      })
      .join("/");
    this.compiled.push({ route: { method, pattern, handler }, regex: new RegExp(`^${source}/?$`), names });
    return this;
  }

  match(method: string, path: string): RouteMatch<H> {
    const allowed: string[] = [];
    for (const { route, regex, names } of this.compiled) {
      const m = regex.exec(path);
      if (!m) continue;
      if (route.method !== method) {
        allowed.push(route.method);
        continue;
      }
      const params: RouteParams = {};
      try {
        names.forEach((name, i) => (params[name] = decodeURIComponent(m[i + 1])));
      } catch {
        return { kind: "notFound" };
      }
      return { kind: "found", route, params };
    }
    return allowed.length ? { kind: "wrongMethod", allowed } : { kind: "notFound" };
  }
}

/** The answer for a path no route serves: JSON, like every other answer. */
export function notFoundError(method: string, path: string): HttpError {
  return new HttpError(404, `no route for ${method} ${path}`, "NotFound");
}

export function methodNotAllowedError(method: string, allowed: string[]): HttpError {
  return new HttpError(405, `method ${method} not allowed here; allowed: ${allowed.join(", ")}`, "MethodNotAllowed");
}

/**
 * Maps a failed access-token check to a 401 with error_code InvalidSession, as both APIs answer:
 * on that code realm-web refreshes its access token once and retries.
 */
export function requireAccess(check: AccessCheck, expected: string): Extract<AccessCheck, { ok: true }> {
  if (check.ok) return check;
  const messages: Record<typeof check.reason, string> = {
    missing: "invalid session: must authenticate first (send Authorization: Bearer <access_token>)",
    malformed: "invalid session: malformed access token",
    signature: "invalid session: invalid access token signature",
    wrongType: `invalid session: incorrect token type (expected ${expected})`,
    expired: "invalid session: access token expired",
    revoked: "invalid session: failed to find session",
  };
  throw new HttpError(401, messages[check.reason], "InvalidSession");
}

/**
 * A refresh token that is wrong, unknown, revoked or expired. The texts are the spec's for the
 * Admin API, and realm-web's logOut ignores exactly "failed to find refresh token", so
 * app.deleteUser completes after the session is gone.
 */
export function requireRefresh(check: AccessCheck): Extract<AccessCheck, { ok: true }> {
  if (check.ok) return check;
  if (check.reason === "wrongType") throw new HttpError(401, "invalid refresh token: incorrect token type", "InvalidSession");
  throw new HttpError(401, "invalid session: failed to find refresh token", "InvalidSession");
}

/** Maps the state's registration errors (both APIs register users) to their HTTP answers. */
export function registrationError(error: unknown): unknown {
  if (error instanceof InvalidRegistrationError) return new HttpError(400, error.message, "BadRequest");
  if (error instanceof EmailInUseError) return new HttpError(409, error.message, "AccountNameInUse");
  return error;
}
