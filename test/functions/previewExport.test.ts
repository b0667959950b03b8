/**
 * previewDeleteCurrentUser and exportCurrentUserData through the built functions in the emulator
 * (issue 12, items 2 and 3): the preview changes nothing, counts exactly what the deletion then
 * does with one read per rule plus the login, and says whether the deletion can run; the export
 * pages through everything the plan covers, whole for documents owned alone, `_id` and the
 * caller's own entries for shared ones, and never anything of another user's.
 */
import { EJSON, ObjectId } from "bson";
import fc from "fast-check";
import { LIMITS } from "../../emulator/runtime/rules";
import { SYSTEM_USER, runFunction, createUser, startBuiltApp, userOf, type Harness } from "../helpers/builtApp";
import { recordOperations } from "../helpers/operationCount";

const B = "65f0c0de00000000000000b1";
const C = "65f0c0de00000000000000c1";

const PLAN = [
  { database: "app", collection: "groups", ownerField: "members", action: "delete" },
  { database: "app", collection: "chats", ownerField: "participants.id", action: "delete" },
  { database: "app", collection: "threads", ownerField: "participants.id", action: "anonymize", set: { "participants.name": "Deleted user" }, unset: ["participants.email"] },
  { database: "app", collection: "projects", ownerField: "team.members.user", action: "delete" },
  { database: "app", collection: "notes", ownerField: "owner_id", action: "delete" },
];

let h: Harness;

beforeAll(async () => {
  h = await startBuiltApp({ valueOverrides: { userDataCleanup: PLAN } });
});
afterAll(async () => {
  await h.emulator.close();
});
afterEach(() => h.emulator.faults.clear());

function seed(a: string): void {
  const store = h.emulator.store;
  store.insertMany("app", "groups", [
    { tag: `${a}-alone`, members: [a] },
    { tag: `${a}-scalar`, members: a, note: "mine" },
    { tag: `${a}-shared`, members: [a, B, C], name: "B and C's group name" },
    { tag: `${a}-shared-oid`, members: [B, new ObjectId(a)] },
    { tag: `${a}-others`, members: [B, C] },
  ]);
  store.insertMany("app", "chats", [
    { tag: `${a}-alone`, participants: [{ id: a, email: "a@example.com" }] },
    { tag: `${a}-shared`, participants: [{ id: B, email: "b@example.com" }, { id: new ObjectId(a), email: "a@example.com" }, { id: C }] },
  ]);
  store.insertMany("app", "threads", [
    { tag: `${a}-alone`, participants: [{ id: a, name: "Ann", email: "ann@example.com" }] },
    { tag: `${a}-shared`, participants: [{ id: a, name: "Ann", email: "ann@example.com" }, { id: B, name: "Bob", email: "bob@example.com" }] },
  ]);
  store.insertMany("app", "projects", [{ tag: `${a}-shared`, team: { name: "t", secret: "team secret", members: [{ user: a, role: "owner" }, { user: B, role: "dev" }] } }]);
  store.insertMany("app", "notes", [{ tag: `${a}-note`, owner_id: a, body: "my note" }]);
}

const snapshot = () => JSON.stringify(h.emulator.store.toEJSON());

async function exportAll(userId: string): Promise<{ pages: any[]; groups: Record<string, { owned: any[]; shared: any[] }> }> {
  const pages: any[] = [];
  const groups: Record<string, { owned: any[]; shared: any[] }> = {};
  let after: string | null | undefined;
  do {
    const { result, error } = await runFunction(h.emulator, "exportCurrentUserData", userOf(userId), after === undefined ? [] : [{ after }]);
    expect(error).toBeUndefined();
    const page = result as any;
    pages.push(page);
    for (const g of page.rules) {
      groups[g.rule] ??= { owned: [], shared: [] };
      groups[g.rule].owned.push(...g.owned);
      groups[g.rule].shared.push(...g.shared);
    }
    after = page.next;
  } while (after !== null && pages.length < 1000);
  return { pages, groups };
}

describe("previewDeleteCurrentUser", () => {
  it("counts per rule exactly what the deletion then does, and changes nothing", async () => {
    const a = await createUser(h.emulator);
    seed(a);
    seed(B);
    const before = snapshot();
    const { result, error } = await runFunction(h.emulator, "previewDeleteCurrentUser", userOf(a));
    expect(error).toBeUndefined();
    const preview = result as any;
    expect(snapshot()).toBe(before);
    expect(h.emulator.state.getUser(a)).toBeDefined();
    expect(preview).toEqual({
      userId: a,
      canDeleteNow: true,
      cleanup: [
        { rule: "app.groups by members", action: "delete", deleted: 2, anonymized: 0, detached: 2 },
        { rule: "app.chats by participants.id", action: "delete", deleted: 1, anonymized: 0, detached: 1 },
        { rule: "app.threads by participants.id", action: "anonymize", deleted: 0, anonymized: 1, detached: 1 },
        { rule: "app.projects by team.members.user", action: "delete", deleted: 0, anonymized: 0, detached: 1 },
        { rule: "app.notes by owner_id", action: "delete", deleted: 1, anonymized: 0, detached: 0 },
      ],
    });
    const deletion = await runFunction(h.emulator, "deleteCurrentUser", userOf(a));
    expect(deletion.error).toBeUndefined();
    const receipt = deletion.result as any;
    expect(receipt.cleanup.map((r: any) => [r.rule, r.documents, r.detached])).toEqual(
      preview.cleanup.map((r: any) => [r.rule, r.deleted + r.anonymized, r.detached]),
    );
  });

  it("sends one read per rule plus the Admin API login and its logout, and leaves no session open", async () => {
    const a = await createUser(h.emulator);
    seed(a);
    const sessions = h.emulator.state.sessionCount("admin");
    const seen = recordOperations(h.emulator.faults);
    const { error } = await runFunction(h.emulator, "previewDeleteCurrentUser", userOf(a));
    expect(error).toBeUndefined();
    expect(seen.filter((t) => t.startsWith("data:")).sort()).toEqual(PLAN.map((r) => `data:aggregate:${r.database}.${r.collection}`).sort());
    expect(seen.filter((t) => !t.startsWith("data:")).sort()).toEqual(["adminDeleteSession", "adminLogin"]);
    expect(h.emulator.state.sessionCount("admin")).toBe(sessions);
  });

  it("says the deletion cannot run now when the Admin API refuses the key, still counting", async () => {
    const a = await createUser(h.emulator);
    seed(a);
    h.emulator.runtime.setValue("adminApiPrivateKey", "not-the-key");
    try {
      const { result, error } = await runFunction(h.emulator, "previewDeleteCurrentUser", userOf(a));
      expect(error).toBeUndefined();
      const preview = result as any;
      expect(preview.canDeleteNow).toBe(false);
      expect(preview.reason).toMatch(/Admin API login was refused .*adminApiPublicKey and adminApiPrivateKey/);
      expect(preview.reason).not.toContain("not-the-key");
      expect(preview.cleanup[0].deleted).toBe(2);
    } finally {
      h.emulator.runtime.setValue("adminApiPrivateKey", h.emulator.adminKeys.privateKey);
    }
  });

  it("says the deletion cannot run now when the configuration is invalid, naming the problem", async () => {
    const a = await createUser(h.emulator);
    h.emulator.runtime.setValue("userDataCleanup", [{ database: "app", collection: "notes", ownerField: "owner_id", action: "erase" }]);
    try {
      const { result, error } = await runFunction(h.emulator, "previewDeleteCurrentUser", userOf(a));
      expect(error).toBeUndefined();
      expect(result).toEqual({ userId: a, canDeleteNow: false, reason: expect.stringMatching(/userDataCleanup\[0\].*"action" must be "delete" or "anonymize"/), cleanup: [] });
    } finally {
      h.emulator.runtime.setValue("userDataCleanup", PLAN);
    }
  });

  it("follows deleteCurrentUser's caller rules", async () => {
    const a = await createUser(h.emulator);
    expect((await runFunction(h.emulator, "previewDeleteCurrentUser", userOf(a), ["x"])).error?.message).toMatch(/takes no arguments/);
    expect((await runFunction(h.emulator, "previewDeleteCurrentUser", SYSTEM_USER, [], "system")).error?.message).toMatch(/must be called by a signed-in user/);
    expect((await runFunction(h.emulator, "previewDeleteCurrentUser", userOf(a, "server"))).error?.message).toMatch(/allowServerUserSelfDelete/);
  });
});

describe("exportCurrentUserData", () => {
  it("exports owned documents whole and shared ones as _id plus the caller's own entries", async () => {
    const a = await createUser(h.emulator);
    seed(a);
    seed(B);
    const before = snapshot();
    const { pages, groups } = await exportAll(a);
    expect(snapshot()).toBe(before);
    expect(pages).toHaveLength(1);
    const tags = (docs: any[]) => docs.map((d) => d.tag).sort();
    expect(tags(groups["app.groups by members"].owned)).toEqual([`${a}-alone`, `${a}-scalar`]);
    expect(groups["app.groups by members"].owned.find((d) => d.tag === `${a}-scalar`)).toEqual({ _id: expect.any(ObjectId), tag: `${a}-scalar`, members: a, note: "mine" });
    const sharedGroups = groups["app.groups by members"].shared;
    expect(sharedGroups).toHaveLength(2);
    expect(sharedGroups.map((d) => Object.keys(d).sort())).toEqual([["_id", "members"], ["_id", "members"]]);
    expect(sharedGroups.map((d) => EJSON.stringify(d.members))).toEqual(expect.arrayContaining([EJSON.stringify([a]), EJSON.stringify([new ObjectId(a)])]));
    expect(groups["app.chats by participants.id"].shared).toEqual([{ _id: expect.any(ObjectId), participants: [{ id: new ObjectId(a), email: "a@example.com" }] }]);
    expect(groups["app.threads by participants.id"].shared).toEqual([{ _id: expect.any(ObjectId), participants: [{ id: a, name: "Ann", email: "ann@example.com" }] }]);
    expect(groups["app.projects by team.members.user"]).toEqual({ owned: [], shared: [{ _id: expect.any(ObjectId), team: { members: [{ user: a, role: "owner" }] } }] });
    expect(groups["app.notes by owner_id"].owned).toEqual([{ _id: expect.any(ObjectId), tag: `${a}-note`, owner_id: a, body: "my note" }]);
    const text = EJSON.stringify(pages, { relaxed: false });
    for (const foreign of [B, C, "b@example.com", "bob@example.com", "team secret", "B and C's group name", `${B}-`]) expect(text).not.toContain(foreign);
    expect(h.lines.some((l) => l.includes(`[exportCurrentUserData] exported 10 document(s)`) && l.includes(`of user ${a}; last page`))).toBe(true);
  });

  it("pages stay under the request limit and together hold every document exactly once", async () => {
    const a = await createUser(h.emulator);
    const big = "x".repeat(900 * 1024);
    const docs = [];
    for (let i = 0; i < 12; i++) docs.push({ owner_id: a, n: i, big });
    for (let i = 12; i < 262; i++) docs.push({ owner_id: a, n: i });
    h.emulator.store.insertMany("app", "notes", docs);
    const { pages, groups } = await exportAll(a);
    expect(pages.length).toBeGreaterThan(2);
    for (const page of pages) expect(Buffer.byteLength(EJSON.stringify(page, { relaxed: false }))).toBeLessThan(LIMITS.requestBytes / 4);
    expect(pages[pages.length - 1].next).toBeNull();
    const ns = groups["app.notes by owner_id"].owned.map((d) => d.n).sort((x, y) => x - y);
    expect(ns).toEqual(docs.map((d) => d.n));
  });

  it("refuses a bad cursor or argument with an error saying what to pass, and a foreign caller", async () => {
    const a = await createUser(h.emulator);
    const errorOf = async (args: unknown[]) => (await runFunction(h.emulator, "exportCurrentUserData", userOf(a), args)).error?.message;
    expect(await errorOf([{ after: "not a cursor" }])).toMatch(/"after" is not a cursor this function returned .*Pass the "next" string/);
    expect(await errorOf([{ after: 42 }])).toMatch(/"after" must be a string cursor, got number/);
    expect(await errorOf([{ after: "99.0.0" }])).toMatch(/points past the cleanup plan's 5 rule\(s\)/);
    expect(await errorOf([{ after: "4.7.0" }])).toMatch(/names a part that rule app\.notes by owner_id does not have/);
    expect(await errorOf([{ cursor: "0.0.0" }])).toMatch(/unknown key\(s\) "cursor"/);
    expect(await errorOf(["0.0.0"])).toMatch(/takes one optional argument, an object \{ after \}/);
    expect((await runFunction(h.emulator, "exportCurrentUserData", SYSTEM_USER, [], "system")).error?.message).toMatch(/must be called by a signed-in user/);
    expect((await runFunction(h.emulator, "exportCurrentUserData", userOf(a, "server"))).error?.message).toMatch(/allowServerUserSelfDelete/);
  });
});

describe("exportCurrentUserData, property: no other user's id or entry ever appears", () => {
  const USERS = ["65f0c0de0000000000000a01", "65f0c0de0000000000000a02", "65f0c0de0000000000000a03"];
  const idForm = (user: number, asObjectId: boolean) => (asObjectId ? new ObjectId(USERS[user]) : USERS[user]);
  const entry = fc.record({ user: fc.integer({ min: 0, max: 2 }), oid: fc.boolean() });
  const shape = fc.oneof(
    fc.record({ kind: fc.constant("members" as const), entries: fc.array(entry, { minLength: 1, maxLength: 4 }) }),
    fc.record({ kind: fc.constant("participants" as const), entries: fc.array(entry, { minLength: 1, maxLength: 4 }) }),
  );
  const RUNS = Number(process.env.PROPERTY_RUNS ?? 40);

  it("holds over generated documents of both shapes", async () => {
    let round = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(shape, { minLength: 1, maxLength: 12 }), async (docs) => {
        const collection = `prop${++round}`;
        h.emulator.runtime.setValue("userDataCleanup", [
          { database: "prop", collection, ownerField: "members", action: "delete" },
          { database: "prop", collection: `${collection}p`, ownerField: "participants.id", action: "delete" },
        ]);
        const members = docs.filter((d) => d.kind === "members").map((d) => ({ members: d.entries.map((e) => idForm(e.user, e.oid)), private: d.entries.map((e) => `data-of-${e.user}`) }));
        const participants = docs
          .filter((d) => d.kind === "participants")
          .map((d) => ({ participants: d.entries.map((e) => ({ id: idForm(e.user, e.oid), secret: `entry-of-${e.user}` })), title: `title-${d.entries.map((e) => e.user).join("")}` }));
        if (members.length) h.emulator.store.insertMany("prop", collection, members);
        if (participants.length) h.emulator.store.insertMany("prop", `${collection}p`, participants);
        const { pages } = await exportAll(USERS[0]);
        const text = EJSON.stringify(pages, { relaxed: false });
        for (const other of [1, 2]) {
          expect(text).not.toContain(USERS[other]);
          expect(text).not.toContain(`entry-of-${other}`);
          expect(text).not.toContain(`data-of-${other}`);
        }
        // Complete: every generated document that mentions user 0 is exported, once.
        const mentions = docs.filter((d) => d.entries.some((e) => e.user === 0)).length;
        const exported = pages.reduce((n, p) => n + p.rules.reduce((m: number, g: any) => m + g.owned.length + g.shared.length, 0), 0);
        expect(exported).toBe(mentions);
      }),
      { numRuns: RUNS },
    );
    h.emulator.runtime.setValue("userDataCleanup", PLAN);
  });
});
