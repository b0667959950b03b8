/**
 * What both scheduled functions start with: the run's operation and time budget, the fixed
 * operations of the start claimed, the resume point, the users' store opened, and (at the end) the
 * session closed. Per platform:
 * - App Services: Admin API login, resume point, app check; at the end, the resume point saved and
 *   the Admin API session closed.
 * - Flowerbase: no login (its users are documents); the store is opened over the run's counted
 *   services, so each of its data calls counts against the budget; resume point, store check (the
 *   user collection holds users); at the end, the resume point saved.
 */
import { withAdminApi, type AdminApiClient } from "./adminApi";
import type { SharedConfig } from "./config";
import { ConfigError } from "./errors";
import { jobState, type JobState } from "./jobState";
import { openFlowerbaseStore } from "./openUserStore";
import { operationBudget, type OperationBudget } from "./operationBudget";
import type { PlatformConfig } from "./platform";
import { runsToFinish } from "./progressEstimate";
import type { ScanningUserStore } from "./userStore";

/** The operations a run starts and ends with, per platform (see the module comment). */
const FIXED_OPERATIONS = {
  appservices: { start: 3, close: 2 },
  flowerbase: { start: 2, close: 1 },
};

/** Where the run's users live: the Admin API (App Services) or Flowerbase's user collection. */
export type RunUsers = { platform: "appservices"; client: AdminApiClient } | { platform: "flowerbase"; store: ScanningUserStore };

/** What every scheduled run reports about its progress, whatever it does. */
export interface ScheduledRunOutcome {
  complete: boolean;
  resumedAfter: string | null;
  /** Where the next run resumes (null: from the start). */
  resumeAfter: string | null;
  operations: number;
  /** When the run stopped short: what is left (an estimate where it cannot be counted), and the runs that takes at this run's pace. */
  remaining?: number;
  runsToFinish?: number;
}

export interface ScheduledRun {
  budget: OperationBudget;
  users: RunUsers;
  state: JobState;
  resumedAfter: string | undefined;
  /**
   * Fails unless the users are where the settings say (one of the start operations): App Services
   * checks the app exists (a wrong id would answer "no such user" for everyone), Flowerbase that
   * its user collection holds users (a wrong userStoreDatabase would too). Nothing is deleted before it passes.
   */
  verifyStore: () => Promise<void>;
  /** Ends the Admin API session (one operation of the reserve); nothing to end on Flowerbase. */
  closeSession: () => Promise<void>;
}

/**
 * `extraReserve`: closing operations beyond the ones every run needs (a progress count);
 * `firstStep`: the most operations the run's first step may need, so a budget too small for even
 * one step is a configuration error rather than a run that never progresses.
 */
export async function scheduledRun<T>(
  fn: string,
  platform: PlatformConfig,
  plan: { extraReserve: number; firstStep: number },
  work: (run: ScheduledRun) => Promise<T>,
): Promise<T> {
  const config: SharedConfig = platform.config;
  const fixed = FIXED_OPERATIONS[platform.platform];
  const budget = operationBudget({
    operations: config.scheduledRunOperationBudget,
    seconds: config.scheduledRunBudgetSeconds,
    reserve: fixed.close + plan.extraReserve,
    http: context.http,
    services: context.services,
  });
  const needed = fixed.start + plan.firstStep + fixed.close + plan.extraReserve;
  if (!budget.claim(fixed.start) || needed > config.scheduledRunOperationBudget) {
    throw new ConfigError(`${fn}: the value "scheduledRunOperationBudget" (${config.scheduledRunOperationBudget}) is too small for this run's cleanup plan: it needs at least ${needed} operations.`);
  }
  const state = jobState(config, fn, budget.services);
  if (platform.platform === "flowerbase") {
    const store = openFlowerbaseStore(platform, budget.services);
    const resumedAfter = await state.load();
    return work({ budget, users: { platform: "flowerbase", store }, state, resumedAfter, verifyStore: () => store.verify(), closeSession: () => Promise.resolve() });
  }
  // Reading the resume point is harmless, so it overlaps the login.
  const loading = state.load();
  loading.catch(() => undefined); // handled when awaited inside
  return withAdminApi(fn, budget.http, platform.config.adminApi, async (client, closeSession) =>
    work({ budget, users: { platform: "appservices", client }, state, resumedAfter: await loading, verifyStore: () => client.assertAppExists(), closeSession }),
  );
}

/** Where a run's work stopped, for finishRun. */
export interface RunStop {
  /** The work reached the end of what there was to do. */
  finished: boolean;
  /** The work threw (the run still saves and reports, then rethrows). */
  failed: boolean;
  /** Everything up to here is done: the next run resumes after it. */
  settled: string | undefined;
}

/**
 * How every scheduled run ends: its session closed, where the next run resumes saved (nowhere once
 * complete) and, when the run stopped short, what is left. `countLeft` runs beside the save (it
 * may spend reserve operations) and gives undefined when it cannot tell; `donePerRun` is this
 * run's progress, for the estimate of the runs still needed.
 */
export async function finishRun(
  run: ScheduledRun,
  stop: RunStop,
  countLeft: (resumeAfter: string | undefined) => Promise<number | undefined> | number | undefined,
  donePerRun: number,
): Promise<ScheduledRunOutcome> {
  const complete = stop.finished && !stop.failed;
  const resumeAfter = complete ? undefined : stop.settled;
  // The logout and the save come out of the reserve, and travel together.
  void run.closeSession();
  const counting = complete ? Promise.resolve(undefined) : Promise.resolve(countLeft(resumeAfter));
  await run.state.save(resumeAfter);
  const remaining = await counting;
  const outcome: ScheduledRunOutcome = { complete, resumedAfter: run.resumedAfter ?? null, resumeAfter: resumeAfter ?? null, operations: run.budget.used() };
  if (remaining !== undefined) {
    outcome.remaining = remaining;
    outcome.runsToFinish = runsToFinish(remaining, donePerRun);
  }
  return outcome;
}
