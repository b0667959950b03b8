/**
 * The scheduled functions as built: purgePendingUsers and sweepOrphanedUserData across several
 * Admin API pages, and across a run that reaches its time budget and a next run that resumes.
 */
import { ManualClock } from "../../emulator/accounts/clock";
import { runFunction, createUser, startBuiltApp, SYSTEM_USER, type Harness } from "../helpers/builtApp";

const DAY = 24 * 60 * 60 * 1000;
const runAsSystem = async (h: Harness, name: string) =>
  (await runFunction(h.emulator, name, SYSTEM_USER, [], "system")) as { result?: Record<string, unknown>; error?: Error };

describe("purgePendingUsers", () => {
  let h: Harness;
  let clock: ManualClock;
  beforeAll(async () => {
    clock = new ManualClock(Date.now() - 30 * DAY);
    h = await startBuiltApp({ requireEmailConfirmation: true, clock });
    // 120 registrations 30 days old (3 pages of 50), then 30 made today.
    for (let i = 0; i < 120; i++) await h.emulator.state.register(`old${i}@example.com`, "password-123", true);
    clock.advance(30 * DAY);
    for (let i = 0; i < 30; i++) await h.emulator.state.register(`new${i}@example.com`, "password-123", true);
  });
  afterAll(() => h.emulator.close());

  it("is private: a client cannot call it", async () => {
    await expect(h.emulator.runtime.call("purgePendingUsers", [], { id: "65f0c0de0000000000000abc", type: "normal", data: {}, custom_data: {}, identities: [] }, "client")).rejects.toMatchObject({
      name: "FunctionNotCallableError",
    });
  });

  it("stops at its time budget, resumes after the last page it finished, and deletes only expired registrations", async () => {
    // At 30 ms a request and 5 in flight, a page of 50 deletes takes about 300 ms and the 120
    // expired registrations about a second: a 0.6 s budget ends the run after the first page.
    h.emulator.faults.latencyMs = 30;
    h.emulator.runtime.setValue("scheduledRunBudgetSeconds", 0.6);
    h.emulator.runtime.setValue("batchConcurrency", 5);
    const first = await runAsSystem(h, "purgePendingUsers");
    expect(first.error).toBeUndefined();
    expect(first.result).toMatchObject({ complete: false });
    const leftAfterFirst = h.emulator.state.pendingCount();
    expect(leftAfterFirst).toBeLessThanOrEqual(150 - 50);
    expect(leftAfterFirst).toBeGreaterThan(30);

    h.emulator.faults.latencyMs = 0;
    h.emulator.runtime.setValue("scheduledRunBudgetSeconds", 240);
    h.emulator.runtime.setValue("batchConcurrency", 10);
    const resumed = await runAsSystem(h, "purgePendingUsers");
    expect(resumed.result).toMatchObject({ complete: true, resumedAfter: expect.stringMatching(/^[0-9a-f]{24}$/) });
    const remaining = h.emulator.state.listPending({ limit: 1000 }).map((p) => p.email);
    expect(remaining.sort()).toEqual(Array.from({ length: 30 }, (_, i) => `new${i}@example.com`).sort());
  });

  it("starts from the beginning again after a complete run", async () => {
    const again = await runAsSystem(h, "purgePendingUsers");
    expect(again.result).toMatchObject({ complete: true, resumedAfter: null, deleted: 0, scanned: 30 });
  });

  it("reports a failed page read with the Admin API operation and status", async () => {
    h.emulator.faults.inject({ match: "adminListPendingUsers", kind: "status500" });
    const { error } = await runAsSystem(h, "purgePendingUsers");
    expect(error?.message).toMatch(/adminListPendingUsers .* failed with status 500/);
  });
});

describe("sweepOrphanedUserData", () => {
  let h: Harness;
  const PLAN = [
    { database: "app", collection: "posts", ownerField: "owner_id", action: "delete" },
    { database: "app", collection: "messages", ownerField: "meta.sender", action: "anonymize", unset: ["senderName"] },
  ];
  const living: string[] = [];
  const orphaned: string[] = [];

  beforeAll(async () => {
    h = await startBuiltApp({ valueOverrides: { userDataCleanup: PLAN } });
    for (let i = 0; i < 60; i++) living.push(await createUser(h.emulator));
    for (let i = 0; i < 70; i++) {
      const id = await createUser(h.emulator);
      orphaned.push(id);
    }
    for (const id of [...living, ...orphaned]) {
      h.emulator.store.insertMany("app", "posts", [{ owner_id: id, n: 1 }]);
      h.emulator.store.insertMany("app", "messages", [{ meta: { sender: id }, senderName: "x", text: "t" }]);
    }
    // Deleted behind the bundle's back (App Services UI, CLI, the SDK's built-in delete).
    for (const id of orphaned) h.emulator.state.deleteUser(id);
  });
  afterAll(() => h.emulator.close());

  const postsOf = (id: string) => h.emulator.store.documents("app", "posts").filter((d) => d.owner_id === id);
  const messagesOf = (id: string) => h.emulator.store.documents("app", "messages").filter((d) => (d.meta as { sender?: string })?.sender === id);

  it("cleans up orphans across runs cut short by the budget, and never touches a living user's documents", async () => {
    const livingBefore = JSON.stringify(living.map((id) => [postsOf(id), messagesOf(id)]));
    h.emulator.faults.latencyMs = 100;
    // At 100 ms a request, login, app check, owner pages and the first user page take 0.4 s, one
    // after another: a 0.25 s budget stops the run before it settles any owner.
    h.emulator.runtime.setValue("scheduledRunBudgetSeconds", 0.25);
    const first = await runAsSystem(h, "sweepOrphanedUserData");
    expect(first.error).toBeUndefined();
    expect(first.result).toMatchObject({ complete: false, resumeAfter: null });
    expect(orphaned.every((id) => postsOf(id).length > 0)).toBe(true);
    expect(h.lines.some((l) => /\[sweepOrphanedUserData\] .*stopped at the time budget; the next run resumes/.test(l))).toBe(true);

    h.emulator.faults.latencyMs = 0;
    h.emulator.runtime.setValue("scheduledRunBudgetSeconds", 240);
    const second = await runAsSystem(h, "sweepOrphanedUserData");
    // Both sides of the merge in one request each: the 60 living users' page, and the page after them (the 70 were deleted).
    expect(second.result).toMatchObject({ complete: true, resumedAfter: null, checked: 130, orphans: 70, listRequests: 2, userChecks: 0 });

    for (const id of orphaned) {
      expect(postsOf(id)).toEqual([]);
      expect(messagesOf(id)).toEqual([]);
    }
    expect(h.emulator.store.documents("app", "messages").filter((m) => m.text === "t" && !m.senderName && !(m.meta as { sender?: string }).sender)).toHaveLength(70);
    expect(JSON.stringify(living.map((id) => [postsOf(id), messagesOf(id)]))).toBe(livingBefore);
  });

  it("does not list an owner stored as an upper-case hex string, which the cleanup cannot match (it would be reported orphaned every run)", async () => {
    const upperCaseOwner = "6B0B00000000000000000abc".toUpperCase();
    await runAsSystem(h, "sweepOrphanedUserData"); // settles the other orphans, if the test above did not run
    h.emulator.store.insertMany("app", "posts", [{ owner_id: upperCaseOwner, n: 1 }]);
    for (let run = 0; run < 2; run++) {
      const { result, error } = await runAsSystem(h, "sweepOrphanedUserData");
      expect(error).toBeUndefined();
      expect(result).toMatchObject({ complete: true, checked: 60, orphans: 0 });
    }
  });

  it("with an empty cleanup plan, returns the whole outcome shape of a complete run", async () => {
    h.emulator.runtime.setValue("userDataCleanup", []);
    try {
      const { result, error } = await runAsSystem(h, "sweepOrphanedUserData");
      expect(error).toBeUndefined();
      expect(result).toEqual({ checked: 0, orphans: 0, documents: 0, detached: 0, complete: true, resumedAfter: null, resumeAfter: null, operations: 0 });
    } finally {
      h.emulator.runtime.setValue("userDataCleanup", PLAN);
    }
  });

  it("refuses to run with an operation budget too small for one step of the plan, naming the value, before touching anything", async () => {
    const nested = ["a", "b", "c", "d"].map((c) => ({ database: "app", collection: c, ownerField: "x.y.z", action: "anonymize", unset: ["note"] }));
    h.emulator.runtime.setValue("userDataCleanup", nested);
    h.emulator.runtime.setValue("scheduledRunOperationBudget", 20);
    try {
      const before = h.emulator.store.documents("app", "posts").length;
      const { error } = await runAsSystem(h, "sweepOrphanedUserData");
      expect(error?.message).toMatch(/the value "scheduledRunOperationBudget" \(20\) is too small for this run's cleanup plan: it needs at least \d+ operations/);
      expect(h.emulator.store.documents("app", "posts")).toHaveLength(before);
    } finally {
      h.emulator.runtime.setValue("userDataCleanup", PLAN);
      h.emulator.runtime.setValue("scheduledRunOperationBudget", undefined);
    }
  });

  it("refuses to sweep when the configured app does not exist (every user would look deleted)", async () => {
    const id = living[0];
    h.emulator.runtime.setValue("adminApiAppId", "65f0c0de0000000000000eee");
    try {
      const { error } = await runAsSystem(h, "sweepOrphanedUserData");
      expect(error?.message).toMatch(/no app 65f0c0de0000000000000eee .* check the values adminApiGroupId and adminApiAppId/);
      expect(postsOf(id)).toHaveLength(1);
    } finally {
      h.emulator.runtime.setValue("adminApiAppId", undefined);
    }
  });
});
