/**
 * realm-web 2.0.1, unmodified, as the client of the emulator: login, functions, the built-in
 * delete, anonymous users, token refresh and logout; then the real bundle's deleteCurrentUser,
 * and the snippet the CLI prints, run as printed in a separate node process.
 */
import * as Realm from "realm-web";
import { ManualClock } from "../../emulator/accounts/clock";
import { seedDemo, demoCleanupPlan } from "../../emulator/seed";
import { bannerFor, runSnippet as runPrintedSnippet, snippetIn } from "../helpers/cliBanner";
import { makeFixtureApp, startTestEmulator, type TestEmulator } from "../helpers/emulator";
import { realmApp } from "../helpers/realmWebClient";
import { runNodeCode } from "../helpers/scripts";
import { builtAppDir } from "../helpers/builtApp";


describe("realm-web against the emulator (fixture functions)", () => {
  let emulator: TestEmulator;
  const clock = new ManualClock();

  beforeAll(async () => {
    emulator = await startTestEmulator({ appDir: makeFixtureApp(), clock });
  });
  afterAll(() => emulator.close());

  it("registers, logs in with email/password and calls a function", async () => {
    const app = realmApp(emulator);
    await app.emailPasswordAuth.registerUser({ email: "nora@example.com", password: "nora-password" });
    const user = await app.logIn(Realm.Credentials.emailPassword("nora@example.com", "nora-password"));
    expect(user.profile.email).toBe("nora@example.com");
    expect(user.identities).toEqual([{ id: expect.any(String), providerType: "local-userpass" }]);
    expect(user.customData).toEqual({});
    expect(await user.functions.whoami()).toBe(user.id);
    const echoed = await user.functions.echo({ a: 1 }, "two");
    expect(echoed.args).toEqual([{ a: 1 }, "two"]);
    expect(echoed.user.data).toEqual({ email: "nora@example.com" });
  });

  it("deletes the current user with app.deleteUser; logging in again fails", async () => {
    const app = realmApp(emulator);
    await app.emailPasswordAuth.registerUser({ email: "otto@example.com", password: "otto-password" });
    const credentials = Realm.Credentials.emailPassword("otto@example.com", "otto-password");
    const user = await app.logIn(credentials);
    const id = user.id;
    await app.deleteUser(user);
    expect(user.state).toBe("removed");
    expect(emulator.state.getUser(id)).toBeUndefined();
    await expect(app.logIn(credentials)).rejects.toMatchObject({ statusCode: 401, errorCode: "InvalidPassword" });
  });

  it("logs in anonymously and calls a function", async () => {
    const app = realmApp(emulator);
    const user = await app.logIn(Realm.Credentials.anonymous());
    expect(user.profile).toEqual({});
    expect(user.identities[0].providerType).toBe("anon-user");
    expect(await user.functions.whoami()).toBe(user.id);
  });

  it("refreshes an expired access token by itself and retries the call", async () => {
    const app = realmApp(emulator);
    const user = await app.logIn(Realm.Credentials.anonymous(false));
    const before = user.accessToken;
    clock.advance(31 * 60 * 1000);
    expect(await user.functions.whoami()).toBe(user.id);
    expect(user.accessToken).not.toBe(before);
  });

  it("logs out: the server ends the session", async () => {
    const app = realmApp(emulator);
    const user = await app.logIn(Realm.Credentials.anonymous(false));
    expect(emulator.state.sessionCount("client", user.id)).toBe(1);
    await user.logOut();
    expect(user.state).toBe("logged-out");
    expect(emulator.state.sessionCount("client", user.id)).toBe(0);
  });

  it("a disabled user cannot log in", async () => {
    const app = realmApp(emulator);
    await app.emailPasswordAuth.registerUser({ email: "pia@example.com", password: "pia-password" });
    emulator.state.setDisabled(emulator.state.findUserByEmail("pia@example.com")!.id, true);
    await expect(app.logIn(Realm.Credentials.emailPassword("pia@example.com", "pia-password"))).rejects.toMatchObject({
      statusCode: 401,
      errorCode: "UserDisabled",
    });
  });

  it("reports function errors as App Services does", async () => {
    const user = await realmApp(emulator).logIn(Realm.Credentials.anonymous());
    await expect(user.functions.fail()).rejects.toMatchObject({ statusCode: 400, errorCode: "FunctionExecutionError", error: "boom: the widget is broken" });
    await expect(user.functions.noSuchFunction()).rejects.toMatchObject({ statusCode: 404, errorCode: "FunctionNotFound", error: "function not found: 'noSuchFunction'" });
  });
});

describe("realm-web and the built bundle's deleteCurrentUser", () => {
  let emulator: TestEmulator;
  let appDir: string;

  beforeAll(async () => {
    appDir = await builtAppDir();
    emulator = await startTestEmulator({ appDir, valueOverrides: { userDataCleanup: demoCleanupPlan() } });
    await seedDemo(emulator);
  }, 60_000);
  afterAll(() => emulator.close());

  const notesOf = (userId: string) => emulator.store.documents("demo", "notes").filter((d) => d.owner_id === userId);

  it("deletes the caller and its data; its next call and login fail; another user is untouched", async () => {
    const aliceApp = realmApp(emulator);
    const bobApp = realmApp(emulator);
    const aliceCredentials = Realm.Credentials.emailPassword("alice@example.com", "alice-demo-password");
    const alice = await aliceApp.logIn(aliceCredentials);
    const bob = await bobApp.logIn(Realm.Credentials.emailPassword("bob@example.com", "bob-demo-password"));
    expect(notesOf(alice.id)).toHaveLength(2);

    const receipt = await alice.functions.deleteCurrentUser();
    expect(receipt).toMatchObject({ userId: alice.id, account: "deleted", deletedBy: "self" });
    expect(emulator.state.getUser(alice.id)).toBeUndefined();
    expect(notesOf(alice.id)).toHaveLength(0);
    expect(emulator.store.documents("demo", "comments").some((c) => c.author_id === alice.id)).toBe(false);

    await expect(alice.functions.deleteCurrentUser()).rejects.toMatchObject({ statusCode: 401, errorCode: "InvalidSession" });
    await expect(aliceApp.logIn(aliceCredentials)).rejects.toMatchObject({ statusCode: 401, errorCode: "InvalidPassword" });

    await expect(bob.refreshProfile()).resolves.toBeUndefined();
    expect(bob.profile.email).toBe("bob@example.com");
    expect(notesOf(bob.id)).toHaveLength(1);
    expect(emulator.state.sessionCount("client", bob.id)).toBe(1);
  });

  it("deletes an anonymous caller the same way", async () => {
    const app = realmApp(emulator);
    const anon = await app.logIn(Realm.Credentials.anonymous());
    const receipt = await anon.functions.deleteCurrentUser();
    expect(receipt).toMatchObject({ userId: anon.id, account: "deleted" });
    expect(emulator.state.getUser(anon.id)).toBeUndefined();
    await expect(anon.functions.deleteCurrentUser()).rejects.toMatchObject({ statusCode: 401 });
  });

  it("refuses a server (API key) user by default and changes nothing", async () => {
    const { user: server, key } = emulator.state.createServerApiKey("backend");
    const app = realmApp(emulator);
    const user = await app.logIn(Realm.Credentials.apiKey(key));
    expect(user.id).toBe(server.id);
    await expect(user.functions.deleteCurrentUser()).rejects.toMatchObject({ statusCode: 400, errorCode: "FunctionExecutionError", error: expect.stringMatching(/server \(API key\) user/) });
    expect(emulator.state.getUser(server.id)).toBeDefined();
  });

  it("the CLI's printed snippet works as printed, also after restarts that find demo users gone, and shows no key", async () => {
    const fresh = await startTestEmulator({ appDir, valueOverrides: { userDataCleanup: demoCleanupPlan() } });
    const runSnippet = async () => {
      const seed = await seedDemo(fresh);
      const text = bannerFor(fresh, seed);
      expect(text).not.toContain(fresh.adminKeys.privateKey);
      expect(text).not.toContain(fresh.adminKeys.publicKey);
      const snippet = snippetIn(text);
      const stdout = await runPrintedSnippet(snippet);
      expect(stdout).toContain('"account": "deleted"');
      expect(stdout).toMatch(/logging in again fails, as it should: .*invalid username\/password/);
      return snippet;
    };
    try {
      const first = await runSnippet(); // deletes alice
      expect(fresh.state.findUserByEmail("alice@example.com")).toBeUndefined();
      // The same snippet again, alice gone: one clear line, no unhandled rejection or stack.
      const again = await runNodeCode(first);
      expect(again.stderr).toBe("");
      expect(again.stdout.trim().split("\n")).toEqual([
        expect.stringMatching(/^The snippet stopped: invalid username\/password\. Was alice@example\.com deleted by an earlier run\? npm start prints a fresh snippet/),
      ]);
      await runSnippet(); // alice is gone: the snippet uses bob
      expect(fresh.state.findUserByEmail("bob@example.com")).toBeUndefined();
      await runSnippet(); // both gone: the snippet registers alice again first
      expect(fresh.state.userCount()).toBe(0);
    } finally {
      await fresh.close();
    }
  }, 60_000);
});
