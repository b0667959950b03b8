/**
 * What deleteCurrentUser would do for the signed-in caller, changing nothing: per rule, how many
 * documents would be deleted, anonymized or detached, and whether the deletion can run now.
 * Client: `await user.functions.previewDeleteCurrentUser()`.
 */
import { requireNoArguments, requireSelfDeletionAllowed, requireSignedInUser } from "../lib/callers";
import { invalidConfigPreview, previewDeletion } from "../lib/deletionPreview";
import { isConfigError, messageOf } from "../lib/errors";
import { defineFunction } from "../lib/functionMeta";
import { readPlatformConfig, type PlatformConfig } from "../lib/platform";

const FN = "previewDeleteCurrentUser";

export const meta = defineFunction({ private: false, runAsSystem: true, disableArgLogs: false });

export default async function previewDeleteCurrentUser(...args: unknown[]) {
  requireNoArguments(FN, args);
  let platform: PlatformConfig;
  try {
    platform = readPlatformConfig(context);
  } catch (error) {
    // A preview answers "cannot run now, because…" rather than failing: that is what it is for.
    // The caller is still checked first (on App Services' rules: the platform is what failed).
    if (isConfigError(error)) return invalidConfigPreview(FN, requireSignedInUser(FN, context.user), messageOf(error));
    throw error;
  }
  const userId = requireSignedInUser(FN, context.user, platform.platform);
  requireSelfDeletionAllowed(FN, context.user, platform.config);
  return previewDeletion(FN, platform, userId);
}
