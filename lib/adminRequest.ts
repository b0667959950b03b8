/**
 * One Admin API request over `context.http`, with the status checked. App Services' http client
 * resolves on any HTTP status, so every caller states which statuses mean success.
 */
import { AdminApiError, messageOf } from "./errors";

export type HttpMethod = "get" | "post" | "put" | "delete";

export interface AdminRequest {
  /** The OpenAPI operation id, used in errors and logs. */
  operation: string;
  method: HttpMethod;
  url: string;
  /** A Bearer token (access or refresh), never logged. */
  token?: string;
  body?: unknown;
  /** Statuses that count as success; anything else throws an AdminApiError. */
  ok: number[];
  /**
   * A 200 must carry a JSON array (a page of a list): anything else throws an AdminApiError. An
   * empty page read from a body that is not a list would make every later owner look deleted.
   */
  listBody?: boolean;
}

export interface AdminResponse {
  status: number;
  /** The parsed JSON body, or undefined when there is none. */
  json: unknown;
}

export async function adminRequest(http: AppServicesHttp, request: AdminRequest): Promise<AdminResponse> {
  const headers: Record<string, string[]> = { Accept: ["application/json"] };
  if (request.token) headers.Authorization = [`Bearer ${request.token}`];
  if (request.body !== undefined) headers["Content-Type"] = ["application/json"];

  let response: AppServicesHttpResponse;
  try {
    response = await http[request.method]({
      url: request.url,
      headers,
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
    });
  } catch (error) {
    // The rejection's message only: it names the failure, never the request body (which may carry a key).
    throw failure(request, 0, { cause: messageOf(error) || "the connection failed" });
  }
  const json = parseBody(response);
  if (!request.ok.includes(response.statusCode)) {
    const body = (typeof json === "object" && json !== null ? json : {}) as { error?: unknown; error_code?: unknown };
    throw failure(request, response.statusCode, {
      apiError: typeof body.error === "string" ? body.error : undefined,
      apiErrorCode: typeof body.error_code === "string" ? body.error_code : undefined,
    });
  }
  if (request.listBody && response.statusCode === 200 && !Array.isArray(json)) {
    throw failure(request, response.statusCode, {
      apiError: "the answer is not a list; check that the value adminApiBaseUrl points at the App Services Admin API (…/api/admin/v3.0)",
    });
  }
  return { status: response.statusCode, json };
}

/**
 * Every AdminApiError is built here, and nothing personal leaves: the URL's personal segments and
 * any copy of them in what the server or the network layer said (an error body, a rejection that
 * quotes the URL) are redacted first.
 */
function failure(request: AdminRequest, status: number, said: { cause?: string; apiError?: string; apiErrorCode?: string }): AdminApiError {
  const redact = personalDataRedactor(request.url);
  const scrub = (text: string | undefined) => (text === undefined ? undefined : redact(text));
  return new AdminApiError(
    {
      operation: request.operation,
      method: request.method.toUpperCase(),
      url: redact(request.url),
      status,
      apiError: scrub(said.apiError),
      apiErrorCode: scrub(said.apiErrorCode),
    },
    scrub(said.cause),
  );
}

/** URL path segments that hold personal data: the Admin API addresses a pending registration by its email. */
const PERSONAL_SEGMENT = /\/by_email\/([^/?#]*)/g;
const EMAIL_LIKE = /[^\s"'<>()[\]{},;:/]+@[^\s"'<>()[\]{},;:/]+/g;
export const REDACTED_EMAIL = "{email}";

/**
 * A function that removes, from any text, the personal segments of `url` (as sent, percent-encoded,
 * and decoded, in any letter case) and anything shaped like an email address.
 */
export function personalDataRedactor(url: string): (text: string) => string {
  const secrets: string[] = [];
  url.replace(PERSONAL_SEGMENT, (_match, segment: string) => {
    if (segment) secrets.push(segment, decodeOrSelf(segment));
    return "";
  });
  return (text) => {
    let clean = text;
    for (const secret of secrets) clean = replaceIgnoringCase(clean, secret, REDACTED_EMAIL);
    return clean.replace(EMAIL_LIKE, REDACTED_EMAIL);
  };
}

function decodeOrSelf(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function replaceIgnoringCase(text: string, needle: string, replacement: string): string {
  const lowerText = text.toLowerCase();
  const lowerNeedle = needle.toLowerCase();
  // Lowercasing can change a string's length (e.g. "İ"): then positions would not line up, so match exactly.
  if (lowerText.length !== text.length || lowerNeedle.length !== needle.length) return text.split(needle).join(replacement);
  let out = "";
  let from = 0;
  for (let at = lowerText.indexOf(lowerNeedle); at >= 0; at = lowerText.indexOf(lowerNeedle, from)) {
    out += text.slice(from, at) + replacement;
    from = at + needle.length;
  }
  return out + text.slice(from);
}

function parseBody(response: AppServicesHttpResponse): unknown {
  const text = response.body ? response.body.text() : "";
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return { error: text.slice(0, 200) };
  }
}
