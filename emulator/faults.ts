/**
 * Injected latency and failures, so tests and benchmarks can make the emulator's Admin API and
 * data service slow or broken on cue. Every emulator service consults the same FaultPlan.
 */

/** Where a fault can strike: an Admin API operation id (from the OpenAPI spec, e.g. "adminDeleteUser")
 * or a data-service call ("data:<method>:<db>.<collection>", e.g. "data:deleteMany:app.posts"). */
export type FaultTarget = string;

/** `status500` answers with HTTP 500 (Admin API) or rejects with a server error (data service);
 * `drop` destroys the connection without an answer (Admin API) or rejects as a network error (data service);
 * `outOfOrder` answers an Admin API user list page (adminListUsers) in descending id order, for tests
 * of a caller's order check (other targets ignore it). */
export type FaultKind = "status500" | "drop" | "outOfOrder";

/** What a call that only succeeds or fails (any data call, most Admin API operations) can apply. */
export const FAILURE_FAULTS: readonly FaultKind[] = ["status500", "drop"];

export interface FaultRule {
  /** Exact target, or a predicate over it. */
  match: FaultTarget | ((target: FaultTarget) => boolean);
  kind: FaultKind;
  /** How many matching calls fail before the rule is spent; default 1. */
  times?: number;
}

export class FaultPlan {
  /** Added before every Admin API request and every data-service call, in milliseconds. */
  latencyMs = 0;
  private rules: Array<FaultRule & { remaining: number }> = [];

  /** Arms a fault; returns this for chaining. */
  inject(rule: FaultRule): this {
    this.rules.push({ ...rule, remaining: rule.times ?? 1 });
    return this;
  }

  clear(): void {
    this.rules = [];
  }

  /**
   * Called by a service for each call: the fault to apply now, if any (and counts it as spent).
   * `applicable` is what the caller can do for this target: a rule of another kind (a catch-all
   * predicate's outOfOrder reaching a data call) is left armed instead of being spent doing nothing.
   */
  take(target: FaultTarget, applicable: readonly FaultKind[]): FaultKind | undefined {
    const rule = this.rules.find(
      (r) => r.remaining > 0 && applicable.includes(r.kind) && (typeof r.match === "string" ? r.match === target : r.match(target)),
    );
    if (!rule) return undefined;
    rule.remaining -= 1;
    return rule.kind;
  }

  async delay(): Promise<void> {
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
  }
}
