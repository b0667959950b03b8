/**
 * Shared documents through the built deleteCurrentUser (issue 10, item 1): a document the departing
 * user owns alone gets the rule's action; in a document they share they are only detached (their
 * id pulled from an array of ids; their own element pulled, or anonymized alone, in an array of
 * subdocuments), and the receipt counts detached documents apart. The number of data operations
 * per rule does not grow with the number of documents.
 */
import { ObjectId } from "bson";
import { runFunction, createUser, startBuiltAppWithAdmin, userOf, type Harness } from "../helpers/builtApp";
import { recordOperations } from "../helpers/operationCount";

const B = "65f0c0de00000000000000b1";
const C = "65f0c0de00000000000000c1";

const PLAN = [
  { database: "app", collection: "groups", ownerField: "members", action: "delete" },
  { database: "app", collection: "chats", ownerField: "participants.id", action: "delete" },
  {
    database: "app",
    collection: "threads",
    ownerField: "participants.id",
    action: "anonymize",
    set: { "participants.name": "Deleted user", title: "(deleted)" },
    unset: ["participants.email"],
  },
  { database: "app", collection: "projects", ownerField: "team.members.user", action: "delete" },
  { database: "app", collection: "boards", ownerField: "editors", action: "anonymize", set: { lastEditor: "someone" } },
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

const docs = (collection: string) => h.emulator.store.documents("app", collection);
const byTag = (collection: string, tag: string) => docs(collection).find((d) => d.tag === tag);

/** Seeds every shape for `a`, tagged so each can be found afterwards. */
function seed(a: string): void {
  const store = h.emulator.store;
  store.insertMany("app", "groups", [
    { tag: `${a}-alone`, members: [a] },
    { tag: `${a}-alone-twice`, members: [a, new ObjectId(a)] },
    { tag: `${a}-scalar`, members: a },
    { tag: `${a}-shared`, members: [a, B, C] },
    { tag: `${a}-shared-oid`, members: [B, new ObjectId(a)] },
    { tag: `${a}-with-null`, members: [a, null] },
    { tag: `${a}-others`, members: [B, C] },
  ]);
  store.insertMany("app", "chats", [
    { tag: `${a}-alone`, participants: [{ id: a, email: "a@example.com" }] },
    { tag: `${a}-shared`, participants: [{ id: B, email: "b@example.com" }, { id: new ObjectId(a), email: "a@example.com" }, { id: C }] },
    { tag: `${a}-guest`, participants: [{ id: a }, { name: "guest without an id" }] },
  ]);
  store.insertMany("app", "threads", [
    { tag: `${a}-alone`, title: "mine", participants: [{ id: a, name: "Ann", email: "ann@example.com" }] },
    { tag: `${a}-shared`, title: "ours", participants: [{ id: a, name: "Ann", email: "ann@example.com" }, { id: B, name: "Bob", email: "bob@example.com" }] },
    { tag: `${a}-object`, title: "one participant object", participants: { id: a, name: "Ann", email: "ann@example.com" } },
  ]);
  store.insertMany("app", "projects", [
    { tag: `${a}-alone`, team: { name: "t", members: [{ user: a, role: "owner" }] } },
    { tag: `${a}-shared`, team: { name: "t", members: [{ user: a, role: "owner" }, { user: B, role: "dev" }] } },
  ]);
  store.insertMany("app", "boards", [
    { tag: `${a}-alone`, editors: [a], lastEditor: "Ann" },
    { tag: `${a}-shared`, editors: [B, a], lastEditor: "Ann" },
  ]);
}

describe("shared documents", () => {
  let a: string;
  let receipt: any;

  beforeAll(async () => {
    a = await createUser(h.emulator);
    seed(a);
    seed(B); // B's own documents, including ones B shares with C
    const { result, error } = await runFunction(h.emulator, "deleteCurrentUser", userOf(a));
    expect(error).toBeUndefined();
    receipt = result;
  });

  it("an array of ids: alone deleted, shared loses only the id, others untouched", () => {
    expect(byTag("groups", `${a}-alone`)).toBeUndefined();
    expect(byTag("groups", `${a}-alone-twice`)).toBeUndefined();
    expect(byTag("groups", `${a}-scalar`)).toBeUndefined();
    expect(byTag("groups", `${a}-shared`)).toMatchObject({ members: [B, C] });
    expect(byTag("groups", `${a}-shared-oid`)).toMatchObject({ members: [B] });
    // An entry that is not the user's (here null) counts as someone else's: the document stays.
    expect(byTag("groups", `${a}-with-null`)).toMatchObject({ members: [null] });
    expect(byTag("groups", `${a}-others`)).toMatchObject({ members: [B, C] });
  });

  it("an array of subdocuments (delete): alone deleted, shared loses only the user's element", () => {
    expect(byTag("chats", `${a}-alone`)).toBeUndefined();
    expect(byTag("chats", `${a}-shared`)).toMatchObject({ participants: [{ id: B, email: "b@example.com" }, { id: C }] });
    expect(byTag("chats", `${a}-guest`)).toMatchObject({ participants: [{ name: "guest without an id" }] });
  });

  it("an array of subdocuments (anonymize): set and unset apply to the user's element alone in a shared document", () => {
    const shared = byTag("threads", `${a}-shared`);
    expect(shared).toEqual({
      _id: expect.anything(),
      tag: `${a}-shared`,
      title: "ours",
      participants: [{ name: "Deleted user" }, { id: B, name: "Bob", email: "bob@example.com" }],
    });
    const alone = byTag("threads", `${a}-alone`);
    expect(alone).toEqual({ _id: expect.anything(), tag: `${a}-alone`, title: "(deleted)", participants: [{ name: "Deleted user" }] });
    const object = byTag("threads", `${a}-object`);
    expect(object).toEqual({ _id: expect.anything(), tag: `${a}-object`, title: "(deleted)", participants: { name: "Deleted user" } });
  });

  it("nested paths: an array of subdocuments inside an object", () => {
    expect(byTag("projects", `${a}-alone`)).toBeUndefined();
    expect(byTag("projects", `${a}-shared`)).toMatchObject({ team: { name: "t", members: [{ user: B, role: "dev" }] } });
  });

  it("anonymize with an array of ids: alone anonymized, shared only loses the id", () => {
    expect(byTag("boards", `${a}-alone`)).toEqual({ _id: expect.anything(), tag: `${a}-alone`, lastEditor: "someone" });
    expect(byTag("boards", `${a}-shared`)).toEqual({ _id: expect.anything(), tag: `${a}-shared`, editors: [B], lastEditor: "Ann" });
  });

  it("the receipt counts detached documents apart from deleted and anonymized ones", () => {
    expect(receipt.cleanup).toEqual([
      { rule: "app.groups by members", action: "delete", documents: 3, detached: 3 },
      { rule: "app.chats by participants.id", action: "delete", documents: 1, detached: 2 },
      { rule: "app.threads by participants.id", action: "anonymize", documents: 2, detached: 1 },
      { rule: "app.projects by team.members.user", action: "delete", documents: 1, detached: 1 },
      { rule: "app.boards by editors", action: "anonymize", documents: 1, detached: 1 },
    ]);
    const audit = docs("deletions").find((d) => d.userId === a) as { runs: Array<{ cleanup: unknown }> };
    expect(audit.runs[0].cleanup).toEqual(receipt.cleanup);
  });

  it("B's documents, including those B shares with C, are untouched", () => {
    expect(byTag("groups", `${B}-shared`)).toMatchObject({ members: [B, B, C] });
    expect(byTag("chats", `${B}-shared`)).toMatchObject({ participants: [{ id: B }, { id: new ObjectId(B) }, { id: C }] });
    expect(byTag("threads", `${B}-shared`)).toMatchObject({ participants: [{ id: B, name: "Ann", email: "ann@example.com" }, { id: B, name: "Bob" }] });
  });

  it("a second call changes nothing", async () => {
    const before = JSON.stringify(h.emulator.store.toEJSON());
    const { result, error } = await runFunction(h.emulator, "deleteUser", userOf(admin), [a]);
    expect(error).toBeUndefined();
    expect((result as any).account).toBe("alreadyGone");
    expect((result as any).cleanup.every((c: any) => c.documents === 0 && c.detached === 0)).toBe(true);
    const after = h.emulator.store.toEJSON() as Record<string, unknown[]>;
    delete after["app.deletions"];
    const beforeParsed = JSON.parse(before);
    delete beforeParsed["app.deletions"];
    expect(JSON.parse(JSON.stringify(after))).toEqual(beforeParsed);
  });
});

describe("data operations per rule", () => {
  /** The data-service calls one self-delete sends to the planned collections. */
  async function planOperationsOfSelfDelete(copies: number): Promise<string[]> {
    const a = await createUser(h.emulator);
    for (let i = 0; i < copies; i++) seed(a);
    h.emulator.faults.clear();
    const seen = recordOperations(h.emulator.faults);
    const { error } = await runFunction(h.emulator, "deleteCurrentUser", userOf(a));
    expect(error).toBeUndefined();
    return seen.filter((target) => target.startsWith("data:") && !target.endsWith("app.deletions")).sort();
  }

  it("do not grow with the number of documents", async () => {
    const few = await planOperationsOfSelfDelete(1);
    const many = await planOperationsOfSelfDelete(20);
    expect(many).toEqual(few);
    // Two passes; per pass: groups 2 (delete alone + pull), chats 3 (delete alone + pull per shape),
    // threads 4 (alone + own element per shape), projects 4, boards 2.
    expect(few).toHaveLength(2 * (2 + 3 + 4 + 4 + 2));
  });
});
