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
    // The rejection's message only: it names the failure, never the request (which may carry a key).
    throw new AdminApiError(failure(request, 0), messageOf(error) || "the connection failed");
  }
  const json = parseBody(response);
  if (!request.ok.includes(response.statusCode)) {
    const body = (typeof json === "object" && json !== null ? json : {}) as { error?: unknown; error_code?: unknown };
    throw new AdminApiError({
      ...failure(request, response.statusCode),
      apiError: typeof body.error === "string" ? body.error : undefined,
      apiErrorCode: typeof body.error_code === "string" ? body.error_code : undefined,
    });
  }
  return { status: response.statusCode, json };
}

function failure(request: AdminRequest, status: number) {
  return { operation: request.operation, method: request.method.toUpperCase(), url: request.url, status };
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
