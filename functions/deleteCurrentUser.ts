/**
 * Deletes the signed-in user who calls it, with their data as the cleanup plan says.
 * Client: `await user.functions.deleteCurrentUser()`.
 */
import { deleteAccountAndData } from "../lib/accountDeletion";
import { requireNoArguments, requireSelfDeletionAllowed, requireSignedInUser } from "../lib/callers";
import { readConfig } from "../lib/config";
import { defineFunction } from "../lib/functionMeta";

const FN = "deleteCurrentUser";

export const meta = defineFunction({ private: false, runAsSystem: true, disableArgLogs: false });

export default async function deleteCurrentUser(...args: unknown[]) {
  requireNoArguments(FN, args);
  const userId = requireSignedInUser(FN, context.user);
  const config = readConfig(context.values, context.app);
  requireSelfDeletionAllowed(FN, context.user, config);
  return deleteAccountAndData({ fn: FN, config, userId, actor: "self" });
}
