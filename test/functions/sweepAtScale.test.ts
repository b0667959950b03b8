/**
 * sweepOrphanedUserData over a few thousand users, with a small operation budget so one sweep takes
 * several runs (issue 11): every orphan is cleaned, in batches, with the shared-document semantics;
 * no live user's document changes; no run issues more operations than its budget (counted by the
 * emulator, independently of the bundle's own count, and the two agree); an out-of-order user list
 * page falls back to one-by-one checks; users deleted or added between runs lose nothing.
 */
import { EJSON, ObjectId } from "bson";
import { callFunction, startBuiltApp, SYSTEM_USER, type Harness } from "../helpers/builtApp";
import { countOperations, type OperationCounter } from "../helpers/operationCount";

const PLAN = [
  { database: "app", collection: "posts", ownerField: "owner_id", action: "delete" },
  { database: "app", collection: "messages", ownerField: "meta.sender", action: "anonymize", unset: ["senderName"] },
  { database: "app", collection: "groups", ownerField: "members", action: "delete" },
];
const COLLECTIONS = ["posts", "messages", "groups"];

interface SweepResult {
  checked: number;
  orphans: number;
  complete: boolean;
  operations: number;
  listRequests: number;
  userChecks: number;
  outOfOrderPages: number;
  resumeAfter: string | null;
  remaining?: number;
  runsToFinish?: number;
}

async function sweepOnce(h: Harness, counter: OperationCounter, budget: number): Promise<SweepResult> {
  counter.reset();
  const { result, error } = await callFunction(h.emulator, "sweepOrphanedUserData", SYSTEM_USER, [], "system");
  expect(error).toBeUndefined();
  const run = result as SweepResult;
  // The emulator saw exactly what the bundle counted, and never more than the budget.
  expect(counter.count()).toBe(run.operations);
  expect(run.operations).toBeLessThanOrEqual(budget);
  return run;
}

/** Runs until a sweep completes; returns every run's result. */
async function sweepToEnd(h: Harness, counter: OperationCounter, budget: number, maxRuns = 30): Promise<SweepResult[]> {
  const runs: SweepResult[] = [];
  for (let i = 0; i < maxRuns; i++) {
    runs.push(await sweepOnce(h, counter, budget));
    if (runs[runs.length - 1].complete) return runs;
  }
  throw new Error(`no complete sweep in ${maxRuns} runs`);
}

interface Population {
  live: string[];
  orphans: string[];
}

/**
 * Users (anonymous: no password hashing) with a post, a message and group memberships each; the
 * orphans' accounts are then deleted behind the bundle's back. Ids are stored as strings and as
 * ObjectIds alternately. Groups: two orphans together, an orphan with a live user, two live users.
 */
function seed(h: Harness, liveCount: number, orphanCount: number): Population {
  const state = h.emulator.state;
  const all: string[] = [];
  for (let i = 0; i < liveCount + orphanCount; i++) all.push(state.createAnonymousUser().id);
  // Orphans spread through the id range, not bunched at one end.
  const step = Math.floor((liveCount + orphanCount) / orphanCount);
  const orphans = all.filter((_, i) => i % step === 0).slice(0, orphanCount);
  const orphanSet = new Set(orphans);
  const live = all.filter((id) => !orphanSet.has(id));
  addDocuments(h, all);
  for (const id of orphans) state.deleteUser(id);
  return { live, orphans };
}

function addDocuments(h: Harness, owners: string[]): void {
  const store = h.emulator.store;
  const form = (id: string, i: number) => (i % 2 === 0 ? id : new ObjectId(id));
  store.insertMany("app", "posts", owners.map((id, i) => ({ owner_id: form(id, i), title: `post ${i}` })));
  store.insertMany("app", "messages", owners.map((id, i) => ({ meta: { sender: form(id, i + 1) }, senderName: "Ann", text: "t" })));
}

function addGroups(h: Harness, { live, orphans }: Population): void {
  const groups: Array<Record<string, unknown>> = [];
  for (let k = 0; k + 1 < orphans.length; k += 2) groups.push({ kind: "orphans", members: [orphans[k], new ObjectId(orphans[k + 1])] });
  for (let k = 0; k < orphans.length; k += 3) groups.push({ kind: "shared", members: [orphans[k], live[k]], keep: live[k] });
  for (let k = 0; k + 1 < live.length; k += 5) groups.push({ kind: "live", members: [live[k], live[k + 1]] });
  h.emulator.store.insertMany("app", "groups", groups);
}

const canonical = (doc: unknown) => EJSON.stringify(doc as never, { relaxed: false });
/** The 24-hex ids a document holds anywhere (as strings or ObjectIds), its own _id aside. */
const idsIn = (doc: Record<string, unknown>) => canonical({ ...doc, _id: null }).toLowerCase().match(/[0-9a-f]{24}/g) ?? [];
const mentions = (doc: Record<string, unknown>, ids: Set<string>) => idsIn(doc).some((id) => ids.has(id));

/** Every document that mentions none of `ids`, by _id, canonical: none of them may change. */
function untouchedBy(h: Harness, ids: Set<string>): Map<string, string> {
  const docs = new Map<string, string>();
  for (const c of COLLECTIONS) for (const d of h.emulator.store.documents("app", c)) if (!mentions(d, ids)) docs.set(`${c}:${String(d._id)}`, canonical(d));
  return docs;
}

function expectUnchanged(h: Harness, before: Map<string, string>): void {
  const now = new Map<string, string>();
  for (const c of COLLECTIONS) for (const d of h.emulator.store.documents("app", c)) now.set(`${c}:${String(d._id)}`, canonical(d));
  const changed = [...before].filter(([key, doc]) => now.get(key) !== doc).map(([key]) => key);
  expect(changed).toEqual([]);
}

function expectAllCleaned(h: Harness, orphans: string[]): void {
  const gone = new Set(orphans);
  for (const c of COLLECTIONS) {
    const left = h.emulator.store.documents("app", c).filter((d) => mentions(d, gone));
    expect({ collection: c, left: left.length }).toEqual({ collection: c, left: 0 });
  }
}

describe("sweepOrphanedUserData at scale, within its operation budget", () => {
  const BUDGET = 30;
  let h: Harness;
  let counter: OperationCounter;
  let population: Population;

  beforeAll(async () => {
    h = await startBuiltApp({ valueOverrides: { userDataCleanup: PLAN, scheduledRunOperationBudget: BUDGET } });
    counter = countOperations(h.emulator.faults);
    population = seed(h, 2000, 200);
    addGroups(h, population);
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
    expect(runs.reduce((n, r) => n + r.listRequests, 0)).toBeLessThanOrEqual(Math.ceil(2200 / 50) + runs.length * 3);
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
    const after = h.emulator.store.documents("app", "groups");
    expect(after.filter((g) => g.kind === "orphans")).toEqual([]);
    const shared = after.filter((g) => g.kind === "shared");
    expect(shared).toHaveLength(groups.filter((g) => g.kind === "shared").length);
    for (const g of shared) expect(g.members).toEqual([g.keep]);
    // Anonymized, not deleted.
    const anonymized = h.emulator.store.documents("app", "messages").filter((m) => m.text === "t" && !(m.meta as { sender?: unknown }).sender && !m.senderName);
    expect(anonymized).toHaveLength(200);
  });

  it("starts over after a complete sweep and, with nothing orphaned, changes nothing", async () => {
    const before = untouchedBy(h, new Set());
    const runs = await sweepToEnd(h, counter, BUDGET);
    expect(runs[0].resumeAfter === null || runs.length > 1).toBe(true);
    expect(runs.reduce((n, r) => n + r.orphans, 0)).toBe(0);
    expectUnchanged(h, before);
  });
});

describe("sweepOrphanedUserData when the user list answers a page out of id order", () => {
  let h: Harness;
  let counter: OperationCounter;
  let population: Population;

  beforeAll(async () => {
    h = await startBuiltApp({ valueOverrides: { userDataCleanup: PLAN } });
    counter = countOperations(h.emulator.faults);
    population = seed(h, 500, 100);
    addGroups(h, population);
  });
  afterAll(() => h.emulator.close());

  it("checks that page's owners one by one, logs it, and still cleans exactly the orphans", async () => {
    const liveBefore = untouchedBy(h, new Set(population.orphans));
    h.emulator.faults.inject({ match: "adminListUsers", kind: "outOfOrder", times: 1 });
    const [run] = await sweepToEnd(h, counter, 900, 1);
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
    counter = countOperations(h.emulator.faults);
    population = seed(h, 1200, 120);
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
    counter = countOperations(h.emulator.faults);
    population = seed(h, 400, 250);
  });
  afterAll(() => h.emulator.close());

  it("saves the point before the failed batch, fails the run naming the rule, and the next run finishes the job", async () => {
    const liveBefore = untouchedBy(h, new Set(population.orphans));
    // The second batch's delete in posts fails once: the first batch (100 orphans) is done by then.
    let deletes = 0;
    h.emulator.faults.inject({ match: (t) => t === "data:deleteMany:app.posts" && ++deletes === 2, kind: "status500" });
    counter.reset();
    const failed = await callFunction(h.emulator, "sweepOrphanedUserData", SYSTEM_USER, [], "system");
    expect(failed.error?.message).toMatch(/Cleanup \(sweep pass\) failed for 1 of 3 rule\(s\): app\.posts by owner_id: .*injected server error/);
    expect(counter.count()).toBeLessThanOrEqual(900);
    const state = h.emulator.store.documents("accountDeletion", "jobState").find((d) => d._id === "sweepOrphanedUserData");
    const saved = state?.resumeAfter as string;
    // Saved after the first batch's last orphan's range, before the second batch's first orphan.
    const sorted = [...population.orphans].sort();
    expect(saved >= sorted[99] && saved < sorted[100]).toBe(true);

    const runs = await sweepToEnd(h, counter, 900);
    expect(runs).toHaveLength(1);
    expectAllCleaned(h, population.orphans);
    expectUnchanged(h, liveBefore);
  });
});
