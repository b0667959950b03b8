/**
 * Admin only: revokes all of a user's sessions. Client: `await user.functions.logoutUser(userId)`.
 */
import { runAdminUserAction } from "../lib/adminActions";
import { defineFunction } from "../lib/functionMeta";

export const meta = defineFunction({ private: false, runAsSystem: true, disableArgLogs: false });

export default async function logoutUser(...args: unknown[]) {
  return runAdminUserAction("logoutUser", args, "loggedOut", (store, userId) => store.logoutUser(userId));
}
