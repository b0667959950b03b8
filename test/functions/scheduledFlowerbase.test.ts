/**
 * The scheduled functions as built, run as their triggers run them, on both platforms: on Flowerbase
 * (context.user `{}`, no context.app, no Admin API) the purge pages its user collection and deletes
 * only expired pending registrations that have a createdAt, and the sweep looks owners up in the
 * user collection a batch at a time; both across several runs with a small operation budget, which
 * the emulator's own count (independent of the bundle's) shows no run exceeds. A wrong
 * userStoreDatabase changes nothing.
 */
import { ObjectId } from "bson";
import { ManualClock } from "../../emulator/accounts/clock";
import { FLOWERBASE_DEFAULTS, authUserDocument, type AuthUserStatus } from "../../emulator/flowerbase/documents";
import { runFunction } from "../helpers/builtApp";
import { countOperations, type OperationCounter } from "../helpers/operationCount";
import { PLAN, expectAllCleaned, expectGroupsSettled, expectNextSweepStartsOverAndChangesNothing, expectUnchanged, setUpSweep, sweepToEnd, untouchedBy, type Population, type UserMaker } from "../helpers/orphanFixtures";
import { FLOWERBASE_TRIGGER_USER, PLATFORMS, login, sessionWorks, startProfile, triggerUserOf, uniqueEmail, type ProfileHarness } from "../helpers/profiles";

const DAY = 24 * 60 * 60 * 1000;
const MAIN = FLOWERBASE_DEFAULTS.database;
const AUTH_USERS = FLOWERBASE_DEFAULTS.authCollection;

interface PurgeResult {
  scanned: number;
  deleted: number;
  complete: boolean;
  operations: number;
}

async function runScheduled(h: ProfileHarness, name: string, counter?: OperationCounter, budget?: number): Promise<{ result?: any; error?: Error }> {
  counter?.reset();
  const outcome: { result?: any; error?: Error } = await runFunction(h.emulator, name, triggerUserOf(h), [], "system");
  if (counter && outcome.result) {
    // The emulator saw exactly what the bundle counted, and never more than the budget.
    expect(counter.count()).toBe(outcome.result.operations);
    expect(outcome.result.operations).toBeLessThanOrEqual(budget as number);
  }
  return outcome;
}

/** Flowerbase users inserted as registration writes them (no password hashing: they never log in). */
function insertAuthUsers(h: ProfileHarness, kinds: Array<{ status: AuthUserStatus; createdAt: Date | undefined }>): string[] {
  const docs = kinds.map((k, i) => authUserDocument(`seeded-${i}-${Date.now()}@example.com`, "not-a-password-hash", k.status, k.createdAt));
  h.emulator.store.insertMany(MAIN, AUTH_USERS, docs as unknown as Array<Record<string, unknown>>);
  return docs.map((d) => d._id.toHexString());
}

function flowerbaseUsers(h: ProfileHarness): UserMaker {
  return {
    create: async (count) => insertAuthUsers(h, Array.from({ length: count }, () => ({ status: "confirmed" as const, createdAt: new Date() }))),
    // As Flowerbase's own deleteUser leaves them: the account gone, the data in place (shared/handleUserDeletion.ts:52).
    remove: async (ids) => void (await h.emulator.flowerbase!.users.deleteMany({ _id: { $in: ids.map((id) => new ObjectId(id)) } })),
  };
}

const authUserIds = (h: ProfileHarness) => h.emulator.store.documents(MAIN, AUTH_USERS).map((d) => String(d._id));

describe("purgePendingUsers on Flowerbase, within its operation budget", () => {
  jest.setTimeout(120_000);
  const BUDGET = 20;
  const KINDS = ["expired", "expired", "expired", "expired", "expired", "expired", "fresh", "confirmed", "migrated", "disabled"] as const;
  let h: ProfileHarness;
  let counter: OperationCounter;
  const byKind: Record<string, string[]> = {};

  beforeAll(async () => {
    h = await startProfile("flowerbase", { valueOverrides: { scheduledRunOperationBudget: BUDGET, userDataCleanup: [] } });
    counter = countOperations(h.emulator.faults);
    const old = new Date(Date.now() - 30 * DAY);
    const shapes: Record<(typeof KINDS)[number], { status: AuthUserStatus; createdAt: Date | undefined }> = {
      expired: { status: "pending", createdAt: old },
      fresh: { status: "pending", createdAt: new Date() },
      confirmed: { status: "confirmed", createdAt: old },
      // Migrated from App Services by Flowerbase's exporter: no createdAt (packages/users-exporter/index.js:34-44).
      migrated: { status: "pending", createdAt: undefined },
      disabled: { status: "disabled", createdAt: old },
    };
    // Interleaved in id order, so the pass cannot stop at the first registration that stays.
    const kinds = Array.from({ length: 250 }, (_, i) => KINDS[i % KINDS.length]);
    const ids = insertAuthUsers(h, kinds.map((k) => shapes[k]));
    kinds.forEach((k, i) => (byKind[k] ??= []).push(ids[i]));
  });
  afterAll(() => h.close());

  it("deletes only expired pending registrations with a createdAt, across several runs, each within its budget", async () => {
    const email = uniqueEmail("old-confirmed");
    const confirmed = await h.emulator.flowerbase!.createUser(email, "password-123", "confirmed", new Date(Date.now() - 30 * DAY));
    const tokens = await login(h, email, "password-123");
    const runs: PurgeResult[] = [];
    let pendingLeft = byKind.expired.length;
    for (let i = 0; i < 30 && !runs.some((r) => r.complete); i++) {
      const { result, error } = await runScheduled(h, "purgePendingUsers", counter, BUDGET);
      expect(error).toBeUndefined();
      const present = new Set(authUserIds(h));
      const expiredLeft = byKind.expired.filter((id) => present.has(id)).length;
      expect(pendingLeft - expiredLeft).toBe(result.deleted);
      pendingLeft = expiredLeft;
      runs.push(result);
    }
    expect(runs.length).toBeGreaterThanOrEqual(5);
    for (const run of runs.slice(0, -1)) expect(run).toMatchObject({ complete: false, operations: BUDGET });
    expect(runs.reduce((n, r) => n + r.deleted, 0)).toBe(byKind.expired.length);

    const present = new Set(authUserIds(h));
    expect(byKind.expired.filter((id) => present.has(id))).toEqual([]);
    for (const kind of ["fresh", "confirmed", "migrated", "disabled"]) expect({ kind, left: byKind[kind].filter((id) => present.has(id)).length }).toEqual({ kind, left: byKind[kind].length });
    expect(present.has(confirmed)).toBe(true);
    expect(await sessionWorks(h, tokens)).toEqual({ access: true, refresh: true });
    expect(h.lines.join("\n")).not.toMatch(/seeded-\d+-\d+@example\.com/);
  });
});

describe("purgePendingUsers on Flowerbase when a registration is confirmed during the run", () => {
  let h: ProfileHarness;
  let ids: string[];

  beforeAll(async () => {
    h = await startProfile("flowerbase", { valueOverrides: { userDataCleanup: [] } });
    ids = insertAuthUsers(h, Array.from({ length: 10 }, () => ({ status: "pending" as const, createdAt: new Date(Date.now() - 30 * DAY) })));
  });
  afterAll(() => h.close());

  it("deletes the others and never the account confirmed after the page listed it", async () => {
    const confirmedMeanwhile = ids[4];
    let confirmed = false;
    // The data service runs each call synchronously after its fault check: the page is read with the
    // user still pending, and the confirmation lands right after it, before any delete.
    h.emulator.faults.inject({
      match: (target) => {
        if (target === `data:find:${MAIN}.${AUTH_USERS}` && !confirmed) {
          confirmed = true;
          void h.emulator.flowerbase!.users.updateOne({ _id: new ObjectId(confirmedMeanwhile) }, { $set: { status: "confirmed" } });
        }
        return false;
      },
      kind: "drop",
      times: Infinity,
    });
    const { result, error } = await runScheduled(h, "purgePendingUsers");
    expect(error).toBeUndefined();
    expect(result).toMatchObject({ scanned: 10, deleted: 9, complete: true });
    expect(authUserIds(h)).toEqual([confirmedMeanwhile]);
    expect((await h.emulator.flowerbase!.findUser(confirmedMeanwhile))?.status).toBe("confirmed");
  });
});

describe("sweepOrphanedUserData on Flowerbase, within its operation budget", () => {
  jest.setTimeout(120_000);
  const BUDGET = 20;
  let h: ProfileHarness;
  let counter: OperationCounter;
  let population: Population;

  beforeAll(async () => {
    h = await startProfile("flowerbase", { valueOverrides: { userDataCleanup: PLAN, scheduledRunOperationBudget: BUDGET } });
    // Small enough for the emulator's query engine, which scans for $in; large enough for three orphan batches.
    ({ counter, population } = await setUpSweep(h, flowerbaseUsers(h), { live: 600, orphans: 300, groups: true }));
  });
  afterAll(() => h.close());

  it("cleans every orphan's data and no live user's across several runs, one lookup settling a batch of owners", async () => {
    const liveBefore = untouchedBy(h, new Set(population.orphans));
    const shared = h.emulator.store.documents("app", "groups").filter((g) => g.kind === "shared").length;
    const runs = await sweepToEnd(h, counter, BUDGET, FLOWERBASE_TRIGGER_USER);

    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(runs.reduce((n, r) => n + r.checked, 0)).toBe(900);
    expect(runs.reduce((n, r) => n + r.orphans, 0)).toBe(300);
    // One $in lookup settles every owner a run has in memory (under 1000 here): one per run.
    for (const r of runs) expect(r.userLookups).toBe(1);
    const lastRun = counter.byTarget();
    expect(lastRun[`data:find:${MAIN}.${AUTH_USERS}`]).toBe(1);
    expect(lastRun[`data:findOne:${MAIN}.${AUTH_USERS}`]).toBe(1); // the store check
    expectAllCleaned(h, population.orphans);
    expectUnchanged(h, liveBefore);
    expectGroupsSettled(h, shared);
    const present = new Set(authUserIds(h));
    expect(population.live.filter((id) => !present.has(id))).toEqual([]);
  });

  it("starts over after a complete sweep and, with nothing orphaned, changes nothing", async () => {
    await expectNextSweepStartsOverAndChangesNothing(h, counter, BUDGET, FLOWERBASE_TRIGGER_USER, population.live.length);
  });
});

describe("on Flowerbase, a wrong userStoreDatabase", () => {
  let h: ProfileHarness;
  let counter: OperationCounter;
  let population: Population;
  let expired: string[];

  beforeAll(async () => {
    h = await startProfile("flowerbase", { valueOverrides: { userDataCleanup: PLAN } });
    ({ counter, population } = await setUpSweep(h, flowerbaseUsers(h), { live: 40, orphans: 10 }));
    expired = insertAuthUsers(h, Array.from({ length: 5 }, () => ({ status: "pending" as const, createdAt: new Date(Date.now() - 30 * DAY) })));
    h.emulator.runtime.setValue("userStoreDatabase", "elsewhere");
  });
  afterAll(() => h.close());

  it.each(["purgePendingUsers", "sweepOrphanedUserData"])("makes %s fail as a configuration error that deletes and changes nothing", async (name) => {
    const everything = untouchedBy(h, new Set());
    const users = authUserIds(h).sort();
    const { error } = await runScheduled(h, name, counter);
    expect(error?.message).toMatch(/The user store elsewhere\.auth_users holds no users: set userStoreDatabase and userStoreCollection/);
    expectUnchanged(h, everything);
    expect(authUserIds(h).sort()).toEqual(users);
    expect(expired.every((id) => users.includes(id))).toBe(true);
    expect(population.orphans.every((id) => h.emulator.store.documents("app", "posts").some((p) => String(p.owner_id).toLowerCase() === id))).toBe(true);
    // At most the resume point is written back as it was; no other write was sent.
    const writes = Object.keys(counter.byTarget()).filter((t) => /^data:(insert|update|delete|findOneAnd|bulk)/i.test(t) && !t.endsWith(":accountDeletion.jobState"));
    expect(writes).toEqual([]);
  });
});

describe.each(PLATFORMS)("the scheduled functions as their triggers run them on %s", (platform) => {
  jest.setTimeout(60_000);
  let h: ProfileHarness;
  const clock = new ManualClock(Date.now() - 10 * DAY);

  beforeAll(async () => {
    h = await startProfile(platform, { clock, valueOverrides: { userDataCleanup: [{ database: "demo", collection: "notes", ownerField: "owner_id", action: "delete" }] } });
  });
  afterAll(() => h.close());

  it("purge deletes the expired registration only; sweep cleans the deleted user's data only", async () => {
    const oldPending = uniqueEmail("old-pending");
    await h.registerPending(oldPending);
    clock.advance(10 * DAY);
    const freshPending = uniqueEmail("fresh-pending");
    await h.registerPending(freshPending);
    const keptEmail = uniqueEmail("kept");
    const kept = await h.createUser(keptEmail);
    const goneId = await h.createUser(uniqueEmail("gone"));
    h.emulator.store.insertMany("demo", "notes", [{ owner_id: kept, n: 1 }, { owner_id: goneId, n: 2 }, { owner_id: new ObjectId(goneId), n: 3 }]);
    // Deleted behind the bundle's back (the platform's own UI or API), leaving the data.
    if (platform === "flowerbase") await h.emulator.flowerbase!.users.deleteOne({ _id: new ObjectId(goneId) });
    else h.emulator.state.deleteUser(goneId);
    const tokens = await login(h, keptEmail);

    const purged = await runScheduled(h, "purgePendingUsers");
    expect(purged.error).toBeUndefined();
    expect(purged.result).toMatchObject({ deleted: 1, complete: true });
    expect(await h.pendingExists(oldPending)).toBe(false);
    expect(await h.pendingExists(freshPending)).toBe(true);

    const swept = await runScheduled(h, "sweepOrphanedUserData");
    expect(swept.error).toBeUndefined();
    expect(swept.result).toMatchObject({ checked: 2, orphans: 1, documents: 2, complete: true });
    expect(h.emulator.store.documents("demo", "notes").map((n) => n.n)).toEqual([1]);
    expect(await h.userExists(kept)).toBe(true);
    expect(await sessionWorks(h, tokens)).toEqual({ access: true, refresh: true });
  });
});
