/**
 * purgePendingUsers over hundreds of expired registrations with a small operation budget (issue 11):
 * each run spends its whole budget on deletes, then the next resumes; no run issues more operations
 * than its budget (counted by the emulator, independently of the bundle, and the two agree); a run
 * that falls behind estimates what remains; only expired registrations go.
 */
import { ManualClock } from "../../emulator/accounts/clock";
import { runFunction, startBuiltApp, SYSTEM_USER, type Harness } from "../helpers/builtApp";
import { countOperations, type OperationCounter } from "../helpers/operationCount";

const DAY = 24 * 60 * 60 * 1000;
const MINUTE = 60 * 1000;
const BUDGET = 120;
const EXPIRED = 500;
const FRESH = 60;

interface PurgeResult {
  scanned: number;
  deleted: number;
  complete: boolean;
  operations: number;
  remaining?: number;
  runsToFinish?: number;
}

describe("purgePendingUsers within its operation budget", () => {
  jest.setTimeout(120_000);
  let h: Harness;
  let counter: OperationCounter;

  beforeAll(async () => {
    // Expired registrations a minute apart, up to 10 minutes before the 7-day cutoff; fresh ones today.
    const clock = new ManualClock(Date.now() - 7 * DAY - (EXPIRED + 10) * MINUTE);
    h = await startBuiltApp({ requireEmailConfirmation: true, clock, valueOverrides: { scheduledRunOperationBudget: BUDGET } });
    counter = countOperations(h.emulator.faults);
    for (let i = 0; i < EXPIRED; i++) {
      await h.emulator.state.register(`old${i}@example.com`, "password-123", true);
      clock.advance(MINUTE);
    }
    clock.advance(7 * DAY + 10 * MINUTE);
    for (let i = 0; i < FRESH; i++) await h.emulator.state.register(`new${i}@example.com`, "password-123", true);
  });
  afterAll(() => h.emulator.close());

  it("deletes as many as each run's budget allows, resumes, and keeps every registration that has not expired", async () => {
    const runs: PurgeResult[] = [];
    let before = h.emulator.state.pendingCount();
    for (let i = 0; i < 20 && !runs.some((r) => r.complete); i++) {
      counter.reset();
      const { result, error } = await runFunction(h.emulator, "purgePendingUsers", SYSTEM_USER, [], "system");
      expect(error).toBeUndefined();
      const run = result as PurgeResult;
      expect(counter.count()).toBe(run.operations);
      expect(run.operations).toBeLessThanOrEqual(BUDGET);
      const after = h.emulator.state.pendingCount();
      expect(before - after).toBe(run.deleted);
      before = after;
      runs.push(run);
    }
    expect(runs.length).toBeGreaterThanOrEqual(4);
    const [first, ...rest] = runs;
    for (const run of [first, ...rest.slice(0, -1)]) {
      // The whole budget, and all of it but the page reads and the fixed five (login, resume point,
      // app check; save, logout) on deletes.
      expect(run).toMatchObject({ complete: false, operations: BUDGET });
      expect(run.deleted).toBeGreaterThanOrEqual(BUDGET - 5 - Math.ceil(run.deleted / 50) - 1);
    }
    // Falling behind is said, with an estimate close to the truth: it assumes registrations came at
    // the pace this run saw until the cutoff, as they did here (a minute apart).
    const actuallyLeft = EXPIRED - first.deleted;
    expect(first.remaining).toBeGreaterThanOrEqual(actuallyLeft * 0.8);
    expect(first.remaining).toBeLessThanOrEqual(actuallyLeft * 1.2);
    expect(first.runsToFinish).toBe(Math.ceil((first.remaining as number) / first.deleted));
    expect(h.lines.some((l) => /\[purgePendingUsers\] behind: about \d+ expired registration\(s\) remain, about \d+ more run\(s\) at this run's pace/.test(l))).toBe(true);

    expect(runs.reduce((n, r) => n + r.deleted, 0)).toBe(EXPIRED);
    const left = h.emulator.state.listPending({ limit: 1000 }).map((p) => p.email);
    expect(left.sort()).toEqual(Array.from({ length: FRESH }, (_, i) => `new${i}@example.com`).sort());
  });

  it("ends a pass at the first registration that has not expired, without reading the pages after it", async () => {
    counter.reset();
    const { result } = await runFunction(h.emulator, "purgePendingUsers", SYSTEM_USER, [], "system");
    expect(result).toMatchObject({ complete: true, deleted: 0, scanned: 50 });
    expect(counter.byTarget().adminListPendingUsers).toBe(1);
  });
});
