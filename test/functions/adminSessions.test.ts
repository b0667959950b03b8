/**
 * Every function that logs in to the Admin API closes that session before returning (issue 10,
 * item 7): on success and on failure; a failing logout never fails the call.
 */
import type { FaultKind } from "../../emulator/faults";
import { SYSTEM_USER, runFunction, createUser, startBuiltApp, userOf, type Harness } from "../helpers/builtApp";
import { recordOperations } from "../helpers/operationCount";

let h: Harness;
let admin: string;

beforeAll(async () => {
  h = await startBuiltApp({
    requireEmailConfirmation: true,
    valueOverrides: { userDataCleanup: [{ database: "app", collection: "posts", ownerField: "owner_id", action: "delete" }] },
  });
  admin = await createUser(h.emulator);
  h.emulator.runtime.setValue("accountAdmins", [admin]);
});
afterAll(async () => {
  await h.emulator.close();
});
afterEach(() => h.emulator.faults.clear());

const openAdminSessions = () => h.emulator.state.sessionCount("admin");

type Call = [string, () => Promise<{ name: string; args: unknown[]; user: ReturnType<typeof userOf> }>];

const CALLS: Call[] = [
  ["deleteCurrentUser", async () => ({ name: "deleteCurrentUser", args: [], user: userOf(await createUser(h.emulator)) })],
  ["deleteUser", async () => ({ name: "deleteUser", args: [await createUser(h.emulator)], user: userOf(admin) })],
  ["disableUser", async () => ({ name: "disableUser", args: [await createUser(h.emulator)], user: userOf(admin) })],
  ["enableUser", async () => ({ name: "enableUser", args: [await createUser(h.emulator)], user: userOf(admin) })],
  ["logoutUser", async () => ({ name: "logoutUser", args: [await createUser(h.emulator)], user: userOf(admin) })],
  [
    "deletePendingUser",
    async () => {
      const email = `pending-${Date.now()}-${Math.random()}@example.com`;
      await h.emulator.state.register(email, "password-123", true);
      return { name: "deletePendingUser", args: [email], user: userOf(admin) };
    },
  ],
  ["deletePendingUser (already gone)", async () => ({ name: "deletePendingUser", args: ["nobody-here@example.com"], user: userOf(admin) })],
  ["purgePendingUsers", async () => ({ name: "purgePendingUsers", args: [], user: SYSTEM_USER })],
  [
    "sweepOrphanedUserData",
    async () => {
      h.emulator.store.insertMany("app", "posts", [{ owner_id: "65f0c0de0000000000000d0d" }]);
      return { name: "sweepOrphanedUserData", args: [], user: SYSTEM_USER };
    },
  ],
];

const run = async (prepare: Call[1]) => {
  const { name, args, user } = await prepare();
  return runFunction(h.emulator, name, user, args, user.type === "system" ? "system" : "client");
};

describe("each function closes the Admin API session it opened", () => {
  it.each(CALLS)("%s", async (_label, prepare) => {
    const before = openAdminSessions();
    const operations = recordOperations(h.emulator.faults);
    const { error } = await run(prepare);
    expect(error).toBeUndefined();
    expect(operations.filter((op) => op === "adminLogin")).toHaveLength(1);
    expect(operations.filter((op) => op === "adminDeleteSession")).toHaveLength(1);
    expect(openAdminSessions()).toBe(before);
  });

  it("also when the call fails after logging in", async () => {
    const before = openAdminSessions();
    const id = await createUser(h.emulator);
    h.emulator.faults.inject({ match: "adminDeleteUser", kind: "status500" });
    const { error } = await runFunction(h.emulator, "deleteCurrentUser", userOf(id));
    expect(error?.message).toMatch(/stopped at step "deleteAccount"/);
    expect(openAdminSessions()).toBe(before);
    const disabled = await runFunction(h.emulator, "disableUser", userOf(admin), ["65f0c0de0000000000000fff"]);
    expect(disabled.error?.message).toMatch(/adminDisableUser .* failed with status 404/);
    expect(openAdminSessions()).toBe(before);
  });
});

describe("a failing logout never fails the call", () => {
  for (const kind of ["status500", "drop"] as FaultKind[]) {
    it.each(CALLS)(`%s (${kind})`, async (_label, prepare) => {
      const before = openAdminSessions();
      const lines = h.lines.length;
      h.emulator.faults.inject({ match: "adminDeleteSession", kind });
      const { error } = await run(prepare);
      expect(error).toBeUndefined();
      // The session stays open (it expires by itself); the failure is logged.
      expect(openAdminSessions()).toBe(before + 1);
      expect(h.lines.slice(lines).join("\n")).toMatch(/the Admin API session could not be closed \(it expires by itself\): Admin API request adminDeleteSession/);
    });
  }
});

describe("on self-delete, the logout adds no round trip (issue 10, item 7)", () => {
  const LATENCY_MS = 100;
  afterEach(() => {
    h.emulator.faults.latencyMs = 0;
  });

  it("asks for adminDeleteSession while the final pass's writes are still on their way", async () => {
    const id = await createUser(h.emulator);
    h.emulator.store.insertMany("app", "posts", [{ owner_id: id }]);
    h.emulator.faults.latencyMs = LATENCY_MS;
    // The plan sees each call after its latency, so these are the times calls complete their round trip.
    const done: Array<{ target: string; at: number }> = [];
    h.emulator.faults.inject({ match: (target) => (done.push({ target, at: performance.now() }), false), kind: "status500" });
    const { error } = await runFunction(h.emulator, "deleteCurrentUser", userOf(id));
    expect(error).toBeUndefined();
    const logout = done.filter((c) => c.target === "adminDeleteSession");
    expect(logout).toHaveLength(1);
    const lastData = Math.max(...done.filter((c) => c.target.startsWith("data:")).map((c) => c.at));
    // Alongside the final pass: the logout completes with the final pass's writes. One after it: a
    // whole round trip (LATENCY_MS) later than the last write. Half a round trip tells them apart.
    expect(logout[0].at - lastData).toBeLessThan(LATENCY_MS / 2);
  });
});
