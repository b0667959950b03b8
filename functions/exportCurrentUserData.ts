/**
 * The signed-in caller's data that the cleanup plan covers, a page at a time, as the deletion
 * would see it: documents they own alone in full, shared ones as `_id` and their own entries.
 * Client: `let page = await user.functions.exportCurrentUserData();` then
 * `exportCurrentUserData({ after: page.next })` until `page.next` is null.
 */
import { requireSelfDeletionAllowed, requireSignedInUser } from "../lib/callers";
import { exportPage } from "../lib/dataExport";
import { exportArgument } from "../lib/exportCursor";
import { defineFunction } from "../lib/functionMeta";
import { readPlatformConfig } from "../lib/platform";

const FN = "exportCurrentUserData";

export const meta = defineFunction({ private: false, runAsSystem: true, disableArgLogs: false });

export default async function exportCurrentUserData(...args: unknown[]) {
  const after = exportArgument(FN, args);
  const platform = readPlatformConfig(context);
  const userId = requireSignedInUser(FN, context.user, platform.platform);
  requireSelfDeletionAllowed(FN, context.user, platform.config);
  return exportPage(FN, platform.config, userId, after);
}
