/**
 * Scheduled, on App Services and Flowerbase (lib/platform.ts; a trigger needs no user): deletes
 * pending email/password registrations older than the value pendingUserMaxAgeDays, as many as the run's operation and time budget allow (lib/pendingPurge.ts);
 * a run cut short resumes on the next run where it stopped.
 */
import { defineFunction } from "../lib/functionMeta";
import { purgePending } from "../lib/pendingPurge";
import { readPlatformConfig } from "../lib/platform";
import { scheduledRun } from "../lib/scheduledRun";

const FN = "purgePendingUsers";
const DAY_MS = 24 * 60 * 60 * 1000;

export const meta = defineFunction({ private: true, runAsSystem: true, disableArgLogs: true, schedule: "0 3 * * *" });

export default async function purgePendingUsers() {
  const platform = readPlatformConfig(context);
  const config = platform.config;
  const cutoff = Date.now() - config.pendingUserMaxAgeDays * DAY_MS;
  // The first step: a page read and one delete.
  return scheduledRun(FN, platform, { extraReserve: 0, firstStep: 2 }, (run) => purgePending(FN, config, cutoff, run));
}
