/**
 * Admin only: enables a disabled user again. Client: `await user.functions.enableUser(userId)`.
 */
import { runAdminUserAction } from "../lib/adminActions";
import { userIdArgument } from "../lib/callers";
import { defineFunction } from "../lib/functionMeta";

export const meta = defineFunction({ private: false, runAsSystem: true, disableArgLogs: false });

export default async function enableUser(...args: unknown[]) {
  return runAdminUserAction(
    { fn: "enableUser", args, argNames: ["userId"], parse: (fn, a) => userIdArgument(fn, a[0]) },
    "enabled",
    (store, userId) => store.enableUser(userId),
  );
}
