/**
 * What both scheduled functions start with: the run's operation and time budget, the fixed
 * operations of the start claimed (Admin API login, reading the resume point, the app check), the
 * resume point read while logging in, and the Admin API session closed at the end.
 */
import { withAdminApi, type AdminApiClient } from "./adminApi";
import type { BundleConfig } from "./config";
import { ConfigError } from "./errors";
import { jobState, type JobState } from "./jobState";
import { operationBudget, type OperationBudget } from "./operationBudget";

/** Login, resume point, app check. */
const START_OPERATIONS = 3;
/** Saving the resume point, closing the Admin API session. */
const CLOSE_OPERATIONS = 2;

export interface ScheduledRun {
  budget: OperationBudget;
  client: AdminApiClient;
  state: JobState;
  resumedAfter: string | undefined;
  closeSession: () => Promise<void>;
}

/**
 * `extraReserve`: closing operations beyond the two every run needs (a progress count);
 * `firstStep`: the most operations the run's first step may need, so a budget too small for even
 * one step is a configuration error rather than a run that never progresses.
 */
export async function scheduledRun<T>(
  fn: string,
  config: BundleConfig,
  plan: { extraReserve: number; firstStep: number },
  work: (run: ScheduledRun) => Promise<T>,
): Promise<T> {
  const budget = operationBudget({
    operations: config.scheduledRunOperationBudget,
    seconds: config.scheduledRunBudgetSeconds,
    reserve: CLOSE_OPERATIONS + plan.extraReserve,
    http: context.http,
    services: context.services,
  });
  const needed = START_OPERATIONS + plan.firstStep + CLOSE_OPERATIONS + plan.extraReserve;
  if (!budget.claim(START_OPERATIONS) || needed > config.scheduledRunOperationBudget) {
    throw new ConfigError(`${fn}: the value "scheduledRunOperationBudget" (${config.scheduledRunOperationBudget}) is too small for this run's cleanup plan: it needs at least ${needed} operations.`);
  }
  const state = jobState(config, fn, budget.services);
  // Reading the resume point is harmless, so it overlaps the login.
  const loading = state.load();
  loading.catch(() => undefined); // handled when awaited inside
  return withAdminApi(fn, budget.http, config.adminApi, async (client, closeSession) => work({ budget, client, state, resumedAfter: await loading, closeSession }));
}
