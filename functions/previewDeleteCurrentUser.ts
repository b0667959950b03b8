/**
 * What deleteCurrentUser would do for the signed-in caller, changing nothing: per rule, how many
 * documents would be deleted, anonymized or detached, and whether the deletion can run now.
 * Client: `await user.functions.previewDeleteCurrentUser()`.
 */
import { authorizeSelfCall } from "../lib/adminActions";
import { requireNoArguments, requireSignedInUser } from "../lib/callers";
import { invalidConfigPreview, previewDeletion } from "../lib/deletionPreview";
import { isConfigError, messageOf } from "../lib/errors";
import { defineFunction } from "../lib/functionMeta";
import { contextPlatform } from "../lib/platform";

const FN = "previewDeleteCurrentUser";

export const meta = defineFunction({ private: false, runAsSystem: true, disableArgLogs: false });

export default async function previewDeleteCurrentUser(...args: unknown[]) {
  requireNoArguments(FN, args);
  let self: ReturnType<typeof authorizeSelfCall>;
  try {
    self = authorizeSelfCall(FN);
  } catch (error) {
    // A preview answers "cannot run now, because…" rather than failing: that is what it is for.
    // The caller is still checked first, by the rules of the platform the context shows.
    if (isConfigError(error)) return invalidConfigPreview(FN, requireSignedInUser(FN, context.user, contextPlatform(context)), messageOf(error));
    throw error;
  }
  return previewDeletion(FN, self.platform, self.userId);
}
