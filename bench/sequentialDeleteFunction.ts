/**
 * Benchmark only, never deployed: deleteCurrentUser's work with every step run strictly one after
 * another. Same login first, same cleanup rules (one at a time instead of together), same account
 * delete with the same status checks, same final pass (one rule at a time), then the session's
 * logout, the same log lines, the same receipt. bench/benchApp.ts bundles it with build/build.ts's
 * buildApp, exactly as the real functions are built.
 */
import { connectAdminApi } from "../lib/adminApi";
import { applyRule, type RuleOutcome } from "../lib/cleanup";
import { requireNoArguments, requireSignedInUser } from "../lib/callers";
import { readConfig } from "../lib/config";
import { defineFunction } from "../lib/functionMeta";
import { logs } from "../lib/logs";

const FN = "sequentialDelete";

export const meta = defineFunction({ private: false, runAsSystem: true, disableArgLogs: false });

export default async function sequentialDelete(...args: unknown[]) {
  requireNoArguments(FN, args);
  const userId = requireSignedInUser(FN, context.user, "appservices");
  const config = readConfig(context.values, context.app);
  const data = context.services.get(config.dataSourceName);
  logs.deletionStarted(FN, userId, "self");

  const admin = await connectAdminApi(context.http, config.adminApi);
  const first: RuleOutcome[] = [];
  for (const rule of config.cleanupRules) {
    const outcome = await applyRule(data, rule, [userId]);
    logs.cleanupRuleDone(FN, "first", outcome);
    first.push(outcome);
  }
  const account = await admin.deleteUser(userId);
  logs.accountDeleted(FN, userId, account);
  const cleanup: RuleOutcome[] = [];
  for (const [i, rule] of config.cleanupRules.entries()) {
    const outcome = await applyRule(data, rule, [userId]);
    logs.cleanupRuleDone(FN, "final", outcome);
    cleanup.push({ ...first[i], documents: first[i].documents + outcome.documents, detached: first[i].detached + outcome.detached });
  }
  await admin.closeSession();
  logs.deletionFinished(FN, userId, cleanup.reduce((sum, c) => sum + c.documents, 0), cleanup.reduce((sum, c) => sum + c.detached, 0));
  return { userId, account, cleanup, deletedBy: "self", finishedAt: new Date().toISOString() };
}
