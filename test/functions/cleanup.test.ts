/**
 * Linked-data cleanup through the built deleteCurrentUser and deleteUser: what is deleted, what is
 * anonymized, what is never touched, and a failure injected at each step followed by one more call.
 */
import { ObjectId } from "bson";
import type { FaultKind } from "../../emulator/faults";
import { runFunction, createUser, startBuiltApp, startBuiltAppWithAdmin, userOf, type Harness } from "../helpers/builtApp";

const PLAN = [
  { database: "app", collection: "posts", ownerField: "owner_id", action: "delete" },
  { database: "app", collection: "comments", ownerField: "author.id", action: "delete" },
  { database: "app", collection: "messages", ownerField: "sender", action: "anonymize", set: { senderName: "Deleted user" }, unset: ["senderEmail"] },
];

let h: Harness;
let admin: string;

beforeAll(async () => {
  ({ admin, ...h } = await startBuiltAppWithAdmin(PLAN));
});
afterAll(async () => {
  await h.emulator.close();
});
afterEach(() => h.emulator.faults.clear());

/** Documents for `owner` in every planned collection (id as string and as ObjectId), plus one that only mentions it. */
function seed(owner: string): void {
  const store = h.emulator.store;
  store.insertMany("app", "posts", [
    { owner_id: owner, title: `post by ${owner}` },
    { owner_id: new ObjectId(owner), title: "objectid owner" },
    { owner_id: "someone-else", title: `mentions ${owner}`, mentions: [owner] },
  ]);
  store.insertMany("app", "comments", [{ author: { id: owner }, text: "hi" }]);
  store.insertMany("app", "messages", [{ sender: owner, senderName: "Ann", senderEmail: "ann@example.com", text: "hello", thread: "t1" }]);
}

const ownedBy = (owner: string) =>
  (["posts", "comments", "messages"] as const).flatMap((c) =>
    h.emulator.store.documents("app", c).filter((d) => {
      const values = [d.owner_id, (d.author as { id?: unknown } | undefined)?.id, d.sender].map((v) => String(v));
      return values.includes(owner);
    }),
  );

const snapshotOf = (owner: string) => JSON.stringify(ownedBy(owner));

describe("cleanup through deleteCurrentUser", () => {
  it("deletes and anonymizes the caller's documents, counts them, and leaves everyone else's intact", async () => {
    const id = await createUser(h.emulator);
    const other = await createUser(h.emulator);
    seed(id);
    seed(other);
    const before = snapshotOf(other);
    const mentions = h.emulator.store.documents("app", "posts").filter((d) => JSON.stringify(d).includes(id) && d.owner_id === "someone-else");

    const { result, error } = await runFunction(h.emulator, "deleteCurrentUser", userOf(id));
    expect(error).toBeUndefined();
    expect(result).toMatchObject({
      account: "deleted",
      cleanup: [
        { rule: "app.posts by owner_id", action: "delete", documents: 2 },
        { rule: "app.comments by author.id", action: "delete", documents: 1 },
        { rule: "app.messages by sender", action: "anonymize", documents: 1 },
      ],
    });
    expect(ownedBy(id)).toEqual([]);
    const anonymized = h.emulator.store.documents("app", "messages").filter((m) => m.text === "hello" && m.senderName === "Deleted user");
    expect(anonymized.length).toBeGreaterThanOrEqual(1);
    expect(anonymized[0]).not.toHaveProperty("sender");
    expect(anonymized[0]).not.toHaveProperty("senderEmail");
    expect(snapshotOf(other)).toBe(before);
    // A document that mentions the id outside the owner field is untouched.
    for (const doc of mentions) expect(h.emulator.store.documents("app", "posts")).toContainEqual(doc);
  });

  it("writes one audit record per deletion, without personal data", async () => {
    const id = await createUser(h.emulator, `audited-${Date.now()}@example.com`);
    seed(id);
    await runFunction(h.emulator, "deleteCurrentUser", userOf(id));
    const records = h.emulator.store.documents("app", "deletions").filter((r) => r.userId === id);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ _id: `deletion:${id}`, runs: [{ actor: "self", account: "deleted" }] });
    expect(JSON.stringify(records[0])).not.toMatch(/audited-|@example\.com|Ann/);
  });

  it("refuses a malformed plan before touching anything", async () => {
    const bad = await startBuiltApp({ valueOverrides: { userDataCleanup: [{ database: "app", collection: "posts", owner: "owner_id", action: "delete" }] } });
    try {
      const id = await createUser(bad.emulator);
      bad.emulator.store.insertMany("app", "posts", [{ owner_id: id }]);
      const { error } = await runFunction(bad.emulator, "deleteCurrentUser", userOf(id));
      expect(error?.message).toMatch(/userDataCleanup\[0\]: unknown key "owner" for action "delete"; allowed: database, collection, ownerField, action/);
      expect(bad.emulator.state.getUser(id)).toBeDefined();
      expect(bad.emulator.store.documents("app", "posts")).toHaveLength(1);
    } finally {
      await bad.emulator.close();
    }
  });
});

describe("a failure at each step leaves a state one more call completes", () => {
  /** Which call fails: the nth data-service call to a target, or an Admin API operation. */
  const nth = (target: string, n: number) => {
    let seen = 0;
    return (t: string) => t === target && ++seen === n;
  };
  const cases: Array<[string, () => string | ((t: string) => boolean), boolean]> = [
    // [step, fault target, account deleted by the failing call]
    ["login", () => "adminLogin", false],
    ["the posts rule", () => nth("data:deleteMany:app.posts", 1), false],
    ["the comments rule", () => nth("data:deleteMany:app.comments", 1), false],
    ["the messages rule", () => nth("data:updateMany:app.messages", 1), false],
    ["the account delete", () => "adminDeleteUser", false],
    ["the final pass", () => nth("data:deleteMany:app.posts", 2), true],
    ["the audit record", () => nth("data:updateOne:app.deletions", 1), true],
  ];

  for (const kind of ["status500", "drop"] as FaultKind[]) {
    it.each(cases)(`%s (${kind})`, async (_step, match, accountGone) => {
      const id = await createUser(h.emulator);
      const other = await createUser(h.emulator);
      seed(id);
      seed(other);
      const before = snapshotOf(other);

      h.emulator.faults.inject({ match: match(), kind });
      const failed = await runFunction(h.emulator, "deleteCurrentUser", userOf(id));
      expect(failed.error?.message).toMatch(/stopped at step "\w+"/);
      expect(snapshotOf(other)).toBe(before);
      expect(h.emulator.state.getUser(id) === undefined).toBe(accountGone);

      // One more call: the user themselves while the account exists, an admin after.
      const retry = accountGone
        ? await runFunction(h.emulator, "deleteUser", userOf(admin), [id])
        : await runFunction(h.emulator, "deleteCurrentUser", userOf(id));
      expect(retry.error).toBeUndefined();
      expect(h.emulator.state.getUser(id)).toBeUndefined();
      expect(ownedBy(id)).toEqual([]);
      expect(snapshotOf(other)).toBe(before);
    });
  }
});
