/**
 * One run of the orphan sweep: reads the owners the data mentions (ownerStream.ts, id order) and
 * asks whether each is a live user (ownerPresence.ts: on App Services merged with the Admin API's
 * user list in id order, userPresence.ts; on Flowerbase one `$in` lookup per batch of owners,
 * storePresence.ts), cleans orphans in batches (one request per
 * rule operation per batch, `$in` over the batch), and stops within its operation and time budget
 * (operationBudget.ts) at a point where every owner up to it is settled: the next run resumes there.
 */
import { applyPlan, planOperationCount, type DataSource } from "./cleanup";
import type { SharedConfig } from "./config";
import { ZERO_ID } from "./ids";
import { logs } from "./logs";
import type { OperationBudget } from "./operationBudget";
import type { OwnerPresence, PresenceStats } from "./ownerPresence";
import { countOwnersAfter, ownerStream } from "./ownerStream";
import { finishRun, type ScheduledRun, type ScheduledRunOutcome } from "./scheduledRun";
import { storePresence } from "./storePresence";
import { userPresence } from "./userPresence";

/** Orphans cleaned together: their ids go into each rule operation's `$in`. */
export const ORPHAN_BATCH_SIZE = 100;

export interface SweepRun extends ScheduledRun {
  fn: string;
  config: SharedConfig;
}

/** `remaining`: owners left, at least. */
export interface SweepOutcome extends PresenceStats, ScheduledRunOutcome {
  checked: number;
  orphans: number;
  documents: number;
  detached: number;
}

interface Tally {
  checked: number;
  orphans: number;
  documents: number;
  detached: number;
  /** Every owner up to here is settled: live, or an orphan whose batch was cleaned. */
  settled: string | undefined;
  complete: boolean;
}

/**
 * The sweep's budget plan for scheduledRun: a progress count per rule in the reserve, and a first
 * step of one owner page per rule, one user list request (or lookup) and one batch cleanup.
 */
export function sweepPlan(config: SharedConfig): { extraReserve: number; firstStep: number } {
  return { extraReserve: config.cleanupRules.length, firstStep: config.cleanupRules.length + 1 + planOperationCount(config.cleanupRules) };
}

export async function sweepOrphans(run: SweepRun): Promise<SweepOutcome> {
  const { fn, config, budget } = run;
  // A wrong group or app id, or a wrong user store, would say "no such user" for everyone: never sweep on that.
  await run.verifyStore();
  const data = budget.services.get(config.dataSourceName);
  const presence = ownerPresence(run);
  const tally: Tally = { checked: 0, orphans: 0, documents: 0, detached: 0, settled: run.resumedAfter, complete: false };
  let failure: unknown;
  try {
    await settleOwners(run, data, presence.check, tally);
  } catch (error) {
    failure = error;
  }
  const failed = failure !== undefined;
  const closing = await finishRun(
    run,
    { finished: tally.complete, failed, settled: tally.settled },
    (resumeAfter) => (failed ? undefined : countRemaining(run, data, resumeAfter)),
    tally.checked,
  );
  const outcome: SweepOutcome = {
    checked: tally.checked,
    orphans: tally.orphans,
    documents: tally.documents,
    detached: tally.detached,
    ...closing,
    ...presence.stats(),
  };
  logSweep(fn, outcome, presence, budget);
  if (failure !== undefined) throw failure;
  return outcome;
}

/** The way owners are checked where the run's users live. */
function ownerPresence(run: SweepRun): OwnerPresence {
  return run.users.platform === "appservices" ? userPresence(run.fn, run.users.client, run.budget) : storePresence(run.users.store, run.budget);
}

async function settleOwners(run: SweepRun, data: DataSource, check: OwnerPresence["check"], tally: Tally): Promise<void> {
  const { fn, config, budget } = run;
  const rules = config.cleanupRules;
  const owners = ownerStream(data, rules, run.resumedAfter, budget);
  const cleanupCost = planOperationCount(rules);
  let batch: string[] = [];
  let lastTaken = run.resumedAfter;
  const flush = async () => {
    const outcomes = await applyPlan(fn, "sweep", data, rules, batch);
    for (const o of outcomes) {
      tally.documents += o.documents;
      tally.detached += o.detached;
    }
    batch = [];
    tally.settled = lastTaken;
  };
  for (;;) {
    const head = await owners.peek();
    if (head.kind === "outOfBudget") break;
    if (head.kind === "end") {
      tally.complete = true;
      break;
    }
    const presence = await check({ id: head.id, readAt: head.readAt, pagesRead: owners.pagesRead(), upcoming: (n) => owners.upcoming(n) });
    if (presence === "outOfBudget") break;
    if (presence === "gone") {
      // The batch's cleanup is claimed when its first orphan joins it, so it can always be sent.
      if (batch.length === 0 && !budget.claim(cleanupCost)) break;
      batch.push(head.id);
      tally.orphans += 1;
    }
    owners.take();
    tally.checked += 1;
    lastTaken = head.id;
    if (batch.length === 0) tally.settled = lastTaken;
    else if (batch.length === ORPHAN_BATCH_SIZE) await flush();
  }
  if (batch.length > 0) await flush();
}

/** At least how many owners remain: the largest rule's count (one operation per rule, from the reserve; undefined if it has too few). */
async function countRemaining(run: SweepRun, data: DataSource, after: string | undefined): Promise<number | undefined> {
  const rules = run.config.cleanupRules;
  if (!run.budget.claimReserve(rules.length)) return undefined;
  try {
    const counts = await Promise.all(rules.map((rule) => countOwnersAfter(data, rule, after ?? ZERO_ID)));
    return counts.reduce((max, n) => (n > max ? n : max), 0);
  } catch {
    return undefined; // a progress figure is never worth failing the run for
  }
}

function logSweep(fn: string, o: SweepOutcome, presence: OwnerPresence, budget: OperationBudget): void {
  const stop = o.complete ? "complete" : budget.outOfTime() ? "stopped at the time budget; the next run resumes" : "stopped at the operation budget; the next run resumes";
  logs.batchProgress(
    fn,
    `checked ${o.checked} owner(s), ${o.orphans} orphaned, ${o.documents} document(s) cleaned, ${o.detached} shared document(s) detached, ` +
      `${presence.describe()}, ${o.operations} of ${budget.limit()} operation(s), ${stop}`,
  );
  if (!o.complete) logs.scheduledRunFellBehind(fn, o.remaining === undefined ? "an unknown number of owners" : `at least ${o.remaining} owner(s)`, o.runsToFinish);
}
