/**
 * CORS for the client API only, as an App Services app answers browsers (the app's
 * `allowed_request_origins` in root_config.json, ../shared/docs/app-services.md): an allowed origin
 * gets `Access-Control-Allow-Origin` and its preflight (OPTIONS) an answer; any other origin is
 * refused with 403 before the request is handled. By default only pages on this machine's
 * loopback names are allowed (`http://localhost:*`, `http://127.0.0.1:*`); `--allow-origin`
 * replaces that list. The emulator's own page is same-origin and always allowed. The Admin API
 * answers no browser: it never sends CORS headers.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { HttpError, empty, errorReply, type Reply } from "./reply";

const DEFAULT_ORIGIN = /^http:\/\/(localhost|127\.0\.0\.1)(:\d{1,5})?$/;
const ALLOWED_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS";
/** What realm-web sends (Accept, Content-Type, Authorization); nothing else is needed. */
const ALLOWED_HEADERS = "Authorization, Content-Type, Accept";

export class OriginError extends Error {
  override name = "OriginError";
}

/** `--allow-origin` values as origins ("https://app.example.com", "http://localhost:5173"); anything else is an OriginError. */
export function parseAllowedOrigin(value: string): string {
  const hint = `--allow-origin takes an origin: scheme, host and optional port, such as https://app.example.com or http://localhost:5173 (no path, no "*"; repeat the flag for several).`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new OriginError(`${JSON.stringify(value)} is not an origin. ${hint}`);
  }
  const bare = url.pathname === "/" && url.search === "" && url.hash === "" && url.username === "" && url.password === "" && !/^[a-z]+:\/\/[^/]*\/./i.test(value);
  if ((url.protocol !== "http:" && url.protocol !== "https:") || !bare) {
    throw new OriginError(`${JSON.stringify(value)} is not an origin. ${hint}`);
  }
  return url.origin;
}

export interface CorsPolicy {
  /**
   * For a request under `clientPrefix`: sets the CORS headers on `res` when its origin is
   * allowed and returns undefined to go on; returns the whole answer for a preflight or a refused
   * origin. Other paths are left alone.
   */
  check(req: IncomingMessage, res: ServerResponse, path: string): Reply | undefined;
}

export function createCorsPolicy(options: { allowOrigins?: string[]; ownOrigin(): string; clientPrefix: string }): CorsPolicy {
  const listed = options.allowOrigins && options.allowOrigins.length > 0 ? new Set(options.allowOrigins) : undefined;
  const allows = (origin: string) => origin === options.ownOrigin() || (listed ? listed.has(origin) : DEFAULT_ORIGIN.test(origin));

  function check(req: IncomingMessage, res: ServerResponse, path: string): Reply | undefined {
    if (path !== options.clientPrefix && !path.startsWith(`${options.clientPrefix}/`)) return undefined;
    const origin = req.headers.origin;
    const preflight = req.method === "OPTIONS";
    if (origin === undefined) return preflight ? empty(204) : undefined;
    if (!allows(origin)) {
      return errorReply(new HttpError(403, `origin ${origin.slice(0, 200)} is not allowed to call this app; allow it with npm start -- --allow-origin ORIGIN`, "OriginNotAllowed"));
    }
    res.setHeader("Access-Control-Allow-Origin", origin);
    res.setHeader("Vary", "Origin");
    if (!preflight) return undefined;
    res.setHeader("Access-Control-Allow-Methods", ALLOWED_METHODS);
    res.setHeader("Access-Control-Allow-Headers", ALLOWED_HEADERS);
    res.setHeader("Access-Control-Max-Age", "600");
    return empty(204);
  }

  return { check };
}
