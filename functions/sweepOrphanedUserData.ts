/**
 * Scheduled: applies the cleanup plan to documents whose owner no longer exists (users deleted
 * from the App Services UI, the CLI or the SDK's built-in delete). Owners are checked with the
 * Admin API in id order with bounded concurrency; a run cut short resumes after the last owner done.
 */
import { isObjectIdHex } from "../lib/ids";
import { withAdminApi, type AdminApiClient } from "../lib/adminApi";
import { listSource, runPool, timeBudget, type Budget } from "../lib/batch";
import { applyPlan } from "../lib/cleanup";
import type { CleanupRule } from "../lib/cleanupPlan";
import { readConfig, type BundleConfig } from "../lib/config";
import { messageOf } from "../lib/errors";
import { defineFunction } from "../lib/functionMeta";
import { jobState, type JobState } from "../lib/jobState";
import { logs } from "../lib/logs";

const FN = "sweepOrphanedUserData";

export const meta = defineFunction({ private: true, runAsSystem: true, disableArgLogs: true, schedule: "30 3 * * *" });

/** Every owner id the plan's collections mention, as lowercase hex, sorted. Placeholders and junk are skipped. */
async function listOwners(dataSource: string, rules: CleanupRule[]): Promise<string[]> {
  const data = context.services.get(dataSource);
  const owners = new Set<string>();
  for (const rule of rules) {
    const groups = await data.db(rule.database).collection(rule.collection).aggregate([{ $group: { _id: `$${rule.ownerField}` } }]).toArray();
    // An owner field holding an array of ids, or running through an array of subdocuments, groups by the array.
    for (const { _id: owner } of groups) addOwners(owners, owner);
  }
  return [...owners].sort();
}

function addOwners(owners: Set<string>, value: unknown): void {
  if (Array.isArray(value)) {
    for (const item of value) addOwners(owners, item);
    return;
  }
  const hex = typeof value === "string" ? value.toLowerCase() : isObjectId(value) ? value.toHexString() : undefined;
  if (isObjectIdHex(hex)) owners.add(hex);
}

/** Duck-typed: an ObjectId from another realm or bson copy fails instanceof. */
function isObjectId(value: unknown): value is { toHexString(): string } {
  return typeof value === "object" && value !== null && (value as { _bsontype?: unknown })._bsontype === "ObjectId";
}

export default async function sweepOrphanedUserData() {
  const config = readConfig(context.values, context.app);
  if (config.cleanupRules.length === 0) return { checked: 0, orphans: 0, documents: 0, detached: 0, complete: true, resumedAfter: null };
  const budget = timeBudget(config.scheduledRunBudgetSeconds);
  const state = jobState(config, FN);
  // Reads only: the resume point and the owners are fetched while logging in.
  const reading = Promise.all([state.load(), listOwners(config.dataSourceName, config.cleanupRules)]);
  reading.catch(() => undefined); // handled when awaited inside
  return withAdminApi(FN, context.http, config.adminApi, async (client, closeSession) => {
    const [resumedAfter, allOwners] = await reading;
    return sweep(client, { config, budget, state, resumedAfter, allOwners, closeSession });
  });
}

interface SweepRun {
  config: BundleConfig;
  budget: Budget;
  state: JobState;
  resumedAfter: string | undefined;
  allOwners: string[];
  closeSession: () => Promise<void>;
}

async function sweep(client: AdminApiClient, run: SweepRun) {
  const { config, budget, state, resumedAfter } = run;
  // A wrong group or app id would answer 404 for every user: never sweep on that.
  await client.assertAppExists();
  const owners = run.allOwners.filter((id) => !resumedAfter || id > resumedAfter);
  const data = context.services.get(config.dataSourceName);
  let orphans = 0;
  let documents = 0;
  let detached = 0;
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
        detached += outcomes.reduce((sum, o) => sum + o.detached, 0);
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
  // No Admin API request is left: the logout travels alongside the last save.
  void run.closeSession();
  if (complete) await state.save(undefined);
  logs.batchProgress(FN, `checked ${checked} owner(s), ${orphans} orphaned, ${documents} document(s) cleaned, ${detached} shared document(s) detached, ${failures.length} failed, ${complete ? "complete" : "stopped at the time budget; the next run resumes"}`);
  if (failures.length > 0) {
    throw new Error(`${FN}: ${failures.length} owner(s) could not be swept (the next full run retries them): ${failures.slice(0, 5).join("; ")}`);
  }
  return { checked, orphans, documents, detached, complete, resumedAfter: resumedAfter ?? null };
}
