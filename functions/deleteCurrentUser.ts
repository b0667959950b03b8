/**
 * Deletes the signed-in user who calls it, with their data as the cleanup plan says.
 * Client: `await user.functions.deleteCurrentUser()`.
 */
import { deleteAccountAndData } from "../lib/accountDeletion";
import { requireNoArguments, requireSignedInUser } from "../lib/callers";
import { readConfig } from "../lib/config";
import { PermissionDeniedError } from "../lib/errors";
import { defineFunction } from "../lib/functionMeta";
import { logs } from "../lib/logs";

const FN = "deleteCurrentUser";

export const meta = defineFunction({ private: false, runAsSystem: true, disableArgLogs: false });

export default async function deleteCurrentUser(...args: unknown[]) {
  requireNoArguments(FN, args);
  const userId = requireSignedInUser(FN, context.user);
  const config = readConfig(context.values, context.app);
  if (context.user.type === "server" && !config.allowServerUserSelfDelete) {
    logs.denied(FN, `server (API key) user ${userId}`);
    throw new PermissionDeniedError(
      `${FN}: user ${userId} is a server (API key) user; deleting one from a client is off by default. Set the value "allowServerUserSelfDelete" to true to allow it. Nothing was changed.`,
    );
  }
  return deleteAccountAndData({ fn: FN, config, userId, actor: "self" });
}
