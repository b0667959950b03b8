/**
 * Scheduled: deletes pending email/password registrations older than the value
 * pendingUserMaxAgeDays, 50 a page, with bounded concurrency and a time budget; a run cut short
 * resumes on the next run after the last page it finished.
 */
import { withAdminApi, type AdminApiClient, type PendingUser } from "../lib/adminApi";
import { listSource, runPool, timeBudget, type Budget } from "../lib/batch";
import { readConfig, type BundleConfig } from "../lib/config";
import { messageOf } from "../lib/errors";
import { defineFunction } from "../lib/functionMeta";
import { jobState, type JobState } from "../lib/jobState";
import { logs } from "../lib/logs";

const FN = "purgePendingUsers";
const DAY_MS = 24 * 60 * 60 * 1000;

export const meta = defineFunction({ private: true, runAsSystem: true, disableArgLogs: true, schedule: "0 3 * * *" });

/** A pending registration's _id is an ObjectId: its first 4 bytes are the creation time in seconds. */
export function registeredAt(pending: PendingUser): number {
  return parseInt(pending._id.slice(0, 8), 16) * 1000;
}

export default async function purgePendingUsers() {
  const config = readConfig(context.values, context.app);
  const budget = timeBudget(config.scheduledRunBudgetSeconds);
  const cutoff = Date.now() - config.pendingUserMaxAgeDays * DAY_MS;
  const state = jobState(config, FN);
  // Reading the resume point is harmless, so it overlaps the login.
  const loading = state.load();
  loading.catch(() => undefined); // handled when awaited inside
  return withAdminApi(FN, context.http, config.adminApi, async (client, closeSession) =>
    purge(client, { config, budget, cutoff, state, resumedAfter: await loading, closeSession }),
  );
}

interface PurgeRun {
  config: BundleConfig;
  budget: Budget;
  cutoff: number;
  state: JobState;
  resumedAfter: string | undefined;
  closeSession: () => Promise<void>;
}

async function purge(client: AdminApiClient, run: PurgeRun) {
  const { config, budget, cutoff, state, resumedAfter } = run;
  let page = await client.listPendingUsers(resumedAfter);
  let scanned = 0;
  let deleted = 0;
  const failures: string[] = [];
  let saving: Promise<void> = Promise.resolve();
  while (page.length > 0 && !budget.spent()) {
    // Read the next page while this one's deletes run: page reads stay off the critical path.
    const nextPage = page.length === 50 ? client.listPendingUsers(page[page.length - 1]._id) : Promise.resolve([]);
    nextPage.catch(() => undefined); // handled when awaited below; avoids an unhandled rejection meanwhile
    const expired = page.filter((p) => registeredAt(p) < cutoff);
    const result = await runPool(
      listSource(expired),
      async (pending) => {
        const email = pending.login_ids.find((l) => l.id_type === "email")?.id;
        if (!email) return;
        await client.deletePendingUser(email);
        deleted += 1;
      },
      { concurrency: config.batchConcurrency, budget },
    );
    failures.push(...result.failures.map((f) => `${f.item._id}: ${messageOf(f.error)}`));
    scanned += page.length;
    if (!result.exhausted) break; // budget spent inside the page: resume from the previous page
    const finished = page[page.length - 1]._id;
    // The resume point is saved while the next page is deleted; saves stay in order, and a
    // failed save surfaces when the run ends (awaited below).
    saving = saving.then(() => state.save(finished));
    saving.catch(() => undefined);
    page = await nextPage;
  }
  const complete = page.length === 0;
  // No Admin API request is left: the logout travels alongside the last saves.
  void run.closeSession();
  await saving;
  if (complete) await state.save(undefined);
  logs.batchProgress(FN, `scanned ${scanned}, deleted ${deleted}, ${failures.length} failed, ${complete ? "complete" : "stopped at the time budget; the next run resumes"}`);
  if (failures.length > 0) {
    throw new Error(`${FN}: ${failures.length} pending registration(s) could not be deleted (the next run retries them): ${failures.slice(0, 5).join("; ")}`);
  }
  return { scanned, deleted, complete, resumedAfter: resumedAfter ?? null };
}
