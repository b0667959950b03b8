/**
 * Admin only: disables a user: they cannot log in and their sessions end. Client: `await user.functions.disableUser(userId)`.
 */
import { runAdminUserAction } from "../lib/adminActions";
import { userIdArgument } from "../lib/callers";
import { defineFunction } from "../lib/functionMeta";

export const meta = defineFunction({ private: false, runAsSystem: true, disableArgLogs: false });

export default async function disableUser(...args: unknown[]) {
  return runAdminUserAction(
    { fn: "disableUser", args, argNames: ["userId"], parse: (fn, a) => userIdArgument(fn, a[0]) },
    "disabled",
    (store, userId) => store.disableUser(userId),
  );
}
