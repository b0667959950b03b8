/**
 * Bounded-concurrency work for the scheduled functions, within a budget (lib/operationBudget.ts:
 * operations and time) that stops them well inside App Services' limits. There is no setTimeout in
 * the runtime: the budget is checked between items, never by a timer.
 */

export interface Budget {
  /** True once the budget is spent: start no new work. */
  spent(): boolean;
}

/** A `next` for runPool over a list already in hand. */
export function listSource<T>(items: T[]): () => Promise<T | undefined> {
  let i = 0;
  return async () => items[i++];
}

/**
 * Pulls items from `next` (which may fetch pages) and runs `work` on up to `concurrency` at once,
 * until the source is exhausted or the budget is spent. Failures are collected, never abort the rest.
 */
export async function runPool<T>(
  next: () => Promise<T | undefined>,
  work: (item: T) => Promise<void>,
  options: { concurrency: number; budget: Budget },
): Promise<{ failures: Array<{ item: T; error: unknown }>; exhausted: boolean }> {
  const failures: Array<{ item: T; error: unknown }> = [];
  let exhausted = false;
  // One shared pull chain: workers take items in order, and a page fetch is never done twice.
  let pulling: Promise<T | undefined> = Promise.resolve(undefined);
  const pull = (): Promise<T | undefined> => {
    pulling = pulling.then(() => (exhausted || options.budget.spent() ? undefined : next())).then((item) => {
      if (item === undefined && !options.budget.spent()) exhausted = true;
      return item;
    });
    return pulling;
  };
  const worker = async (): Promise<void> => {
    for (let item = await pull(); item !== undefined; item = await pull()) {
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
  return { failures, exhausted };
}
