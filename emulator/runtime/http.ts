/**
 * `context.http` as App Services documents it: header values are arrays of strings, the response
 * body is a BSON.Binary read with `.text()`, an HTTP error status resolves (the caller checks
 * `statusCode`) and only a network failure rejects. Requests go over real HTTP with node:http(s).
 */
import { Binary, EJSON } from "bson";
import http from "node:http";
import https from "node:https";

/** App Services' Binary has `text()`; bson's does not, so the runtime's BSON.Binary adds it. */
export class TextBinary extends Binary {
  text(): string {
    return this.toString("utf8");
  }
}

export interface HttpRequestArgs {
  url?: string;
  headers?: Record<string, unknown>;
  body?: unknown;
  encodeBodyAsJSON?: boolean;
}

export interface HttpResponse {
  status: string;
  statusCode: number;
  contentLength: number;
  headers: Record<string, string[]>;
  cookies: Record<string, unknown>;
  body: TextBinary;
}

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD";

export interface ContextHttp {
  get(args: HttpRequestArgs): Promise<HttpResponse>;
  post(args: HttpRequestArgs): Promise<HttpResponse>;
  put(args: HttpRequestArgs): Promise<HttpResponse>;
  patch(args: HttpRequestArgs): Promise<HttpResponse>;
  delete(args: HttpRequestArgs): Promise<HttpResponse>;
  head(args: HttpRequestArgs): Promise<HttpResponse>;
}

export function createContextHttp(): ContextHttp {
  const bind = (method: Method) => (args: HttpRequestArgs) => send(method, args);
  return { get: bind("GET"), post: bind("POST"), put: bind("PUT"), patch: bind("PATCH"), delete: bind("DELETE"), head: bind("HEAD") };
}

function requestBody(args: HttpRequestArgs): Buffer | undefined {
  if (args.body === undefined || args.body === null) return undefined;
  if (args.encodeBodyAsJSON) return Buffer.from(EJSON.stringify(args.body as object, { relaxed: true }));
  if (typeof args.body === "string") return Buffer.from(args.body);
  if (args.body instanceof Binary) return Buffer.from(args.body.buffer);
  throw new TypeError("context.http: body must be a string or a BSON.Binary, or set encodeBodyAsJSON: true");
}

function requestHeaders(args: HttpRequestArgs, body: Buffer | undefined): Record<string, string[]> {
  const headers: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(args.headers ?? {})) {
    if (!Array.isArray(value)) throw new TypeError(`context.http: header "${name}" must be an array of strings, e.g. { "${name}": ["..."] }`);
    headers[name] = value.map(String);
  }
  if (body) headers["Content-Length"] = [String(body.length)];
  return headers;
}

function send(method: Method, args: HttpRequestArgs): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    let url: URL;
    try {
      url = new URL(String(args.url ?? ""));
    } catch {
      reject(new TypeError(`context.http: invalid url ${JSON.stringify(args.url)}`));
      return;
    }
    const body = requestBody(args);
    const client = url.protocol === "https:" ? https : http;
    // A fresh connection per request (agent: false): a kept-alive socket can be closed by the server
    // while a long synchronous stretch blocks the loop, and the next request on it then fails with
    // ECONNRESET (seen in the 100,000-owner bench), an error App Services' client would not give.
    const request = client.request(url, { method, headers: requestHeaders(args, body), agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("error", reject);
      response.on("end", () => {
        const payload = Buffer.concat(chunks);
        const headers: Record<string, string[]> = {};
        for (const [name, value] of Object.entries(response.headersDistinct)) {
          if (value) headers[canonicalHeaderName(name)] = value;
        }
        resolve({
          status: `${response.statusCode} ${response.statusMessage ?? ""}`.trim(),
          statusCode: response.statusCode ?? 0,
          contentLength: payload.length,
          headers,
          cookies: {},
          body: new TextBinary(payload),
        });
      });
    });
    // A dropped connection or refused port rejects, as App Services' http client does.
    request.on("error", (error) => reject(new Error(`${method} ${url.origin}${url.pathname} failed: ${error.message}`)));
    request.end(body);
  });
}

function canonicalHeaderName(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase());
}
