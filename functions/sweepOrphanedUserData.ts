/**
 * Scheduled: applies the cleanup plan to documents whose owner no longer exists (users deleted
 * from the App Services UI, the CLI or the SDK's built-in delete). Owners are checked with the
 * Admin API in id order with bounded concurrency; a run cut short resumes after the last owner done.
 */
import { isObjectIdHex } from "../lib/ids";
import { connectAdminApi } from "../lib/adminApi";
import { listSource, runPool, timeBudget } from "../lib/batch";
import { applyPlan } from "../lib/cleanup";
import type { CleanupRule } from "../lib/cleanupPlan";
import { readConfig } from "../lib/config";
import { messageOf } from "../lib/errors";
import { defineFunction } from "../lib/functionMeta";
import { jobState } from "../lib/jobState";
import { logs } from "../lib/logs";

const FN = "sweepOrphanedUserData";

export const meta = defineFunction({ private: true, runAsSystem: true, disableArgLogs: true, schedule: "30 3 * * *" });

/** Every owner id the plan's collections mention, as lowercase hex, sorted. Placeholders and junk are skipped. */
async function listOwners(dataSource: string, rules: CleanupRule[]): Promise<string[]> {
  const data = context.services.get(dataSource);
  const owners = new Set<string>();
  for (const rule of rules) {
    const groups = await data.db(rule.database).collection(rule.collection).aggregate([{ $group: { _id: `$${rule.ownerField}` } }]).toArray();
    for (const { _id: owner } of groups) {
      const hex = typeof owner === "string" ? owner.toLowerCase() : isObjectId(owner) ? owner.toHexString() : undefined;
      if (isObjectIdHex(hex)) owners.add(hex);
    }
  }
  return [...owners].sort();
}

/** Duck-typed: an ObjectId from another realm or bson copy fails instanceof. */
function isObjectId(value: unknown): value is { toHexString(): string } {
  return typeof value === "object" && value !== null && (value as { _bsontype?: unknown })._bsontype === "ObjectId";
}

export default async function sweepOrphanedUserData() {
  const config = readConfig(context.values, context.app);
  if (config.cleanupRules.length === 0) return { checked: 0, orphans: 0, documents: 0, complete: true, resumedAfter: null };
  const budget = timeBudget(config.scheduledRunBudgetSeconds);
  const state = jobState(config, FN);
  // Reads only: the resume point and the owners are fetched while logging in.
  const [client, resumedAfter, allOwners] = await Promise.all([
    connectAdminApi(context.http, config.adminApi),
    state.load(),
    listOwners(config.dataSourceName, config.cleanupRules),
  ]);
  // A wrong group or app id would answer 404 for every user: never sweep on that.
  await client.assertAppExists();
  const owners = allOwners.filter((id) => !resumedAfter || id > resumedAfter);

  const data = context.services.get(config.dataSourceName);
  let orphans = 0;
  let documents = 0;
  let checked = 0;
  const chunk = config.batchConcurrency * 5;
  const failures: string[] = [];
  let complete = true;
  for (let start = 0; start < owners.length; start += chunk) {
    if (budget.spent()) {
      complete = false;
      break;
    }
    const batch = owners.slice(start, start + chunk);
    const result = await runPool(
      listSource(batch),
      async (ownerId) => {
        checked += 1;
        if (await client.getUser(ownerId)) return;
        orphans += 1;
        const outcomes = await applyPlan(FN, "sweep", data, config.cleanupRules, ownerId);
        documents += outcomes.reduce((sum, o) => sum + o.documents, 0);
      },
      { concurrency: config.batchConcurrency, budget },
    );
    failures.push(...result.failures.map((f) => `${f.item}: ${messageOf(f.error)}`));
    if (!result.exhausted) {
      complete = false;
      break;
    }
    await state.save(batch[batch.length - 1]);
  }
  if (complete) await state.save(undefined);
  logs.batchProgress(FN, `checked ${checked} owner(s), ${orphans} orphaned, ${documents} document(s) cleaned, ${failures.length} failed, ${complete ? "complete" : "stopped at the time budget; the next run resumes"}`);
  if (failures.length > 0) {
    throw new Error(`${FN}: ${failures.length} owner(s) could not be swept (the next full run retries them): ${failures.slice(0, 5).join("; ")}`);
  }
  return { checked, orphans, documents, complete, resumedAfter: resumedAfter ?? null };
}
