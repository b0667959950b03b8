/**
 * The signed-in caller's data that the cleanup plan covers, a page at a time, as the deletion
 * would see it: documents they own alone in full, shared ones as `_id` and their own entries.
 * Client: `let page = await user.functions.exportCurrentUserData();` then
 * `exportCurrentUserData({ after: page.next })` until `page.next` is null.
 */
import { authorizeSelfCall } from "../lib/adminActions";
import { exportPage } from "../lib/dataExport";
import { exportArgument } from "../lib/exportCursor";
import { defineFunction } from "../lib/functionMeta";

const FN = "exportCurrentUserData";

export const meta = defineFunction({ private: false, runAsSystem: true, disableArgLogs: false });

export default async function exportCurrentUserData(...args: unknown[]) {
  const after = exportArgument(FN, args);
  const { userId, platform } = authorizeSelfCall(FN);
  return exportPage(FN, platform.config, userId, after);
}
