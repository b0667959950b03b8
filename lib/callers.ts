/**
 * Who may call what, and with which arguments. Everything here denies by default.
 */
import { isObjectIdHex } from "./ids";
import type { SharedConfig } from "./config";
import { InvalidArgumentError, PermissionDeniedError } from "./errors";
import { logs } from "./logs";

// Deliberately simple: one "@", no spaces, a dot in the domain. App Services validates the rest.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function deny(fn: string, reason: string): never {
  logs.denied(fn, reason);
  throw new PermissionDeniedError(`${fn}: ${reason}`);
}

const NO_CALLER = "must be called by a signed-in user; a system caller (trigger, scheduled or system function) has no account of its own. Nothing was changed.";

/**
 * The id of the signed-in caller; system callers (triggers, system functions) have none.
 * On Flowerbase context.user is the flattened access token, `typ: "access"` and `id` with no
 * `type`, for a client call (auth/plugins/jwt.ts:107-120, features/functions/controller.ts:35-54 and 440),
 * and `{}` for a trigger: anything else is refused.
 */
export function requireSignedInUser(fn: string, user: AppServicesUser | undefined, platform: "appservices" | "flowerbase"): string {
  if (!user || user.type === "system" || typeof user.id !== "string" || !user.id) deny(fn, NO_CALLER);
  if (platform === "flowerbase" && ((user as { typ?: unknown }).typ !== "access" || !isObjectIdHex(user.id))) deny(fn, NO_CALLER);
  return user.id;
}

export function requireNoArguments(fn: string, args: unknown[]): void {
  if (args.length > 0) {
    throw new InvalidArgumentError(
      `${fn} takes no arguments: it always acts on the signed-in user who calls it. Call it with empty parentheses, e.g. user.functions.${fn}(). Nothing was changed.`,
    );
  }
}

/** A server (API-key) user deletes itself only when the value allowServerUserSelfDelete says so. */
export function requireSelfDeletionAllowed(fn: string, user: AppServicesUser, config: SharedConfig): void {
  if (user.type === "server" && !config.allowServerUserSelfDelete) {
    deny(fn, `user ${user.id} is a server (API key) user; deleting one from a client is off by default. Set the value "allowServerUserSelfDelete" to true to allow it. Nothing was changed.`);
  }
}

/** Admin functions: only user ids listed in the value accountAdmins (none by default). */
export function requireAccountAdmin(fn: string, user: AppServicesUser | undefined, config: SharedConfig, platform: "appservices" | "flowerbase"): string {
  const id = requireSignedInUser(fn, user, platform);
  if (!config.accountAdmins.includes(id.toLowerCase())) {
    deny(fn, `user ${id} is not an account admin. Admins are the user ids listed in the value "accountAdmins" (empty by default). Nothing was changed.`);
  }
  return id;
}

export function requireArgumentCount(fn: string, args: unknown[], names: string[]): void {
  if (args.length !== names.length) {
    throw new InvalidArgumentError(`${fn} takes ${names.length} argument(s) (${names.join(", ")}), got ${args.length}. Nothing was changed.`);
  }
}

export function userIdArgument(fn: string, value: unknown): string {
  if (!isObjectIdHex(value)) {
    throw new InvalidArgumentError(`${fn}: userId must be an App Services user id, a string of 24 hex characters such as "64b7f0c2a1b2c3d4e5f60718". Nothing was changed.`);
  }
  return value.toLowerCase();
}

export function emailArgument(fn: string, value: unknown): string {
  if (typeof value !== "string" || !EMAIL.test(value.trim())) {
    throw new InvalidArgumentError(`${fn}: email must be an email address such as "someone@example.com". Nothing was changed.`);
  }
  return value.trim();
}
