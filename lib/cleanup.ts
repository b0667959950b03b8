/**
 * Applies the cleanup plan to one owner's documents. Each rule is a single idempotent write
 * (deleteMany or updateMany matching only the owner field), so a retry finishes what a failure left.
 */
import { isObjectIdHex } from "./ids";
import { describeRule, type CleanupRule } from "./cleanupPlan";
import { DataCleanupError, messageOf } from "./errors";
import { logs } from "./logs";

export interface RuleOutcome {
  rule: string;
  action: CleanupRule["action"];
  documents: number;
}

type DataSource = { db(name: string): { collection(name: string): AppServicesCollection } };

/** Matches the owner id stored either as a string or as an ObjectId, and nothing else. */
export function ownerFilter(rule: CleanupRule, ownerId: string): Record<string, unknown> {
  const forms: unknown[] = [ownerId];
  if (isObjectIdHex(ownerId)) forms.push(new BSON.ObjectId(ownerId));
  return { [rule.ownerField]: { $in: forms } };
}

export async function applyRule(data: DataSource, rule: CleanupRule, ownerId: string): Promise<number> {
  const collection = data.db(rule.database).collection(rule.collection);
  const filter = ownerFilter(rule, ownerId);
  if (rule.action === "delete") return (await collection.deleteMany(filter)).deletedCount;
  const unset: Record<string, ""> = {};
  for (const field of rule.unset) unset[field] = "";
  if (!(rule.ownerField in rule.set)) unset[rule.ownerField] = "";
  const update: Record<string, unknown> = { $unset: unset };
  if (Object.keys(rule.set).length > 0) update.$set = rule.set;
  return (await collection.updateMany(filter, update)).modifiedCount;
}

/**
 * Runs every rule concurrently. One failing rule does not stop the others; afterwards, any
 * failure is thrown as one DataCleanupError naming each failed rule.
 */
export async function applyPlan(fn: string, pass: string, data: DataSource, rules: CleanupRule[], ownerId: string): Promise<RuleOutcome[]> {
  const settled = await settleAll(rules.map((rule) => applyRule(data, rule, ownerId)));
  const outcomes: RuleOutcome[] = [];
  const failures: string[] = [];
  settled.forEach((result, i) => {
    const rule = rules[i];
    if (result.status === "fulfilled") {
      outcomes.push({ rule: describeRule(rule), action: rule.action, documents: result.value });
      logs.cleanupRuleDone(fn, pass, describeRule(rule), rule.action, result.value);
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
