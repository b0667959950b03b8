/**
 * Admin only: deletes a pending (unconfirmed) email/password registration.
 * Client: `await user.functions.deletePendingUser(email)`. Its argument is an email, so it is kept out of logs.
 */
import { authorizeAdminCall, withUserStore } from "../lib/adminActions";
import { emailArgument } from "../lib/callers";
import { defineFunction } from "../lib/functionMeta";
import { logs } from "../lib/logs";

const FN = "deletePendingUser";

export const meta = defineFunction({ private: false, runAsSystem: true, disableArgLogs: true });

export default async function deletePendingUser(...args: unknown[]) {
  const { adminId, arg: email, store } = authorizeAdminCall({ fn: FN, args, argNames: ["email"], parse: (fn, a) => emailArgument(fn, a[0]) });
  const outcome = await withUserStore(store, adminId, (opened) => opened.deletePendingUser(email));
  logs.adminAction(FN, adminId, outcome === "deleted" ? "deleted a pending registration" : "found no pending registration", "(email withheld)");
  return { pendingRegistration: outcome };
}
