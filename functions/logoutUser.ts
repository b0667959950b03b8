/**
 * Admin only: revokes all of a user's sessions. Client: `await user.functions.logoutUser(userId)`.
 */
import { runAdminUserAction } from "../lib/adminActions";
import { userIdArgument } from "../lib/callers";
import { defineFunction } from "../lib/functionMeta";

export const meta = defineFunction({ private: false, runAsSystem: true, disableArgLogs: false });

export default async function logoutUser(...args: unknown[]) {
  return runAdminUserAction(
    { fn: "logoutUser", args, argNames: ["userId"], parse: (fn, a) => userIdArgument(fn, a[0]) },
    "loggedOut",
    (store, userId) => store.logoutUser(userId),
  );
}
