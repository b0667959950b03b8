/**
 * What deleteCurrentUser would do for the signed-in caller, changing nothing: per rule, how many
 * documents would be deleted, anonymized or detached, and whether the deletion can run now.
 * Client: `await user.functions.previewDeleteCurrentUser()`.
 */
import { requireNoArguments, requireSelfDeletionAllowed, requireSignedInUser } from "../lib/callers";
import { readConfig } from "../lib/config";
import { invalidConfigPreview, previewDeletion } from "../lib/deletionPreview";
import { isConfigError, messageOf } from "../lib/errors";
import { defineFunction } from "../lib/functionMeta";

const FN = "previewDeleteCurrentUser";

export const meta = defineFunction({ private: false, runAsSystem: true, disableArgLogs: false });

export default async function previewDeleteCurrentUser(...args: unknown[]) {
  requireNoArguments(FN, args);
  const userId = requireSignedInUser(FN, context.user);
  let config;
  try {
    config = readConfig(context.values, context.app);
  } catch (error) {
    // A preview answers "cannot run now, because…" rather than failing: that is what it is for.
    if (isConfigError(error)) return invalidConfigPreview(FN, userId, messageOf(error));
    throw error;
  }
  requireSelfDeletionAllowed(FN, context.user, config);
  return previewDeletion(FN, config, userId);
}
