/** A path router for both APIs: matches a method and path, decoding path parameters. */
import { HttpError } from "./reply";

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
