/**
 * Bounded-concurrency work for the scheduled functions, within a budget (lib/operationBudget.ts:
 * operations and time) that stops them well inside App Services' limits. There is no setTimeout in
 * the runtime: the budget is checked between items, never by a timer.
 */

export interface Budget {
  /** True once the budget is spent: start no new work. */
  spent(): boolean;
}

/**
 * Runs `work` on `items` in order, up to `concurrency` at once, while `mayStart` lets the next one
 * start (it claims that item's operation from the budget). Failures are collected and never abort
 * the rest. Returns how many items were started, and the failures.
 */
export async function runPool<T>(
  items: T[],
  work: (item: T) => Promise<void>,
  options: { concurrency: number; mayStart: () => boolean },
): Promise<{ started: number; failures: Array<{ item: T; error: unknown }> }> {
  const failures: Array<{ item: T; error: unknown }> = [];
  let started = 0;
  const worker = async (): Promise<void> => {
    while (started < items.length && options.mayStart()) {
      const item = items[started++];
      try {
        await work(item);
      } catch (error) {
        failures.push({ item, error });
      }
    }
  };
  const workers: Array<Promise<void>> = [];
  for (let i = 0; i < options.concurrency; i++) workers.push(worker());
  await Promise.all(workers);
  return { started, failures };
}
