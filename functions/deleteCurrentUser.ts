/**
 * Deletes the signed-in user who calls it, with their data as the cleanup plan says.
 * Client: `await user.functions.deleteCurrentUser()`.
 */
import { deleteAccountAndData } from "../lib/accountDeletion";
import { requireNoArguments, requireSelfDeletionAllowed, requireSignedInUser } from "../lib/callers";
import { defineFunction } from "../lib/functionMeta";
import { openUserStore } from "../lib/openUserStore";
import { readPlatformConfig } from "../lib/platform";

const FN = "deleteCurrentUser";

export const meta = defineFunction({ private: false, runAsSystem: true, disableArgLogs: false });

export default async function deleteCurrentUser(...args: unknown[]) {
  requireNoArguments(FN, args);
  const platform = readPlatformConfig(context);
  const userId = requireSignedInUser(FN, context.user, platform.platform);
  requireSelfDeletionAllowed(FN, context.user, platform.config);
  return deleteAccountAndData({ fn: FN, config: platform.config, store: openUserStore(FN, platform), userId, actor: "self" });
}
