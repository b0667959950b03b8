/**
 * Deletes the signed-in user who calls it, with their data as the cleanup plan says.
 * Client: `await user.functions.deleteCurrentUser()`.
 */
import { deleteAccountAndData } from "../lib/accountDeletion";
import { authorizeSelfCall } from "../lib/adminActions";
import { requireNoArguments } from "../lib/callers";
import { defineFunction } from "../lib/functionMeta";
import { openUserStore } from "../lib/openUserStore";

const FN = "deleteCurrentUser";

export const meta = defineFunction({ private: false, runAsSystem: true, disableArgLogs: false });

export default async function deleteCurrentUser(...args: unknown[]) {
  requireNoArguments(FN, args);
  const { userId, platform } = authorizeSelfCall(FN);
  return deleteAccountAndData({ fn: FN, config: platform.config, store: openUserStore(FN, platform), userId, actor: "self" });
}
