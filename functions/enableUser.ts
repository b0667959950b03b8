/**
 * Admin only: enables a disabled user again. Client: `await user.functions.enableUser(userId)`.
 */
import { runAdminUserAction } from "../lib/adminActions";
import { defineFunction } from "../lib/functionMeta";

export const meta = defineFunction({ private: false, runAsSystem: true, disableArgLogs: false });

export default async function enableUser(...args: unknown[]) {
  return runAdminUserAction("enableUser", args, "enabled", (store, userId) => store.enableUser(userId));
}
