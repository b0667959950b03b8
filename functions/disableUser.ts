/**
 * Admin only: disables a user: they cannot log in and their sessions end. Client: `await user.functions.disableUser(userId)`.
 */
import { runAdminUserAction } from "../lib/adminActions";
import { defineFunction } from "../lib/functionMeta";

export const meta = defineFunction({ private: false, runAsSystem: true, disableArgLogs: false });

export default async function disableUser(...args: unknown[]) {
  return runAdminUserAction("disableUser", args, "disabled", (store, userId) => store.disableUser(userId));
}
