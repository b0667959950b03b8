/**
 * sweepOrphanedUserData over a few thousand users, with a small operation budget so one sweep takes
 * several runs (issue 11): every orphan is cleaned, in batches, with the shared-document semantics;
 * no live user's document changes; no run issues more operations than its budget (counted by the
 * emulator, independently of the bundle's own count, and the two agree); an out-of-order user list
 * page falls back to one-by-one checks; users deleted or added between runs lose nothing.
 */
import { LIMITS } from "../../emulator/runtime/rules";
import { decodeResult } from "../../emulator/runtime/values";
import { startBuiltApp, SYSTEM_USER, type Harness, runFunction } from "../helpers/builtApp";
import { DEFAULT_OPERATION_BUDGET } from "../../lib/config";
import type { OperationCounter } from "../helpers/operationCount";
import * as fixtures from "../helpers/orphanFixtures";
import { PLAN, addDocuments, expectAllCleaned, expectUnchanged, mentions, untouchedBy, type Population, type SweepResult } from "../helpers/orphanFixtures";

const sweepOnce = (h: Harness, counter: OperationCounter, budget: number): Promise<SweepResult> => fixtures.sweepOnce(h, counter, budget, SYSTEM_USER);
const sweepToEnd = (h: Harness, counter: OperationCounter, budget: number, maxRuns = 30): Promise<SweepResult[]> => fixtures.sweepToEnd(h, counter, budget, SYSTEM_USER, maxRuns);

/** Anonymous users (no password hashing), deleted through the emulator's own state. */
const anonymousUsers = (h: Harness): fixtures.UserMaker => ({
  create: async (count) => Array.from({ length: count }, () => h.emulator.state.createAnonymousUser().id),
  remove: async (ids) => ids.forEach((id) => h.emulator.state.deleteUser(id)),
});

describe("sweepOrphanedUserData at scale, within its operation budget", () => {
  const BUDGET = 30;
  let h: Harness;
  let counter: OperationCounter;
  let population: Population;

  beforeAll(async () => {
    h = await startBuiltApp({ valueOverrides: { userDataCleanup: PLAN, scheduledRunOperationBudget: BUDGET } });
    ({ counter, population } = await fixtures.setUpSweep(h, anonymousUsers(h), { live: 2000, orphans: 200, groups: true }));
  });
  afterAll(() => h.emulator.close());

  jest.setTimeout(120_000);

  it("finishes one sweep across several runs, cleaning every orphan in batches and no live user's document", async () => {
    const liveBefore = untouchedBy(h, new Set(population.orphans));
    const groups = h.emulator.store.documents("app", "groups");
    const runs = await sweepToEnd(h, counter, BUDGET);

    expect(runs.length).toBeGreaterThanOrEqual(3);
    expect(runs.reduce((n, r) => n + r.checked, 0)).toBe(2200);
    expect(runs.reduce((n, r) => n + r.orphans, 0)).toBe(200);
    // The list settles many owners a request; no owner needed a request of its own.
    for (const r of runs) expect(r.userChecks).toBe(0);
    expect(runs.reduce((n, r) => n + (r.listRequests as number), 0)).toBeLessThanOrEqual(Math.ceil(2200 / 50) + runs.length * 3);
    // A run cut short says how far behind it is.
    for (const r of runs.slice(0, -1)) {
      expect(r.complete).toBe(false);
      expect(r.remaining).toBeGreaterThan(0);
      expect(r.runsToFinish).toBeGreaterThanOrEqual(1);
    }
    expect(h.lines.some((l) => /\[sweepOrphanedUserData\] behind: at least \d+ owner\(s\) remain, about \d+ more run\(s\) at this run's pace/.test(l))).toBe(true);

    expectAllCleaned(h, population.orphans);
    expectUnchanged(h, liveBefore);
    // Batches keep the shared-document semantics: two orphans' group goes, an orphan is only detached from a live user's.
    fixtures.expectGroupsSettled(h, groups.filter((g) => g.kind === "shared").length);
    // Anonymized, not deleted.
    const anonymized = h.emulator.store.documents("app", "messages").filter((m) => m.text === "t" && !(m.meta as { sender?: unknown }).sender && !m.senderName);
    expect(anonymized).toHaveLength(200);
  });

  it("starts over after a complete sweep and, with nothing orphaned, changes nothing", async () => {
    await fixtures.expectNextSweepStartsOverAndChangesNothing(h, counter, BUDGET, SYSTEM_USER, population.live.length);
  });
});

describe("sweepOrphanedUserData when the user list answers a page out of id order", () => {
  let h: Harness;
  let counter: OperationCounter;
  let population: Population;

  beforeAll(async () => {
    h = await startBuiltApp({ valueOverrides: { userDataCleanup: PLAN } });
    ({ counter, population } = await fixtures.setUpSweep(h, anonymousUsers(h), { live: 500, orphans: 100, groups: true }));
  });
  afterAll(() => h.emulator.close());

  it("checks that page's owners one by one, logs it, and still cleans exactly the orphans", async () => {
    const liveBefore = untouchedBy(h, new Set(population.orphans));
    h.emulator.faults.inject({ match: "adminListUsers", kind: "outOfOrder", times: 1 });
    const [run] = await sweepToEnd(h, counter, DEFAULT_OPERATION_BUDGET, 1);
    expect(run).toMatchObject({ complete: true, checked: 600, orphans: 100, outOfOrderPages: 1 });
    // Only the reversed page's range went one by one: at most its 50 users and the orphans among them.
    expect(run.userChecks).toBeGreaterThan(0);
    expect(run.userChecks).toBeLessThanOrEqual(50 + 100);
    expect(counter.byTarget().adminGetUser).toBe(run.userChecks);
    expect(h.lines.some((l) => /\[sweepOrphanedUserData\] the Admin API user list answered a page out of id order .*checked one by one/.test(l))).toBe(true);
    expectAllCleaned(h, population.orphans);
    expectUnchanged(h, liveBefore);
  });
});

describe("sweepOrphanedUserData when users come and go between runs", () => {
  const BUDGET = 30;
  let h: Harness;
  let counter: OperationCounter;
  let population: Population;

  beforeAll(async () => {
    h = await startBuiltApp({ valueOverrides: { userDataCleanup: PLAN, scheduledRunOperationBudget: BUDGET } });
    ({ counter, population } = await fixtures.setUpSweep(h, anonymousUsers(h), { live: 1200, orphans: 120 }));
  });
  afterAll(() => h.emulator.close());

  jest.setTimeout(120_000);

  it("cleans users deleted mid-sweep (ahead of it in this sweep, behind it in the next) and never a new or live user's data", async () => {
    const first = await sweepOnce(h, counter, BUDGET);
    expect(first.complete).toBe(false);
    const resume = first.resumeAfter as string;
    expect(resume).toMatch(/^[0-9a-f]{24}$/);

    // Between runs: live users deleted on both sides of the resume point, and new users with documents.
    const behind = population.live.filter((id) => id <= resume).slice(0, 20);
    const ahead = population.live.filter((id) => id > resume).slice(0, 20);
    for (const id of [...behind, ...ahead]) h.emulator.state.deleteUser(id);
    const newcomers: string[] = [];
    for (let i = 0; i < 40; i++) newcomers.push(h.emulator.state.createAnonymousUser().id);
    addDocuments(h, newcomers);
    const gone = new Set([...population.orphans, ...behind, ...ahead]);
    const liveBefore = untouchedBy(h, gone);

    await sweepToEnd(h, counter, BUDGET);
    // This sweep: every orphan ahead of it; those it had passed stay for the next sweep.
    expectAllCleaned(h, [...population.orphans, ...ahead]);
    expect(h.emulator.store.documents("app", "posts").filter((d) => mentions(d, new Set(behind)))).toHaveLength(behind.length);

    await sweepToEnd(h, counter, BUDGET);
    expectAllCleaned(h, [...gone]);
    expectUnchanged(h, liveBefore);
    for (const id of newcomers) expect(h.emulator.store.documents("app", "posts").filter((d) => String(d.owner_id).toLowerCase() === id)).toHaveLength(1);
  });
});

describe("sweepOrphanedUserData when a batch cleanup fails", () => {
  let h: Harness;
  let counter: OperationCounter;
  let population: Population;

  beforeAll(async () => {
    h = await startBuiltApp({ valueOverrides: { userDataCleanup: PLAN } });
    ({ counter, population } = await fixtures.setUpSweep(h, anonymousUsers(h), { live: 400, orphans: 250 }));
  });
  afterAll(() => h.emulator.close());

  it("saves the point before the failed batch, fails the run naming the rule, and the next run finishes the job", async () => {
    const liveBefore = untouchedBy(h, new Set(population.orphans));
    // The second batch's delete in posts fails once: the first batch (100 orphans) is done by then.
    let deletes = 0;
    h.emulator.faults.inject({ match: (t) => t === "data:deleteMany:app.posts" && ++deletes === 2, kind: "status500" });
    counter.reset();
    const failed = await runFunction(h.emulator, "sweepOrphanedUserData", SYSTEM_USER, [], "system");
    expect(failed.error?.message).toMatch(/Cleanup \(sweep pass\) failed for 1 of 3 rule\(s\): app\.posts by owner_id: .*injected server error/);
    expect(counter.count()).toBeLessThanOrEqual(DEFAULT_OPERATION_BUDGET);
    const state = h.emulator.store.documents("accountDeletion", "jobState").find((d) => d._id === "sweepOrphanedUserData");
    const saved = state?.resumeAfter as string;
    // Saved after the first batch's last orphan's range, before the second batch's first orphan.
    const sorted = [...population.orphans].sort();
    expect(saved >= sorted[99] && saved < sorted[100]).toBe(true);

    const runs = await sweepToEnd(h, counter, DEFAULT_OPERATION_BUDGET);
    expect(runs).toHaveLength(1);
    expectAllCleaned(h, population.orphans);
    expectUnchanged(h, liveBefore);
  });
});

describe("sweepOrphanedUserData's memory (issue 11: the function's peak memory)", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startBuiltApp({ valueOverrides: { userDataCleanup: PLAN } });
    await fixtures.seed(h, anonymousUsers(h), 2000, 200);
  });
  afterAll(() => h.emulator.close());

  it("keeps its worker's peak heap, as each execution reports it, under the platform's memory limit", async () => {
    const execution = await h.emulator.runtime.run("sweepOrphanedUserData", [], SYSTEM_USER, "system");
    expect((decodeResult(execution.ejson) as SweepResult).orphans).toBe(200);
    expect(execution.heapPeakBytes).toBeGreaterThan(0);
    expect(execution.heapPeakBytes).toBeLessThan(LIMITS.memoryBytes);
  });
});
