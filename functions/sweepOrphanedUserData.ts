/**
 * Scheduled, on App Services and Flowerbase (lib/platform.ts; a trigger needs no user): applies the
 * cleanup plan to documents whose owner no longer exists (users deleted from the App Services UI,
 * the CLI or the SDK's built-in delete; on Flowerbase, by its own deleteUser). Owners are read from
 * the data in id order and checked against the Admin API's user list in id order, or on Flowerbase
 * looked up in its user collection a batch at a time (lib/orphanSweep.ts); orphans
 * are cleaned in batches; a run stops within its operation and time budget and the next resumes.
 */
import { defineFunction } from "../lib/functionMeta";
import { sweepOrphans, sweepPlan, type SweepOutcome } from "../lib/orphanSweep";
import { readPlatformConfig } from "../lib/platform";
import { scheduledRun } from "../lib/scheduledRun";

const FN = "sweepOrphanedUserData";

export const meta = defineFunction({ private: true, runAsSystem: true, disableArgLogs: true, schedule: "30 3 * * *" });

export default async function sweepOrphanedUserData() {
  const platform = readPlatformConfig(context);
  const config = platform.config;
  if (config.cleanupRules.length === 0) {
    const nothingToSweep: SweepOutcome = { checked: 0, orphans: 0, documents: 0, detached: 0, complete: true, resumedAfter: null, resumeAfter: null, operations: 0 };
    return nothingToSweep;
  }
  return scheduledRun(FN, platform, sweepPlan(config), (run) => sweepOrphans({ ...run, fn: FN, config }));
}
