/** What handlers answer: JSON in App Services' error shape `{ error, error_code, link? }`, and how it is sent. */
import type { IncomingMessage, ServerResponse } from "node:http";

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
      return sendText(res, reply.status, JSON.stringify(reply.body));
    case "text":
      return sendText(res, reply.status, reply.text);
    case "empty":
      return sendEmpty(res, reply.status);
    case "drop":
      req.socket.destroy();
      return;
  }
}

/** Sends a serialized JSON text. */
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
