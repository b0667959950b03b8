/** Bearer tokens on both APIs: reading them, and turning a failed check into App Services' 401 answers. */
import type { IncomingMessage } from "node:http";
import type { EmulatorState } from "../accounts/accountState";
import type { AccessCheck } from "../accounts/sessions";
import { HttpError } from "./reply";

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (typeof header !== "string") return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : undefined;
}

/**
 * Maps a failed access-token check to a 401 with error_code InvalidSession, as both APIs answer:
 * on that code realm-web refreshes its access token once and retries.
 */
export function requireAccess(check: AccessCheck, expected: string): Extract<AccessCheck, { ok: true }> {
  if (check.ok) return check;
  const messages: Record<typeof check.reason, string> = {
    missing: "invalid session: must authenticate first (send Authorization: Bearer <access_token>)",
    malformed: "invalid session: malformed access token",
    signature: "invalid session: invalid access token signature",
    wrongType: `invalid session: incorrect token type (expected ${expected})`,
    expired: "invalid session: access token expired",
    revoked: "invalid session: failed to find session",
  };
  throw new HttpError(401, messages[check.reason], "InvalidSession");
}

/** What a 401 says was expected, by the access-token type a route takes. */
const EXPECTED_TOKEN = { access: "an access token", "admin-access": "an Admin API access token" } as const;

/** The request's bearer token, checked as an access token of `type`; a failed check is the 401 requireAccess throws. */
export async function authenticateRequest(state: Pick<EmulatorState, "checkToken">, req: IncomingMessage, type: keyof typeof EXPECTED_TOKEN): Promise<Extract<AccessCheck, { ok: true }>> {
  return requireAccess(await state.checkToken(bearerToken(req), type), EXPECTED_TOKEN[type]);
}

/**
 * A refresh token that is wrong, unknown, revoked or expired. The texts are the spec's for the
 * Admin API, and realm-web's logOut ignores exactly "failed to find refresh token", so
 * app.deleteUser completes after the session is gone.
 */
export function requireRefresh(check: AccessCheck): Extract<AccessCheck, { ok: true }> {
  if (check.ok) return check;
  if (check.reason === "wrongType") throw new HttpError(401, "invalid refresh token: incorrect token type", "InvalidSession");
  throw new HttpError(401, "invalid session: failed to find refresh token", "InvalidSession");
}
