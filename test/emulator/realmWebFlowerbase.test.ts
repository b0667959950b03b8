/**
 * realm-web 2.0.1, unmodified, against the emulator's flowerbase profile and the real bundle:
 * register, log in, deleteCurrentUser, then the account, its tokens and its data are gone; and the
 * CLI's printed snippet works as printed there too.
 */
import * as Realm from "realm-web";
import { bannerFor, runSnippet, snippetIn } from "../helpers/cliBanner";
import { FLOWERBASE_DEFAULTS } from "../../emulator/flowerbase/documents";
import { demoCleanupPlan, seedDemo } from "../../emulator/seed";
import { builtAppDir } from "../helpers/builtApp";
import { startTestEmulator, type TestEmulator } from "../helpers/emulator";
import { realmApp } from "../helpers/realmWebClient";


describe("realm-web and the built bundle on the flowerbase profile", () => {
  let emulator: TestEmulator;
  beforeAll(async () => {
    emulator = await startTestEmulator({ appDir: await builtAppDir(), platform: "flowerbase", valueOverrides: { userDataCleanup: demoCleanupPlan() } });
    await seedDemo(emulator);
  }, 60_000);
  afterAll(() => emulator.close());

  const newApp = () => realmApp(emulator);
  const notesOf = (userId: string) => emulator.store.documents("demo", "notes").filter((d) => d.owner_id === userId);
  const tokensOf = (userId: string) => emulator.store.documents(FLOWERBASE_DEFAULTS.database, FLOWERBASE_DEFAULTS.refreshTokensCollection).filter((d) => String(d.userId) === userId);

  it("registers, logs in, deletes the current user with its data and tokens; logging in again fails; another user is untouched", async () => {
    const app = newApp();
    await app.emailPasswordAuth.registerUser({ email: "nora@example.com", password: "nora-password" });
    const credentials = Realm.Credentials.emailPassword("nora@example.com", "nora-password");
    const nora = await app.logIn(credentials);
    expect(nora.profile.email).toBe("nora@example.com");
    emulator.store.insertMany("demo", "notes", [{ owner_id: nora.id, title: "mine" }]);
    const bob = await newApp().logIn(Realm.Credentials.emailPassword("bob@example.com", "bob-demo-password"));
    expect(tokensOf(nora.id)).toHaveLength(1);

    const receipt = await nora.functions.deleteCurrentUser();
    expect(receipt).toMatchObject({ userId: nora.id, account: "deleted", deletedBy: "self" });
    expect(await emulator.flowerbase!.findUser(nora.id)).toBeUndefined();
    expect(notesOf(nora.id)).toEqual([]);
    expect(tokensOf(nora.id)).toEqual([]);

    await expect(nora.functions.deleteCurrentUser()).rejects.toMatchObject({ statusCode: 401 });
    await expect(app.logIn(credentials)).rejects.toMatchObject({ statusCode: 401, errorCode: "InvalidPassword" });
    await expect(bob.refreshProfile()).resolves.toBeUndefined();
    expect(notesOf(bob.id)).toHaveLength(1);
    expect(tokensOf(bob.id)).toHaveLength(1);
  });

  it("a function error reaches realm-web as Flowerbase sends it: 400, FunctionExecutionError, JSON of message and the thrown error's own name", async () => {
    const alice = await newApp().logIn(Realm.Credentials.emailPassword("alice@example.com", "alice-demo-password"));
    await expect(alice.functions.deleteCurrentUser("someone-else")).rejects.toMatchObject({
      statusCode: 400,
      errorCode: "FunctionExecutionError",
      error: expect.stringMatching(/^\{"message":"deleteCurrentUser takes no arguments.*","name":"InvalidArgumentError"\}$/),
    });
    expect(await emulator.flowerbase!.findUser(alice.id)).toBeDefined();
  });

  it("the CLI's printed snippet works as printed", async () => {
    const seed = await seedDemo(emulator);
    const text = bannerFor(emulator, seed, "flowerbase");
    expect(text).toContain("Flowerbase emulator running at");
    const stdout = await runSnippet(snippetIn(text));
    expect(stdout).toContain('"account": "deleted"');
    expect(stdout).toMatch(/logging in again fails, as it should/);
  }, 60_000);
});
