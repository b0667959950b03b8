/**
 * Admin only: deletes any user with their data, exactly as deleteCurrentUser does for oneself.
 * Client: `await user.functions.deleteUser(userId)`.
 */
import { deleteAccountAndData } from "../lib/accountDeletion";
import { authorizeAdminCall } from "../lib/adminActions";
import { userIdArgument } from "../lib/callers";
import { defineFunction } from "../lib/functionMeta";

const FN = "deleteUser";

export const meta = defineFunction({ private: false, runAsSystem: true, disableArgLogs: false });

export default async function deleteUser(...args: unknown[]) {
  const { adminId, arg: userId, config, store } = authorizeAdminCall({ fn: FN, args, argNames: ["userId"], parse: (fn, a) => userIdArgument(fn, a[0]) });
  return deleteAccountAndData({ fn: FN, config, store, userId, actor: adminId });
}
