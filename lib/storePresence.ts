/**
 * Owner presence on Flowerbase: an owner exists if and only if its id is in the user collection.
 * One `$in` query (ScanningUserStore.existingUserIds) answers a whole batch: the owners already in
 * memory from the one asked about on. Every owner in a batch was read from the data before the
 * query was sent, and the answer is exact per id, so a user who signs up meanwhile is never judged
 * by it. Only the latest batch's answers are kept: memory stays at one batch.
 */
import type { OperationBudget } from "./operationBudget";
import type { OwnerPresence } from "./ownerPresence";
import type { ScanningUserStore } from "./userStore";

/** Owners per `$in` lookup: one operation settles this many. */
export const LOOKUP_BATCH_SIZE = 1000;

export function storePresence(store: ScanningUserStore, budget: OperationBudget): OwnerPresence {
  let answers: { [id: string]: boolean } = {};
  let lookups = 0;

  async function lookUp(batch: string[]): Promise<void> {
    lookups += 1;
    const found = await store.existingUserIds(batch);
    answers = {};
    for (const id of batch) answers[id] = false;
    for (const id of found) answers[id] = true;
  }

  return {
    stats: () => ({ userLookups: lookups }),
    describe: () => `${lookups} user lookup(s)`,
    async check(owner) {
      if (!Object.prototype.hasOwnProperty.call(answers, owner.id)) {
        if (!budget.claim(1)) return "outOfBudget";
        const batch = owner.upcoming(LOOKUP_BATCH_SIZE);
        if (batch.indexOf(owner.id) < 0) batch.unshift(owner.id);
        await lookUp(batch);
      }
      return answers[owner.id] ? "live" : "gone";
    },
  };
}
