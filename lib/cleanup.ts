/**
 * Applies the cleanup plan to the documents of a set of departing owners (one user, or the sweep's
 * batch of orphans). Each rule sends a fixed handful of idempotent
 * writes (cleanupOperations.ts), all at once, however many documents match, so a retry finishes what
 * a failure left.
 */
import { cleanupOperations, type CleanupOperation } from "./cleanupOperations";
import { describeRule, type CleanupRule } from "./cleanupPlan";
import { DataCleanupError, messageOf } from "./errors";
import { ZERO_ID } from "./ids";
import { logs } from "./logs";

export interface RuleOutcome {
  rule: string;
  action: CleanupRule["action"];
  /** Documents the user owned alone: deleted or anonymized, as the rule's action says. */
  documents: number;
  /** Documents shared with other owners: the user's id or own entry removed, the rest left as it was. */
  detached: number;
}

export type DataSource = { db(name: string): { collection(name: string): AppServicesCollection } };

/** How many data operations applyPlan sends for any set of owners: what a scheduled run budgets for it. */
export function planOperationCount(rules: CleanupRule[]): number {
  let count = 0;
  for (const rule of rules) count += cleanupOperations(rule, [ZERO_ID]).length;
  return count;
}

export async function applyRule(data: DataSource, rule: CleanupRule, ownerIds: string[]): Promise<RuleOutcome> {
  const collection = data.db(rule.database).collection(rule.collection);
  const operations = cleanupOperations(rule, ownerIds);
  const counts = await Promise.all(operations.map((operation) => send(collection, operation)));
  const outcome: RuleOutcome = { rule: describeRule(rule), action: rule.action, documents: 0, detached: 0 };
  operations.forEach((operation, i) => {
    outcome[operation.counts] += counts[i];
  });
  return outcome;
}

async function send(collection: AppServicesCollection, operation: CleanupOperation): Promise<number> {
  if (operation.kind === "deleteMany") return (await collection.deleteMany(operation.filter)).deletedCount;
  const options = operation.arrayFilters ? { arrayFilters: operation.arrayFilters } : undefined;
  return (await collection.updateMany(operation.filter, operation.update as object, options)).modifiedCount;
}

/**
 * Runs every rule concurrently. One failing rule does not stop the others; afterwards, any
 * failure is thrown as one DataCleanupError naming each failed rule.
 */
export async function applyPlan(fn: string, pass: string, data: DataSource, rules: CleanupRule[], ownerIds: string[]): Promise<RuleOutcome[]> {
  const settled = await settleAll(rules.map((rule) => applyRule(data, rule, ownerIds)));
  const outcomes: RuleOutcome[] = [];
  const failures: string[] = [];
  settled.forEach((result, i) => {
    const rule = rules[i];
    if (result.status === "fulfilled") {
      outcomes.push(result.value);
      logs.cleanupRuleDone(fn, pass, result.value);
    } else {
      failures.push(`${describeRule(rule)}: ${messageOf(result.reason)}`);
    }
  });
  if (failures.length > 0) {
    throw new DataCleanupError(`Cleanup (${pass} pass) failed for ${failures.length} of ${rules.length} rule(s): ${failures.join("; ")}.`);
  }
  return outcomes;
}

type Settled<T> = { status: "fulfilled"; value: T } | { status: "rejected"; reason: unknown };

/** Promise.allSettled, which is ES2020: the runtime's support for it is not documented. */
function settleAll<T>(promises: Array<Promise<T>>): Promise<Array<Settled<T>>> {
  return Promise.all(
    promises.map((p) => p.then((value): Settled<T> => ({ status: "fulfilled", value }), (reason: unknown): Settled<T> => ({ status: "rejected", reason }))),
  );
}
