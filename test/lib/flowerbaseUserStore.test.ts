/**
 * The Flowerbase user store's methods for the scheduled functions (which the lead wires to it),
 * over the emulator's data service (real query semantics) with documents in Flowerbase's shapes
 * (emulator/flowerbase/documents.ts names each shape's source).
 */
import * as bson from "bson";
import { FaultPlan } from "../../emulator/faults";
import { createMongoDbService } from "../../emulator/data/service";
import { DocumentStore } from "../../emulator/data/store";
import { authUserDocument } from "../../emulator/flowerbase/documents";
import { flowerbaseUserStore } from "../../lib/flowerbaseUserStore";

const DAY = 24 * 60 * 60 * 1000;
const LOCATION = { database: "main", collection: "auth_users", customData: { database: "main", collection: "users", userIdField: "id" } };

describe("flowerbaseUserStore: what purge and sweep need", () => {
  const store = new DocumentStore();
  const data = createMongoDbService(store, new FaultPlan());
  const auth = { emailPasswordAuth: { deleteUser: async () => ({ deletedCount: 0 }) } };
  const users = flowerbaseUserStore(data as never, auth, LOCATION);
  const now = Date.now();
  const cutoff = new Date(now - 7 * DAY);
  const doc = (email: string, status: "pending" | "confirmed", createdAt: Date | undefined) => authUserDocument(email, "hash", status, createdAt);
  const oldPending = [doc("a@example.com", "pending", new Date(now - 30 * DAY)), doc("b@example.com", "pending", new Date(now - 8 * DAY)), doc("c@example.com", "pending", new Date(now - 9 * DAY))];
  const recentPending = doc("d@example.com", "pending", new Date(now - DAY));
  const migratedPending = doc("e@example.com", "pending", undefined);
  const oldConfirmed = doc("f@example.com", "confirmed", new Date(now - 30 * DAY));

  beforeAll(() => {
    (globalThis as { BSON?: unknown }).BSON = bson;
    store.insertMany("main", "auth_users", [...oldPending, recentPending, migratedPending, oldConfirmed] as never);
  });

  it("lists pending users older than the cutoff, in id order, page by page; never one without createdAt, a recent one or a confirmed one", async () => {
    const ids = oldPending.map((d) => d._id.toHexString()).sort();
    const first = await users.stalePendingUsers(cutoff, undefined, 2);
    expect(first.map((p) => p.id)).toEqual(ids.slice(0, 2));
    expect(first[0].createdAt).toBeInstanceOf(Date);
    const second = await users.stalePendingUsers(cutoff, first[1].id, 2);
    expect(second.map((p) => p.id)).toEqual(ids.slice(2));
    expect(await users.stalePendingUsers(cutoff, second[0].id, 2)).toEqual([]);
  });

  it("deletes a pending user by id only while it is pending", async () => {
    expect(await users.deletePendingUserById(oldConfirmed._id.toHexString())).toBe("alreadyGone");
    expect(store.documents("main", "auth_users").some((d) => String(d._id) === oldConfirmed._id.toHexString())).toBe(true);
    expect(await users.deletePendingUserById(oldPending[0]._id.toHexString())).toBe("deleted");
    expect(await users.deletePendingUserById(oldPending[0]._id.toHexString())).toBe("alreadyGone");
  });

  it("says which of a batch of ids exist, in one $in query", async () => {
    const gone = oldPending[0]._id.toHexString();
    const unknown = new bson.ObjectId().toHexString();
    const present = [oldConfirmed, migratedPending].map((d) => d._id.toHexString());
    expect((await users.existingUserIds([gone, unknown, ...present])).sort()).toEqual(present.sort());
    expect(await users.existingUserIds([])).toEqual([]);
  });
});
