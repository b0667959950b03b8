/**
 * The admin functions as built: denied by default and to non-admins (nothing changes), allowed to
 * the ids in accountAdmins, with arguments validated.
 */
import { runFunction, createUser, startBuiltApp, userOf, SYSTEM_USER, type Harness } from "../helpers/builtApp";

let h: Harness;
let admin: string;
beforeAll(async () => {
  h = await startBuiltApp({ requireEmailConfirmation: true });
  admin = await createUser(h.emulator);
});
afterAll(async () => {
  await h.emulator.close();
});
beforeEach(() => h.emulator.runtime.setValue("accountAdmins", [admin]));

const USER_FUNCTIONS = ["deleteUser", "disableUser", "enableUser", "logoutUser"];

describe("admin functions", () => {
  it.each(USER_FUNCTIONS)("%s is denied to a non-admin and changes nothing", async (fn) => {
    const caller = await createUser(h.emulator);
    const target = await createUser(h.emulator);
    await h.emulator.state.createSession("client", target);
    const { error } = await runFunction(h.emulator, fn, userOf(caller), [target]);
    expect(error?.message).toMatch(new RegExp(`${fn}: user ${caller} is not an account admin.*"accountAdmins"`));
    expect(h.emulator.state.getUser(target)).toMatchObject({ disabled: false });
    expect(h.emulator.state.sessionCount("client", target)).toBe(1);
  });

  it("denies everyone when accountAdmins is empty (the default)", async () => {
    h.emulator.runtime.setValue("accountAdmins", []);
    const target = await createUser(h.emulator);
    const { error } = await runFunction(h.emulator, "deleteUser", userOf(admin), [target]);
    expect(error?.message).toMatch(/is not an account admin/);
    expect(h.emulator.state.getUser(target)).toBeDefined();
  });

  it("denies a system caller", async () => {
    const { error } = await runFunction(h.emulator, "disableUser", SYSTEM_USER, [admin]);
    expect(error?.message).toMatch(/must be called by a signed-in user/);
  });

  it("lets an admin disable, enable, log out and delete a user", async () => {
    const target = await createUser(h.emulator);
    await h.emulator.state.createSession("client", target);

    expect((await runFunction(h.emulator, "disableUser", userOf(admin), [target])).result).toEqual({ userId: target, action: "disabled" });
    expect(h.emulator.state.getUser(target)?.disabled).toBe(true);
    expect(h.emulator.state.sessionCount("client", target)).toBe(0);

    expect((await runFunction(h.emulator, "enableUser", userOf(admin), [target])).result).toEqual({ userId: target, action: "enabled" });
    expect(h.emulator.state.getUser(target)?.disabled).toBe(false);

    await h.emulator.state.createSession("client", target);
    expect((await runFunction(h.emulator, "logoutUser", userOf(admin), [target])).result).toEqual({ userId: target, action: "loggedOut" });
    expect(h.emulator.state.sessionCount("client", target)).toBe(0);

    const deleted = await runFunction(h.emulator, "deleteUser", userOf(admin), [target]);
    expect(deleted.result).toMatchObject({ userId: target, account: "deleted", deletedBy: "admin" });
    expect(h.emulator.state.getUser(target)).toBeUndefined();
  });

  it("lets an admin delete a pending registration, keeping the email out of logs", async () => {
    const email = `pending-${Date.now()}@example.com`;
    await h.emulator.state.register(email, "password-123", true);
    const { result, error } = await runFunction(h.emulator, "deletePendingUser", userOf(admin), [email]);
    expect(error).toBeUndefined();
    expect(result).toEqual({ pendingRegistration: "deleted" });
    expect(h.emulator.state.listPending({ limit: 1000 }).some((p) => p.email === email)).toBe(false);
    expect(h.lines.join("\n")).not.toContain(email);
    expect(h.lines.join("\n")).toMatch(/\[deletePendingUser\] admin \w+ deleted a pending registration \(email withheld\)/);
    expect((await runFunction(h.emulator, "deletePendingUser", userOf(admin), [email])).result).toEqual({ pendingRegistration: "alreadyGone" });
  });

  it.each([
    ["deleteUser", [], /takes 1 argument\(s\) \(userId\), got 0/],
    ["deleteUser", ["a", "b"], /takes 1 argument\(s\) \(userId\), got 2/],
    ["disableUser", ["not-an-id"], /userId must be an App Services user id, a string of 24 hex characters/],
    ["enableUser", [42], /userId must be an App Services user id/],
    ["logoutUser", [{ $oid: "65f0c0de00000000000000a1" }], /userId must be an App Services user id/],
    ["deletePendingUser", ["not an email"], /email must be an email address/],
  ])("%s with arguments %p gets a clear error", async (fn, args, message) => {
    const count = h.emulator.state.userCount();
    const { error } = await runFunction(h.emulator, fn, userOf(admin), args as unknown[]);
    expect(error?.message).toMatch(message);
    expect(error?.message).toMatch(/Nothing was changed/);
    expect(h.emulator.state.userCount()).toBe(count);
  });

  it("reports an unknown user id from the Admin API with its status", async () => {
    const { error } = await runFunction(h.emulator, "disableUser", userOf(admin), ["65f0c0de0000000000000fff"]);
    expect(error?.message).toMatch(/adminDisableUser .* failed with status 404/);
  });

  it.each(["disableUser", "enableUser", "logoutUser"])("%s with a wrong adminApiAppId is a configuration error, not a missing user", async (fn) => {
    const target = await createUser(h.emulator);
    h.emulator.runtime.setValue("adminApiAppId", "65f0c0de0000000000000eee");
    try {
      const { error } = await runFunction(h.emulator, fn, userOf(admin), [target]);
      expect(error?.message).toMatch(/no app 65f0c0de0000000000000eee .* check the values adminApiGroupId and adminApiAppId/);
    } finally {
      h.emulator.runtime.setValue("adminApiAppId", undefined);
    }
  });
});
