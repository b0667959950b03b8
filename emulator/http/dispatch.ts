/** Which part of the emulator answers a request: CORS and the account page first, then the Admin API, the client API or the trigger route. */
import type { IncomingMessage } from "node:http";
import { messageOf } from "../../lib/errors";
import type { createAccountPage } from "./accountPage";
import { ADMIN_API_PREFIX } from "./adminApi";
import { CLIENT_API_PREFIX } from "./clientApi";
import type { createCorsPolicy } from "./cors";
import type { ParsedRequestHandler, RequestHandler } from "./listen";
import { HttpError, errorReply, sendReply, type Reply } from "./reply";
import { notFoundError } from "./router";
import { TRIGGER_RUN_PREFIX } from "./triggerRoute";

/** `url`: the request URL, parsed once by browserFacing (undefined when it cannot be parsed). */
export type Dispatch = (req: IncomingMessage, url: URL | undefined) => Promise<Reply>;
export type ApiHandler = { handle(req: IncomingMessage, path: string, query: URLSearchParams): Promise<Reply> };

export interface Routes {
  adminApi?: ApiHandler;
  clientApi: ApiHandler;
  triggerRoute?: { handle(req: IncomingMessage, path: string): Promise<Reply> };
}

/** Routes a request to the Admin API, the client API or the emulator's trigger route; errors become App Services' error replies, redacted. */
export function dispatcher({ adminApi, clientApi, triggerRoute }: Routes, redact: (text: string) => string, log: (line: string) => void): Dispatch {
  return async function dispatch(req: IncomingMessage, parsed: URL | undefined): Promise<Reply> {
    const method = req.method ?? "GET";
    try {
      if (!parsed) throw new Error(`the request URL cannot be parsed`);
      const path = parsed.pathname;
      if (adminApi && (path === ADMIN_API_PREFIX || path.startsWith(`${ADMIN_API_PREFIX}/`))) {
        return await adminApi.handle(req, path.slice(ADMIN_API_PREFIX.length), parsed.searchParams);
      }
      if (path === CLIENT_API_PREFIX || path.startsWith(`${CLIENT_API_PREFIX}/`)) {
        return await clientApi.handle(req, path.slice(CLIENT_API_PREFIX.length), parsed.searchParams);
      }
      if (triggerRoute && path.startsWith(TRIGGER_RUN_PREFIX)) return await triggerRoute.handle(req, path);
      throw notFoundError(method, path);
    } catch (error) {
      if (error instanceof HttpError) return errorReply(new HttpError(error.status, redact(error.message), error.errorCode, error.link));
      log(`emulator: internal error on ${method} ${req.url ?? ""}: ${messageOf(error)}`);
      return errorReply(new HttpError(500, "internal server error", "InternalServerError"));
    }
  };
}

/** CORS for browsers (answered before anything else) and the account page at the root URL. */
export function browserFacing(
  cors: ReturnType<typeof createCorsPolicy>,
  accountPage: ReturnType<typeof createAccountPage>,
  baseUrl: () => string,
  next: ParsedRequestHandler,
): RequestHandler {
  return function handleBrowserRequest(req, res) {
    const url = parseUrl(req.url, baseUrl());
    const path = url ? url.pathname : "";
    const early = cors.check(req, res, path);
    if (early) return sendReply(req, res, early);
    if (accountPage.serve(req, res, path)) return;
    next(req, res, url);
  };
}

/** The request's URL, or undefined when it cannot be parsed (dispatch then answers the error). */
function parseUrl(requestUrl: string | undefined, baseUrl: string): URL | undefined {
  try {
    return new URL(requestUrl ?? "/", baseUrl);
  } catch {
    return undefined;
  }
}
