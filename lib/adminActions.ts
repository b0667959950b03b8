/**
 * The shared shape of the admin functions: read configuration, deny anyone who is not an account
 * admin, validate the arguments, open the user store, act, close it, and return a receipt. And the
 * start of the self-service functions: configuration, then the signed-in caller.
 */
import { requireAccountAdmin, requireArgumentCount, requireSelfDeletionAllowed, requireSignedInUser, userIdArgument } from "./callers";
import type { SharedConfig } from "./config";
import { logs } from "./logs";
import { openUserStore } from "./openUserStore";
import { readPlatformConfig, type PlatformConfig } from "./platform";
import type { UserStore } from "./userStore";

export interface AdminCall<A> {
  fn: string;
  args: unknown[];
  /** Names of the expected arguments, for the error when the count is wrong. */
  argNames: string[];
  parse(fn: string, args: unknown[]): A;
}

/** Checks caller and arguments; returns the admin's id, the parsed argument, the configuration and the (unopened) user store. */
export function authorizeAdminCall<A>(call: AdminCall<A>): { adminId: string; arg: A; config: SharedConfig; store: UserStore } {
  const platform = readPlatformConfig(context);
  const adminId = requireAccountAdmin(call.fn, context.user, platform.config, platform.platform);
  requireArgumentCount(call.fn, call.args, call.argNames);
  return { adminId, arg: call.parse(call.fn, call.args), config: platform.config, store: openUserStore(call.fn, platform) };
}

/**
 * For the functions a user calls on themselves: the configuration, the signed-in caller (by the
 * rules of the platform it runs on), and a server user only when allowServerUserSelfDelete says so.
 */
export function authorizeSelfCall(fn: string): { userId: string; platform: PlatformConfig } {
  const platform = readPlatformConfig(context);
  const userId = requireSignedInUser(fn, context.user, platform.platform);
  requireSelfDeletionAllowed(fn, context.user, platform.config);
  return { userId, platform };
}

/**
 * Verifies the store (the Admin API login; on Flowerbase, the admin found in it), runs `work`,
 * and closes the store whether `work` succeeded or not.
 */
export async function withUserStore<T>(store: UserStore, adminId: string, work: (store: UserStore) => Promise<T>): Promise<T> {
  try {
    await store.verify(adminId);
    return await work(store);
  } finally {
    await store.close();
  }
}

/** For disable, enable and logout: one user store action on one user, whose id is the only argument. */
export async function runAdminUserAction(
  fn: string,
  args: unknown[],
  action: "disabled" | "enabled" | "loggedOut",
  act: (store: UserStore, userId: string) => Promise<void>,
): Promise<{ userId: string; action: string }> {
  const { adminId, arg: userId, store } = authorizeAdminCall({ fn, args, argNames: ["userId"], parse: (name, a) => userIdArgument(name, a[0]) });
  await withUserStore(store, adminId, (opened) => act(opened, userId));
  logs.adminAction(fn, adminId, action, userId);
  return { userId, action };
}
