/**
 * The user functions as built, in both emulator profiles (App Services and Flowerbase): every
 * call goes over the client API with tokens from a real login, so `context.user` is what each
 * platform gives; afterwards the user's sessions (access and refresh tokens) and data are checked.
 */
import { FLOWERBASE_DEFAULTS, customDataDocument, resetRequestDocument } from "../../emulator/flowerbase/documents";
import { PLATFORMS, callAs, canLogIn, login, sessionWorks, startProfile, triggerUserOf, uniqueEmail, type ProfileHarness, type Tokens } from "../helpers/profiles";
import { jwtPayload } from "../helpers/emulator";

const PLAN = [{ database: "demo", collection: "notes", ownerField: "owner_id", action: "delete" }];

describe.each(PLATFORMS)("the user functions on %s", (platform) => {
  let h: ProfileHarness;
  let adminEmail: string;
  let admin: string;
  beforeAll(async () => {
    h = await startProfile(platform);
    adminEmail = uniqueEmail("admin");
    admin = await h.createUser(adminEmail);
  });
  afterAll(() => h.close());
  beforeEach(() => {
    h.emulator.runtime.setValue("accountAdmins", [admin]);
    h.emulator.runtime.setValue("userDataCleanup", PLAN);
  });

  const notes = () => h.emulator.store.documents("demo", "notes");
  const userWithNotes = (label: string) => userWithNotesIn(h, label);

  it("deleteCurrentUser deletes the caller, ends their sessions and deletes their data, and no one else's", async () => {
    const other = await userWithNotes("other");
    const user = await userWithNotes("self");
    const { status, result } = await callAs(h, user.tokens, "deleteCurrentUser");
    expect(status).toBe(200);
    expect(result).toMatchObject({ userId: user.id, account: "deleted", deletedBy: "self", cleanup: [{ rule: "demo.notes by owner_id", documents: 2 }] });
    expect(await h.userExists(user.id)).toBe(false);
    expect(await sessionWorks(h, user.tokens)).toEqual({ access: false, refresh: false });
    expect(await canLogIn(h, user.email)).toBe(false);
    expect(notes().filter((n) => n.owner_id === user.id)).toEqual([]);
    expect(notes().filter((n) => n.owner_id === other.id)).toHaveLength(2);
    expect(await sessionWorks(h, other.tokens)).toEqual({ access: true, refresh: true });
  });

  it("deleteUser: an admin deletes a user with their data and sessions; a non-admin changes nothing", async () => {
    const target = await userWithNotes("target");
    const stranger = await userWithNotes("stranger");
    const denied = await callAs(h, stranger.tokens, "deleteUser", [target.id]);
    expect(denied.error).toMatch(/is not an account admin/);
    expect(await h.userExists(target.id)).toBe(true);
    expect(notes().filter((n) => n.owner_id === target.id)).toHaveLength(2);

    const adminTokens = await login(h, adminEmail);
    const { result } = await callAs(h, adminTokens, "deleteUser", [target.id]);
    expect(result).toMatchObject({ userId: target.id, account: "deleted", deletedBy: "admin" });
    expect(await h.userExists(target.id)).toBe(false);
    expect(await sessionWorks(h, target.tokens)).toEqual({ access: false, refresh: false });
    expect(notes().filter((n) => n.owner_id === target.id)).toEqual([]);
    // A retried call finds the account gone and succeeds.
    expect((await callAs(h, adminTokens, "deleteUser", [target.id])).result).toMatchObject({ account: "alreadyGone" });
  });

  it("previewDeleteCurrentUser counts the caller's data, says the deletion can run, and changes nothing", async () => {
    const user = await userWithNotes("preview");
    const before = JSON.stringify(notes());
    const { status, result } = await callAs(h, user.tokens, "previewDeleteCurrentUser");
    expect(status).toBe(200);
    expect(result).toMatchObject({ userId: user.id, canDeleteNow: true, cleanup: [{ rule: "demo.notes by owner_id", action: "delete", deleted: 2, anonymized: 0, detached: 0 }] });
    expect(JSON.stringify(notes())).toBe(before);
    expect(await h.userExists(user.id)).toBe(true);
    expect(await sessionWorks(h, user.tokens)).toEqual({ access: true, refresh: true });
  });

  it("exportCurrentUserData returns the caller's documents and no one else's", async () => {
    await userWithNotes("export-other");
    const user = await userWithNotes("export");
    const { status, result } = await callAs(h, user.tokens, "exportCurrentUserData");
    expect(status).toBe(200);
    const text = JSON.stringify(result);
    expect(text).toContain(user.id);
    const owners = new Set(notes().map((n) => String(n.owner_id)));
    for (const owner of owners) if (owner !== user.id) expect(text).not.toContain(owner);
    expect((text.match(/"title"/g) ?? []).length).toBe(2);
  });

  it("disableUser ends the user's sessions and blocks login; enableUser lets them log in again", async () => {
    const target = await userWithNotes("disabled");
    const adminTokens = await login(h, adminEmail);
    expect((await callAs(h, adminTokens, "disableUser", [target.id])).result).toEqual({ userId: target.id, action: "disabled" });
    expect(await h.isDisabled(target.id)).toBe(true);
    expect(await sessionWorks(h, target.tokens)).toEqual({ access: false, refresh: false });
    expect(await canLogIn(h, target.email)).toBe(false);
    expect(notes().filter((n) => n.owner_id === target.id)).toHaveLength(2);

    expect((await callAs(h, adminTokens, "enableUser", [target.id])).result).toEqual({ userId: target.id, action: "enabled" });
    expect(await h.isDisabled(target.id)).toBe(false);
    await nextSecond(); // Flowerbase refuses a token whose iat (in seconds) is not after lastLogoutAt
    expect(await sessionWorks(h, await login(h, target.email))).toEqual({ access: true, refresh: true });
  });

  it("logoutUser ends every session of the user, who can log in again", async () => {
    const target = await userWithNotes("logout");
    const second = await login(h, target.email);
    const adminTokens = await login(h, adminEmail);
    expect((await callAs(h, adminTokens, "logoutUser", [target.id])).result).toEqual({ userId: target.id, action: "loggedOut" });
    expect(await sessionWorks(h, target.tokens)).toEqual({ access: false, refresh: false });
    expect(await sessionWorks(h, second)).toEqual({ access: false, refresh: false });
    expect(await h.userExists(target.id)).toBe(true);
    await nextSecond();
    expect(await sessionWorks(h, await login(h, target.email))).toEqual({ access: true, refresh: true });
  });

  it("deletePendingUser deletes a pending registration only; a confirmed account with that email is untouched", async () => {
    const pendingEmail = uniqueEmail("pending");
    await h.registerPending(pendingEmail);
    const confirmed = await userWithNotes("confirmed");
    const adminTokens = await login(h, adminEmail);

    expect((await callAs(h, adminTokens, "deletePendingUser", [pendingEmail])).result).toEqual({ pendingRegistration: "deleted" });
    expect(await h.pendingExists(pendingEmail)).toBe(false);
    expect((await callAs(h, adminTokens, "deletePendingUser", [confirmed.email])).result).toEqual({ pendingRegistration: "alreadyGone" });
    expect(await h.userExists(confirmed.id)).toBe(true);
    expect(await sessionWorks(h, confirmed.tokens)).toEqual({ access: true, refresh: true });
    expect(h.lines.join("\n")).not.toContain(pendingEmail);
  });

  it("refuses a trigger's call to deleteCurrentUser (no signed-in caller) and touches nothing", async () => {
    const user = await userWithNotes("trigger");
    await expect(h.emulator.runtime.call("deleteCurrentUser", [], triggerUserOf(h), "system")).rejects.toThrow(/must be called by a signed-in user/);
    expect(await h.userExists(user.id)).toBe(true);
    expect(notes().filter((n) => n.owner_id === user.id)).toHaveLength(2);
  });
});

describe("Flowerbase specifics", () => {
  let h: ProfileHarness;
  let adminEmail: string;
  let admin: string;
  beforeAll(async () => {
    h = await startProfile("flowerbase");
    adminEmail = uniqueEmail("admin");
    admin = await h.createUser(adminEmail);
  });
  afterAll(() => h.close());
  beforeEach(() => {
    h.emulator.runtime.setValue("accountAdmins", [admin]);
    h.emulator.runtime.setValue("userDataCleanup", PLAN);
  });
  const fb = () => h.emulator.flowerbase!;
  const main = FLOWERBASE_DEFAULTS.database;

  it("runs the bundle as installed with --into into a Flowerbase-shaped app, whose own function and trigger stay", async () => {
    const user = uniqueEmail("app-owner");
    await h.createUser(user);
    expect((await callAs(h, await login(h, user), "appHello")).result).toBe("hello from the app");
    expect(h.emulator.nextTriggerRuns().map((t) => t.trigger).sort()).toEqual(["appNightly", "purgePendingUsers", "sweepOrphanedUserData"]);
  });

  it("a deletion removes the user's refresh tokens, reset requests and custom user data, and only theirs", async () => {
    const email = uniqueEmail("full");
    const id = await h.createUser(email);
    const keep = uniqueEmail("keep");
    const keepId = await h.createUser(keep);
    const tokens = await login(h, email);
    await login(h, keep);
    h.emulator.store.insertMany(main, FLOWERBASE_DEFAULTS.resetPasswordCollection, [resetRequestDocument(email, "t1", "i1", new Date()), resetRequestDocument(keep, "t2", "i2", new Date())]);
    h.emulator.store.insertMany(main, FLOWERBASE_DEFAULTS.customDataCollection, [customDataDocument(id, { nickname: "x" }), customDataDocument(keepId, { nickname: "y" })]);

    expect((await callAs(h, tokens, "deleteCurrentUser")).result).toMatchObject({ account: "deleted" });
    const count = (collection: string, field: string, value: string) => h.emulator.store.documents(main, collection).filter((d) => String(d[field]) === value).length;
    expect(count(FLOWERBASE_DEFAULTS.refreshTokensCollection, "userId", id)).toBe(0);
    expect(count(FLOWERBASE_DEFAULTS.resetPasswordCollection, "email", email)).toBe(0);
    expect(count(FLOWERBASE_DEFAULTS.customDataCollection, "id", id)).toBe(0);
    expect(count(FLOWERBASE_DEFAULTS.refreshTokensCollection, "userId", keepId)).toBe(1);
    expect(count(FLOWERBASE_DEFAULTS.resetPasswordCollection, "email", keep)).toBe(1);
    expect(count(FLOWERBASE_DEFAULTS.customDataCollection, "id", keepId)).toBe(1);
  });

  describe("a failure at each of the deletion's data calls keeps the account, and one more call completes", () => {
    const cases: Array<[string, string]> = [
      ["the refresh tokens", FLOWERBASE_DEFAULTS.refreshTokensCollection],
      ["the reset requests", FLOWERBASE_DEFAULTS.resetPasswordCollection],
      ["the custom user data", FLOWERBASE_DEFAULTS.customDataCollection],
    ];
    it.each(cases)("%s", async (_step, collection) => {
      const email = uniqueEmail("retry");
      const id = await h.createUser(email);
      const tokens = await login(h, email);
      h.emulator.store.insertMany(main, FLOWERBASE_DEFAULTS.resetPasswordCollection, [resetRequestDocument(email, "t-retry", "i-retry", new Date())]);
      h.emulator.store.insertMany(main, FLOWERBASE_DEFAULTS.customDataCollection, [customDataDocument(id, { nickname: "r" })]);
      const count = (name: string, field: string, value: string) => h.emulator.store.documents(main, name).filter((d) => String(d[field]) === value).length;

      h.emulator.faults.inject({ match: `data:deleteMany:${main}.${collection}`, kind: "status500" });
      const failed = await callAs(h, tokens, "deleteCurrentUser");
      expect(failed.error).toMatch(/stopped at step "deleteAccount"/);
      expect(await h.userExists(id)).toBe(true);

      const retry = await callAs(h, tokens, "deleteCurrentUser");
      expect(retry.error).toBeUndefined();
      expect(retry.result).toMatchObject({ account: "deleted" });
      expect(await h.userExists(id)).toBe(false);
      expect(count(FLOWERBASE_DEFAULTS.refreshTokensCollection, "userId", id)).toBe(0);
      expect(count(FLOWERBASE_DEFAULTS.resetPasswordCollection, "email", email)).toBe(0);
      expect(count(FLOWERBASE_DEFAULTS.customDataCollection, "id", id)).toBe(0);
    });
  });

  it("context.user is Flowerbase's flattened access token (typ, id, sub, data, _id as an ObjectId), with no type", async () => {
    const email = uniqueEmail("shape");
    const id = await h.createUser(email);
    const tokens = await login(h, email);
    const claims = jwtPayload(tokens.access);
    expect(claims).toMatchObject({ typ: "access", id, sub: id, data: { _id: id, id, email } });
    expect(claims.type).toBeUndefined();
  });

  it("enableUser refuses a pending user (it would confirm an unconfirmed email); disableUser refuses one too", async () => {
    const email = uniqueEmail("pending-enable");
    await h.registerPending(email);
    const pending = (await fb().findByEmail(email))!._id.toHexString();
    const adminTokens = await login(h, adminEmail);
    expect((await callAs(h, adminTokens, "enableUser", [pending])).error).toMatch(/has status "pending"; only a user with status disabled can be enabled/);
    expect((await callAs(h, adminTokens, "disableUser", [pending])).error).toMatch(/has status "pending"/);
    expect((await fb().findUser(pending))?.status).toBe("pending");
    expect((await callAs(h, adminTokens, "disableUser", ["65f0c0de00000000000000ff"])).error).toMatch(/there is no user 65f0c0de00000000000000ff in main.auth_users/);
  });

  it("a wrong userStoreDatabase is a configuration error before anything is touched", async () => {
    const user = await userWithNotesIn(h, "wrong-store");
    h.emulator.runtime.setValue("userStoreDatabase", "elsewhere");
    try {
      const { error } = await callAs(h, user.tokens, "deleteCurrentUser");
      expect(error).toMatch(/The user store elsewhere.auth_users has no user .* \(the caller\): set userStoreDatabase and userStoreCollection/);
    } finally {
      h.emulator.runtime.setValue("userStoreDatabase", main);
    }
    expect(await h.userExists(user.id)).toBe(true);
    expect(h.emulator.store.documents("demo", "notes").filter((n) => n.owner_id === user.id)).toHaveLength(2);
  });
});

describe.each(PLATFORMS)("configuration errors on %s touch nothing", (platform) => {
  let h: ProfileHarness;
  beforeAll(async () => {
    h = await startProfile(platform);
  });
  afterAll(() => h.close());

  async function expectNothingTouched(setup: () => void, message: RegExp): Promise<void> {
    const user = await userWithNotesIn(h, "config");
    h.emulator.runtime.setValue("userDataCleanup", [{ database: "demo", collection: "notes", ownerField: "owner_id", action: "delete" }]);
    setup();
    const { error } = await callAs(h, user.tokens, "deleteCurrentUser");
    expect(error).toMatch(message);
    expect(await h.userExists(user.id)).toBe(true);
    expect(h.emulator.store.documents("demo", "notes").filter((n) => n.owner_id === user.id)).toHaveLength(2);
    expect(await sessionWorks(h, user.tokens)).toEqual({ access: true, refresh: true });
  }

  it("a runtime value naming the other platform", async () => {
    const other = platform === "flowerbase" ? "appservices" : "flowerbase";
    await expectNothingTouched(() => h.emulator.runtime.setValue("runtime", other), new RegExp(`Value "runtime" says "${other}", but this runtime`));
    h.emulator.runtime.setValue("runtime", undefined);
  });

  it("a dataSourceName naming no data source", async () => {
    await expectNothingTouched(() => h.emulator.runtime.setValue("dataSourceName", "nope"), /There is no data source "nope" \(value "dataSourceName"\): set it to .*"mongodb-atlas"/);
    h.emulator.runtime.setValue("dataSourceName", undefined);
  });

  if (platform === "flowerbase") {
    it("a JSON-valued environment variable that is not JSON", async () => {
      await expectNothingTouched(() => h.emulator.runtime.setValue("userDataCleanup", '[{"database":"demo"'), /Environment variable "userDataCleanup" is not valid JSON/);
    });

    it("userDataCleanup unset", async () => {
      await expectNothingTouched(() => h.emulator.runtime.setValue("userDataCleanup", undefined), /Environment variable "userDataCleanup" is not set/);
    });
  }
});

async function userWithNotesIn(h: ProfileHarness, label: string): Promise<{ email: string; id: string; tokens: Tokens }> {
  const email = uniqueEmail(label);
  const id = await h.createUser(email);
  h.emulator.store.insertMany("demo", "notes", [{ owner_id: id, title: "one" }, { owner_id: id, title: "two" }]);
  return { email, id, tokens: await login(h, email) };
}

/** Waits into the next whole second (token iat has second resolution). */
function nextSecond(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 5));
}
