/**
 * A proxy on 127.0.0.1 in front of the emulator, for suites that watch or replace what the bundle's
 * Admin API requests get: it hands each request to `intercept` (method, path, headers, body), which
 * may answer it itself; otherwise the request goes on to `target` unchanged and its answer comes back.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from "node:http";

export interface ProxiedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export type ProxyAnswer = { status: number; body: string } | undefined;

export function startProxy(target: string, intercept: (request: ProxiedRequest) => ProxyAnswer): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const own = intercept({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, body: body.toString() });
      if (own) return void res.writeHead(own.status, { "Content-Type": "text/plain" }).end(own.body);
      const upstream = httpRequest(new URL(req.url ?? "/", target), { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on("error", () => res.destroy());
      upstream.end(body);
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}
