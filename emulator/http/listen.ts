/** The emulator's HTTP server: listening (503 until a handler is set), port errors that name the fix, and closing. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { HttpError, errorReply, sendReply } from "./reply";

export class PortInUseError extends Error {
  override name = "PortInUseError";
}

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;
/** A handler after the URL is parsed once (undefined: it cannot be parsed). */
export type ParsedRequestHandler = (req: IncomingMessage, res: ServerResponse, url: URL | undefined) => void;

export interface Listening {
  server: Server;
  port: number;
  url: string;
  /** Starts answering requests with `handler` (until then: 503, starting). */
  serve(handler: RequestHandler): void;
}

export async function listenForRequests(host: string, port: number): Promise<Listening> {
  let handler: RequestHandler | undefined;
  const server = createServer(function onRequest(req, res) {
    if (handler) handler(req, res);
    else sendReply(req, res, errorReply(new HttpError(503, "emulator is starting", "ServiceUnavailable")));
  });
  const bound = await listen(server, host, port);
  return {
    server,
    port: bound,
    url: `http://${host.includes(":") ? `[${host}]` : host}:${bound}`,
    serve(next) {
      handler = next;
    },
  };
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off("listening", onListening);
      if (error.code === "EADDRINUSE") reject(new PortInUseError(`Port ${port} on ${host} is already in use: stop the program using it or choose another port (--port).`));
      else if (error.code === "EADDRNOTAVAIL") reject(new Error(`Cannot listen on ${host}:${port}: that address is not available on this machine (--host).`));
      else reject(error);
    };
    const onListening = () => {
      server.off("error", onError);
      resolve((server.address() as AddressInfo).port);
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen(port, host);
  });
}

/** Stops accepting, ends idle and open connections, and resolves when the server is closed. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
