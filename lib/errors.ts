/**
 * One error class per failure domain, each with a stable `name`. Built functions run in another
 * realm than their callers (a vm context in the emulator, the App Services runtime in production),
 * so `instanceof` is unreliable: the type guards compare `name`.
 */

/** A value is missing or malformed. The message names the value and the fix. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** The caller passed arguments this function does not accept. */
export class InvalidArgumentError extends Error {
  override name = "InvalidArgumentError";
}

/** The caller may not do this (not an account admin, a system caller, a server user...). */
export class PermissionDeniedError extends Error {
  override name = "PermissionDeniedError";
}

export interface AdminApiErrorDetails {
  /** The Admin API operation, as named in the OpenAPI spec (e.g. "adminDeleteUser"). */
  operation: string;
  method: string;
  /**
   * The request URL with its personal segments redacted (adminRequest.ts builds every AdminApiError).
   * It never holds a credential: keys travel in bodies, tokens in headers.
   */
  url: string;
  /** The HTTP status, or 0 when no answer came (connection refused, dropped, timed out). */
  status: number;
  /** The Admin API's own `error` and `error_code`, when it sent them. */
  apiError?: string;
  apiErrorCode?: string;
}

/** An Admin API request failed. The message says operation, method, URL and status. */
export class AdminApiError extends Error {
  override name = "AdminApiError";
  readonly operation: string;
  readonly method: string;
  readonly url: string;
  readonly status: number;
  readonly apiErrorCode?: string;

  constructor(details: AdminApiErrorDetails, cause?: string) {
    super(describeAdminApiFailure(details, cause));
    this.operation = details.operation;
    this.method = details.method;
    this.url = details.url;
    this.status = details.status;
    this.apiErrorCode = details.apiErrorCode;
  }
}

function describeAdminApiFailure(d: AdminApiErrorDetails, cause?: string): string {
  const request = `${d.operation} (${d.method} ${d.url})`;
  if (d.status === 0) {
    return `Admin API request ${request} got no answer: ${cause ?? "the connection failed"}. Whether it took effect is unknown; every request this bundle sends is safe to repeat, so call again.`;
  }
  const detail = [d.apiError, d.apiErrorCode && `error_code ${d.apiErrorCode}`].filter(Boolean).join(", ");
  return `Admin API request ${request} failed with status ${d.status}${detail ? `: ${detail}` : ""}.`;
}

/** A cleanup rule failed part-way. The account is kept until cleanup succeeds, so a retry finishes the job. */
export class DataCleanupError extends Error {
  override name = "DataCleanupError";
}

/** The user store has no such user, or the user is not in a state the operation accepts (Flowerbase). */
export class UserStoreError extends Error {
  override name = "UserStoreError";
}

/** A scheduled run was about to issue more async operations than its budget (lib/operationBudget.ts). */
export class OperationBudgetError extends Error {
  override name = "OperationBudgetError";
}

/**
 * The message of anything thrown, duck-typed because an Error from another realm (a vm context,
 * the App Services runtime) fails `instanceof Error`.
 */
export function messageOf(error: unknown): string {
  const message = typeof error === "object" && error !== null ? (error as { message?: unknown }).message : undefined;
  return typeof message === "string" ? message : String(error);
}

function hasName(error: unknown, name: string): boolean {
  return typeof error === "object" && error !== null && (error as { name?: unknown }).name === name;
}

export const isConfigError = (e: unknown): e is ConfigError => hasName(e, "ConfigError");
export const isAdminApiError = (e: unknown): e is AdminApiError => hasName(e, "AdminApiError");
