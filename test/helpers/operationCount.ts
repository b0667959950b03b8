/**
 * Counts the async operations a function issues, from the emulator's side and independently of the
 * bundle's own counter: every Admin API request and every data-service call asks the FaultPlan for
 * a fault once (emulator/faults.ts), so a rule that never fires but counts each question sees them
 * all. It is armed first, so rules injected later are still consulted after it. The bench counts
 * with it too (bench/harness.ts), so it imports nothing from jest.
 */
import type { FaultPlan } from "../../emulator/faults";

export interface OperationCounter {
  /** Operations since the last reset. */
  count(): number;
  /** How many of them went to each target (an Admin API operation id or "data:<method>:<namespace>"). */
  byTarget(): Record<string, number>;
  /** Admin API requests (targets that are operation ids), of one operation if given. */
  adminCalls(operationId?: string): number;
  /** Data-service calls. */
  dataCalls(): number;
  reset(): void;
}

/** Every operation the plan is asked about from now on, in order (targets as in OperationCounter.byTarget), failing none. */
export function recordOperations(faults: FaultPlan): string[] {
  const seen: string[] = [];
  faults.inject({ match: (target) => (seen.push(target), false), kind: "drop", times: Infinity });
  return seen;
}

export function countOperations(faults: FaultPlan): OperationCounter {
  const seen = recordOperations(faults);
  return {
    count: () => seen.length,
    byTarget: () => {
      const targets: Record<string, number> = {};
      for (const target of seen) targets[target] = (targets[target] ?? 0) + 1;
      return targets;
    },
    adminCalls: (operationId) => seen.filter((t) => !t.startsWith("data:") && (operationId === undefined || t === operationId)).length,
    dataCalls: () => seen.filter((t) => t.startsWith("data:")).length,
    reset: () => {
      seen.length = 0;
    },
  };
}
