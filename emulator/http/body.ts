/** Request bodies: bounded reading and JSON parsing, shared by the Admin API and the client API. */
import type { IncomingMessage } from "node:http";
import { LIMITS } from "../runtime/rules";
import { HttpError } from "./reply";

/**
 * Reads the whole body, at most LIMITS.requestBytes. Chunks are kept once and joined once, so an
 * 18 MB body costs about 36 MB at the peak, never several copies per chunk.
 * Over the limit it throws a 413 HttpError at once and discards the rest of the upload, so the
 * client can still read the answer instead of seeing a reset connection.
 */
async function readBody(req: IncomingMessage): Promise<Buffer> {
  // App Services refuses requests over 18 MB; the limit lives in the runtime's rules table.
  const limit = LIMITS.requestBytes;
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
