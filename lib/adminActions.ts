/**
 * The shared shape of the admin functions: read configuration, deny anyone who is not an account
 * admin, validate the arguments, log in, act, close the Admin API session, and return a receipt.
 */
import { withAdminApi, type AdminApiClient } from "./adminApi";
import { requireAccountAdmin, requireArgumentCount } from "./callers";
import { readConfig, type BundleConfig } from "./config";
import { logs } from "./logs";

export interface AdminCall<A> {
  fn: string;
  args: unknown[];
  /** Names of the expected arguments, for the error when the count is wrong. */
  argNames: string[];
  parse(fn: string, args: unknown[]): A;
}

/** Checks caller and arguments; returns the admin's id, the parsed argument and the configuration. */
export function authorizeAdminCall<A>(call: AdminCall<A>): { adminId: string; arg: A; config: BundleConfig } {
  const config = readConfig(context.values, context.app);
  const adminId = requireAccountAdmin(call.fn, context.user, config);
  requireArgumentCount(call.fn, call.args, call.argNames);
  return { adminId, arg: call.parse(call.fn, call.args), config };
}

/** For disable, enable and logout: one Admin API action on one user. */
export async function runAdminUserAction(
  call: AdminCall<string>,
  action: "disabled" | "enabled" | "loggedOut",
  act: (client: AdminApiClient, userId: string) => Promise<void>,
): Promise<{ userId: string; action: string }> {
  const { adminId, arg: userId, config } = authorizeAdminCall(call);
  await withAdminApi(call.fn, context.http, config.adminApi, (client) => act(client, userId));
  logs.adminAction(call.fn, adminId, action, userId);
  return { userId, action };
}
