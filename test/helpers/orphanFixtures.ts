/**
 * What the sweep suites share: a cleanup plan over three collections, a population of users with
 * documents (some of them orphaned behind the bundle's back), sweep runs checked against the
 * emulator's independent operation count, and the checks that every orphan's data went and no one
 * else's document changed. The users are made by the caller, so both emulator profiles can use it.
 */
import { EJSON, ObjectId } from "bson";
import type { Emulator } from "../../emulator/server";
import type { RuntimeUser } from "../../emulator/runtime/types";
import { runFunction } from "./builtApp";
import { countOperations, type OperationCounter } from "./operationCount";

export const PLAN = [
  { database: "app", collection: "posts", ownerField: "owner_id", action: "delete" },
  { database: "app", collection: "messages", ownerField: "meta.sender", action: "anonymize", unset: ["senderName"] },
  { database: "app", collection: "groups", ownerField: "members", action: "delete" },
];
const COLLECTIONS = ["posts", "messages", "groups"];

type WithEmulator = { emulator: Emulator };

export interface SweepResult {
  checked: number;
  orphans: number;
  complete: boolean;
  operations: number;
  listRequests?: number;
  userChecks?: number;
  outOfOrderPages?: number;
  userLookups?: number;
  resumeAfter: string | null;
  remaining?: number;
  runsToFinish?: number;
}

/** One run as the scheduler starts it (`triggerUser`: App Services' system user, or Flowerbase's `{}`). */
export async function sweepOnce(h: WithEmulator, counter: OperationCounter, budget: number, triggerUser: RuntimeUser): Promise<SweepResult> {
  counter.reset();
  const { result, error } = await runFunction(h.emulator, "sweepOrphanedUserData", triggerUser, [], "system");
  expect(error).toBeUndefined();
  const run = result as SweepResult;
  // The emulator saw exactly what the bundle counted, and never more than the budget.
  expect(counter.count()).toBe(run.operations);
  expect(run.operations).toBeLessThanOrEqual(budget);
  return run;
}

/** Runs until a sweep completes; returns every run's result. */
export async function sweepToEnd(h: WithEmulator, counter: OperationCounter, budget: number, triggerUser: RuntimeUser, maxRuns = 30): Promise<SweepResult[]> {
  const runs: SweepResult[] = [];
  for (let i = 0; i < maxRuns; i++) {
    runs.push(await sweepOnce(h, counter, budget, triggerUser));
    if (runs[runs.length - 1].complete) return runs;
  }
  throw new Error(`no complete sweep in ${maxRuns} runs`);
}

/**
 * A sweep after a complete one starts over from the first owner: its runs together check every live
 * owner once (`liveOwners`), find no orphan, and change no document.
 */
export async function expectNextSweepStartsOverAndChangesNothing(h: WithEmulator, counter: OperationCounter, budget: number, triggerUser: RuntimeUser, liveOwners: number): Promise<SweepResult[]> {
  const before = untouchedBy(h, new Set());
  const runs = await sweepToEnd(h, counter, budget, triggerUser);
  expect(runs.reduce((n, r) => n + r.checked, 0)).toBe(liveOwners);
  expect(runs.reduce((n, r) => n + r.orphans, 0)).toBe(0);
  expectUnchanged(h, before);
  return runs;
}

export interface Population {
  live: string[];
  orphans: string[];
}

/** How a profile makes and removes users behind the bundle's back. */
export interface UserMaker {
  create(count: number): Promise<string[]>;
  remove(ids: string[]): Promise<void>;
}

/**
 * Users with a post and a message each; the orphans' accounts are then deleted behind the bundle's
 * back. Ids are stored as strings and as ObjectIds alternately. Orphans are spread through the id range.
 */
export async function seed(h: WithEmulator, users: UserMaker, liveCount: number, orphanCount: number): Promise<Population> {
  const all = await users.create(liveCount + orphanCount);
  const step = Math.floor((liveCount + orphanCount) / orphanCount);
  const orphans = all.filter((_, i) => i % step === 0).slice(0, orphanCount);
  const orphanSet = new Set(orphans);
  const live = all.filter((id) => !orphanSet.has(id));
  addDocuments(h, all);
  await users.remove(orphans);
  return { live, orphans };
}

/** What a sweep suite starts from. */
export interface SweepScene {
  counter: OperationCounter;
  population: Population;
}

/**
 * A sweep suite's start on a started emulator: the operation counter armed before anything else
 * can inject a fault, then `live` + `orphans` users made by `users` with their documents, and the
 * groups (addGroups) if asked.
 */
export async function setUpSweep(h: WithEmulator, users: UserMaker, sizes: { live: number; orphans: number; groups?: boolean }): Promise<SweepScene> {
  const counter = countOperations(h.emulator.faults);
  const population = await seed(h, users, sizes.live, sizes.orphans);
  if (sizes.groups) addGroups(h, population);
  return { counter, population };
}

export function addDocuments(h: WithEmulator, owners: string[]): void {
  const store = h.emulator.store;
  const form = (id: string, i: number) => (i % 2 === 0 ? id : new ObjectId(id));
  store.insertMany("app", "posts", owners.map((id, i) => ({ owner_id: form(id, i), title: `post ${i}` })));
  store.insertMany("app", "messages", owners.map((id, i) => ({ meta: { sender: form(id, i + 1) }, senderName: "Ann", text: "t" })));
}

/** Groups: two orphans together, an orphan with a live user (`keep`), two live users. */
export function addGroups(h: WithEmulator, { live, orphans }: Population): void {
  const groups: Array<Record<string, unknown>> = [];
  for (let k = 0; k + 1 < orphans.length; k += 2) groups.push({ kind: "orphans", members: [orphans[k], new ObjectId(orphans[k + 1])] });
  for (let k = 0; k < orphans.length; k += 3) groups.push({ kind: "shared", members: [orphans[k], live[k]], keep: live[k] });
  for (let k = 0; k + 1 < live.length; k += 5) groups.push({ kind: "live", members: [live[k], live[k + 1]] });
  h.emulator.store.insertMany("app", "groups", groups);
}

const canonical = (doc: unknown) => EJSON.stringify(doc as never, { relaxed: false });
/** The 24-hex ids a document holds anywhere (as strings or ObjectIds), its own _id aside. */
const idsIn = (doc: Record<string, unknown>) => canonical({ ...doc, _id: null }).toLowerCase().match(/[0-9a-f]{24}/g) ?? [];
export const mentions = (doc: Record<string, unknown>, ids: Set<string>) => idsIn(doc).some((id) => ids.has(id));

/** Every document that mentions none of `ids`, by _id, canonical: none of them may change. */
export function untouchedBy(h: WithEmulator, ids: Set<string>): Map<string, string> {
  const docs = new Map<string, string>();
  for (const c of COLLECTIONS) for (const d of h.emulator.store.documents("app", c)) if (!mentions(d, ids)) docs.set(`${c}:${String(d._id)}`, canonical(d));
  return docs;
}

export function expectUnchanged(h: WithEmulator, before: Map<string, string>): void {
  const now = new Map<string, string>();
  for (const c of COLLECTIONS) for (const d of h.emulator.store.documents("app", c)) now.set(`${c}:${String(d._id)}`, canonical(d));
  const changed = [...before].filter(([key, doc]) => now.get(key) !== doc).map(([key]) => key);
  expect(changed).toEqual([]);
}

export function expectAllCleaned(h: WithEmulator, orphans: string[]): void {
  const gone = new Set(orphans);
  for (const c of COLLECTIONS) {
    const left = h.emulator.store.documents("app", c).filter((d) => mentions(d, gone));
    expect({ collection: c, left: left.length }).toEqual({ collection: c, left: 0 });
  }
}

/** The shared-document semantics after a sweep: two orphans' group gone, an orphan only detached from a live user's. */
export function expectGroupsSettled(h: WithEmulator, sharedBefore: number): void {
  const after = h.emulator.store.documents("app", "groups");
  expect(after.filter((g) => g.kind === "orphans")).toEqual([]);
  const shared = after.filter((g) => g.kind === "shared");
  expect(shared).toHaveLength(sharedBefore);
  for (const g of shared) expect(g.members).toEqual([g.keep]);
}
