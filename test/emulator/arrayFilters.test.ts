/**
 * The emulator's data service applies updates with arrayFilters as MongoDB does, where mingo 7
 * alone refuses them: several paths under one filtered positional operator, filters evaluated on
 * the document as it was before the update.
 */
import { createMongoDbService } from "../../emulator/data/service";
import { DocumentStore } from "../../emulator/data/store";
import { FaultPlan } from "../../emulator/faults";

function collection() {
  const store = new DocumentStore();
  const service = createMongoDbService(store, new FaultPlan());
  return { store, coll: service.db("app").collection("threads") };
}

describe("updates with arrayFilters", () => {
  it("$set and $unset on sibling paths under one identifier, the filter's own field removed in the same update", async () => {
    const { store, coll } = collection();
    store.insertMany("app", "threads", [{ _id: 1, p: [{ id: "a", name: "Ann", email: "a@x" }, { id: "b", name: "Bob", email: "b@x" }, { id: "a", name: "Al" }] }]);
    const result = await coll.updateMany(
      { "p.id": "a" },
      { $set: { "p.$[own].name": "Deleted user" }, $unset: { "p.$[own].email": "", "p.$[own].id": "" } },
      { arrayFilters: [{ "own.id": { $in: ["a"] } }] },
    );
    expect(result).toEqual({ matchedCount: 1, modifiedCount: 1 });
    expect(store.documents("app", "threads")).toEqual([
      { _id: 1, p: [{ name: "Deleted user" }, { id: "b", name: "Bob", email: "b@x" }, { name: "Deleted user" }] },
    ]);
  });

  it("nested identifiers and $[] resolve per element", async () => {
    const { store, coll } = collection();
    store.insertMany("app", "threads", [{ _id: 1, g: [{ k: 1, m: [{ v: 1 }, { v: 2 }] }, { k: 2, m: [{ v: 1 }] }] }]);
    await coll.updateMany({}, { $set: { "g.$[x].m.$[y].hit": true, "g.$[].seen": true } }, { arrayFilters: [{ "x.k": 1 }, { "y.v": { $gte: 2 } }] });
    expect(store.documents("app", "threads")[0]).toEqual({
      _id: 1,
      g: [
        { k: 1, m: [{ v: 1 }, { v: 2, hit: true }], seen: true },
        { k: 2, m: [{ v: 1 }], seen: true },
      ],
    });
  });

  it("an array filter that selects no element modifies nothing", async () => {
    const { store, coll } = collection();
    store.insertMany("app", "threads", [{ _id: 1, p: [{ id: "b" }] }]);
    const result = await coll.updateMany({}, { $unset: { "p.$[own].id": "", "p.$[own].e": "" } }, { arrayFilters: [{ "own.id": "a" }] });
    expect(result).toEqual({ matchedCount: 1, modifiedCount: 0 });
    expect(store.documents("app", "threads")).toEqual([{ _id: 1, p: [{ id: "b" }] }]);
  });
});
