/**
 * One run of the pending-registration purge: pages through the pending registrations in id order
 * (lib/pendingRegistrations.ts: the Admin API's list, or Flowerbase's user collection) and deletes
 * the ones registered before the cutoff, as many as the run's operation and time budget allow (one
 * operation each), then saves where it stopped; the next run resumes there.
 * On App Services a registration's _id is an ObjectId whose first 4 bytes are its creation time, so
 * in id order the expired ones come first: the first one not expired ends the pass. This relies on
 * the list being in id order, as the Admin API's user lists are (see lib/userPresence.ts); were it
 * not, an expired registration listed after a fresh one would be missed, but none would ever be
 * deleted early, since each is checked against the cutoff itself. On Flowerbase the query lists
 * only expired ones (by createdAt), so a pass ends at its last short page.
 */
import { runPool } from "./batch";
import type { SharedConfig } from "./config";
import { messageOf } from "./errors";
import { logs } from "./logs";
import { remainingByIdTime } from "./progressEstimate";
import { PENDING_PAGE_SIZE, pendingRegistrations, type PendingEntry, type PendingRegistrations } from "./pendingRegistrations";
import { finishRun, type ScheduledRun, type ScheduledRunOutcome } from "./scheduledRun";

/** `remaining`: an estimate of the expired registrations left. */
export interface PurgeOutcome extends ScheduledRunOutcome {
  scanned: number;
  deleted: number;
}

interface Progress {
  scanned: number;
  deleted: number;
  /** Everything up to here is done (deleted, failed and reported, or not expired). */
  after: string | undefined;
  firstDone: string | undefined;
  failures: string[];
  complete: boolean;
}

export async function purgePending(fn: string, config: SharedConfig, cutoff: number, run: ScheduledRun): Promise<PurgeOutcome> {
  const { budget } = run;
  // Checked once, alongside the first page read: after it, a 404 on a delete ("already gone")
  // costs no further request, and no delete starts before it.
  const storeChecked = run.verifyStore();
  storeChecked.catch(() => undefined); // handled when awaited in purgePages
  const source = pendingRegistrations(run.users, cutoff);
  const progress: Progress = { scanned: 0, deleted: 0, after: run.resumedAfter, firstDone: undefined, failures: [], complete: false };
  let failure: unknown;
  try {
    await purgePages(config, cutoff, run, source, progress, storeChecked);
  } catch (error) {
    failure = error;
  }
  const closing = await finishRun(
    run,
    { finished: progress.complete, failed: failure !== undefined, settled: progress.after },
    () => (progress.firstDone !== undefined && progress.after !== undefined ? remainingByIdTime(progress.deleted, progress.firstDone, progress.after, Math.floor(cutoff / 1000)) : undefined),
    progress.deleted,
  );
  const outcome: PurgeOutcome = { scanned: progress.scanned, deleted: progress.deleted, ...closing };
  logPurge(fn, outcome, progress.failures.length, budget.outOfTime(), budget.limit());
  if (failure !== undefined) throw failure;
  if (progress.failures.length > 0) {
    throw new Error(`${fn}: ${progress.failures.length} pending registration(s) could not be deleted (the next pass retries them): ${progress.failures.slice(0, 5).join("; ")}`);
  }
  return outcome;
}

async function purgePages(
  config: SharedConfig,
  cutoff: number,
  run: ScheduledRun,
  source: PendingRegistrations,
  progress: Progress,
  storeChecked: Promise<void>,
): Promise<void> {
  const { budget } = run;
  const firstPage = budget.claim(1) ? source.page(progress.after) : undefined;
  firstPage?.catch(() => undefined); // handled below
  await storeChecked;
  if (!firstPage) return;
  let page = await firstPage;
  for (;;) {
    progress.scanned += page.length;
    let expired = 0;
    while (expired < page.length && page[expired].registeredAt < cutoff) expired += 1;
    const last = expired < page.length || page.length < PENDING_PAGE_SIZE;
    // The next page is read while this one's deletes run, when there is one and the budget allows.
    const next = !last && budget.claim(1) ? source.page(page[page.length - 1].id) : undefined;
    next?.catch(() => undefined); // handled when awaited below
    const done = await deleteExpired(config, run, source, page.slice(0, expired), progress);
    if (done < expired) return; // the budget ran out inside the page
    if (last) {
      progress.complete = true;
      return;
    }
    if (!next) return;
    progress.after = page[page.length - 1].id;
    page = await next;
  }
}

/** Deletes with `batchConcurrency` in flight, one claimed operation each, in order; returns how many it got to. */
async function deleteExpired(config: SharedConfig, run: ScheduledRun, source: PendingRegistrations, expired: PendingEntry[], progress: Progress): Promise<number> {
  const { budget } = run;
  const result = await runPool(
    expired,
    async (pending) => {
      if (await source.remove(pending)) progress.deleted += 1;
    },
    { concurrency: config.batchConcurrency, mayStart: () => budget.claim(1) },
  );
  const taken = result.started;
  progress.failures.push(...result.failures.map((f) => `${f.item.id}: ${messageOf(f.error)}`));
  if (taken > 0) {
    progress.firstDone = progress.firstDone ?? expired[0].id;
    progress.after = expired[taken - 1].id;
  }
  return taken;
}

function logPurge(fn: string, o: PurgeOutcome, failed: number, outOfTime: boolean, limit: number): void {
  const stop = o.complete ? "complete" : outOfTime ? "stopped at the time budget; the next run resumes" : "stopped at the operation budget; the next run resumes";
  logs.batchProgress(fn, `scanned ${o.scanned}, deleted ${o.deleted}, ${failed} failed, ${o.operations} of ${limit} operation(s), ${stop}`);
  if (!o.complete) logs.scheduledRunFellBehind(fn, o.remaining === undefined ? "an unknown number of expired registrations" : `about ${o.remaining} expired registration(s)`, o.runsToFinish);
}
