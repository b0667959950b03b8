/**
 * Counts the async operations a function issues, from the emulator's side and independently of the
 * bundle's own counter: every Admin API request and every data-service call asks the FaultPlan for
 * a fault once (emulator/faults.ts), so a rule that never fires but counts each question sees them
 * all. It is armed first, so rules injected later are still consulted after it.
 */
import type { FaultPlan } from "../../emulator/faults";

export interface OperationCounter {
  /** Operations since the last reset. */
  count(): number;
  /** How many of them went to each target (an Admin API operation id or "data:<method>:<namespace>"). */
  byTarget(): Record<string, number>;
  reset(): void;
}

export function countOperations(faults: FaultPlan): OperationCounter {
  let targets: Record<string, number> = {};
  faults.inject({
    match: (target) => {
      targets[target] = (targets[target] ?? 0) + 1;
      return false;
    },
    kind: "drop",
    times: Infinity,
  });
  return {
    count: () => Object.values(targets).reduce((sum, n) => sum + n, 0),
    byTarget: () => ({ ...targets }),
    reset: () => {
      targets = {};
    },
  };
}
