import vm from "node:vm";
import { EJSON, Long, ObjectId } from "bson";
import { FaultPlan } from "../../emulator/faults";
import { MAX_FIND_DOCUMENTS } from "../../emulator/data/query";
import { createMongoDbService } from "../../emulator/data/service";
import { DocumentStore } from "../../emulator/data/store";
import type { Document, MongoCollection } from "../../emulator/data/types";
import { recordOperations } from "../helpers/operationCount";

const NS = "app.posts";

function setup(seed: Document[] = []) {
  const store = new DocumentStore();
  if (seed.length > 0) store.insertMany("app", "posts", seed);
  const faults = new FaultPlan();
  const service = createMongoDbService(store, faults);
  const posts = service.db("app").collection("posts");
  const stored = () => store.documents("app", "posts");
  return { store, faults, service, posts, stored };
}

describe("result shapes", () => {
  test("insertOne adds an ObjectId _id (first field) and returns { insertedId }", async () => {
    const { posts, stored } = setup();
    const result = await posts.insertOne({ title: "a" });
    expect(Object.keys(result)).toEqual(["insertedId"]);
    expect(result.insertedId).toBeInstanceOf(ObjectId);
    expect(stored()).toEqual([{ _id: result.insertedId, title: "a" }]);
    expect(Object.keys(stored()[0])).toEqual(["_id", "title"]);
  });

  test("insertOne keeps a given _id", async () => {
    const { posts, stored } = setup();
    expect(await posts.insertOne({ title: "a", _id: "mine" })).toEqual({ insertedId: "mine" });
    expect(stored()).toEqual([{ _id: "mine", title: "a" }]);
  });

  test("insertMany returns { insertedIds } in input order", async () => {
    const { posts, stored } = setup();
    const result = await posts.insertMany([{ _id: 7, n: 1 }, { n: 2 }]);
    expect(result.insertedIds).toHaveLength(2);
    expect(result.insertedIds[0]).toBe(7);
    expect(result.insertedIds[1]).toBeInstanceOf(ObjectId);
    expect(stored().map((d) => d._id)).toEqual(result.insertedIds);
  });

  test("updateOne and updateMany return matched/modified counts without upsertedId", async () => {
    const { posts, stored } = setup([{ _id: 1, n: 1 }, { _id: 2, n: 1 }, { _id: 3, n: 2 }]);
    expect(await posts.updateOne({ n: 1 }, { $set: { seen: true } })).toEqual({ matchedCount: 1, modifiedCount: 1 });
    expect(await posts.updateMany({ n: 1 }, { $set: { seen: true } })).toEqual({ matchedCount: 2, modifiedCount: 1 });
    expect(await posts.updateMany({ n: 9 }, { $set: { seen: true } })).toEqual({ matchedCount: 0, modifiedCount: 0 });
    expect(stored()).toEqual([
      { _id: 1, n: 1, seen: true },
      { _id: 2, n: 1, seen: true },
      { _id: 3, n: 2 },
    ]);
  });

  test("deleteOne and deleteMany return { deletedCount }", async () => {
    const { posts, stored } = setup([{ _id: 1, n: 1 }, { _id: 2, n: 1 }, { _id: 3, n: 1 }, { _id: 4, n: 2 }]);
    expect(await posts.deleteOne({ n: 1 })).toEqual({ deletedCount: 1 });
    expect(stored().map((d) => d._id)).toEqual([2, 3, 4]);
    expect(await posts.deleteMany({ n: 1 })).toEqual({ deletedCount: 2 });
    expect(await posts.deleteMany({ n: 1 })).toEqual({ deletedCount: 0 });
    expect(stored()).toEqual([{ _id: 4, n: 2 }]);
  });

  test("count and countDocuments resolve to numbers", async () => {
    const { posts } = setup([{ n: 1 }, { n: 1 }, { n: 2 }]);
    await expect(posts.count()).resolves.toBe(3);
    await expect(posts.count({ n: 1 })).resolves.toBe(2);
    await expect(posts.countDocuments({ n: 2 })).resolves.toBe(1);
    await expect(posts.countDocuments({ n: 3 })).resolves.toBe(0);
  });

  test("findOne resolves to the first match in natural order, or null", async () => {
    const { posts } = setup([{ _id: 1, n: 1 }, { _id: 2, n: 1 }]);
    await expect(posts.findOne({ n: 1 })).resolves.toEqual({ _id: 1, n: 1 });
    await expect(posts.findOne({ n: 1 }, undefined, { sort: { _id: -1 } })).resolves.toEqual({ _id: 2, n: 1 });
    await expect(posts.findOne({ n: 5 })).resolves.toBeNull();
    await expect(posts.findOne()).resolves.toEqual({ _id: 1, n: 1 });
  });

  test("findOneAndUpdate returns the document before, or after with returnNewDocument", async () => {
    const { posts, stored } = setup([{ _id: 1, n: 1, tag: "x" }, { _id: 2, n: 5, tag: "x" }]);
    await expect(posts.findOneAndUpdate({ tag: "x" }, { $inc: { n: 10 } })).resolves.toEqual({ _id: 1, n: 1, tag: "x" });
    await expect(
      posts.findOneAndUpdate({ tag: "x" }, { $inc: { n: 1 } }, { sort: { n: 1 }, returnNewDocument: true, projection: { n: 1 } }),
    ).resolves.toEqual({ _id: 2, n: 6 });
    await expect(posts.findOneAndUpdate({ tag: "none" }, { $inc: { n: 1 } })).resolves.toBeNull();
    expect(stored()).toEqual([{ _id: 1, n: 11, tag: "x" }, { _id: 2, n: 6, tag: "x" }]);
  });

  test("findOneAndUpdate with upsert returns null, or the new document with returnNewDocument", async () => {
    const { posts, stored } = setup();
    await expect(posts.findOneAndUpdate({ _id: "a" }, { $set: { n: 1 } }, { upsert: true })).resolves.toBeNull();
    await expect(
      posts.findOneAndUpdate({ _id: "b" }, { $set: { n: 2 } }, { upsert: true, returnNewDocument: true }),
    ).resolves.toEqual({ _id: "b", n: 2 });
    expect(stored()).toEqual([{ _id: "a", n: 1 }, { _id: "b", n: 2 }]);
  });

  test("findOneAndReplace keeps the _id and returns the chosen form", async () => {
    const { posts, stored } = setup([{ _id: 1, a: 1 }, { _id: 2, a: 1 }]);
    await expect(posts.findOneAndReplace({ a: 1 }, { b: 2 }, { sort: { _id: -1 } })).resolves.toEqual({ _id: 2, a: 1 });
    await expect(posts.findOneAndReplace({ _id: 1 }, { c: 3 }, { returnNewDocument: true })).resolves.toEqual({ _id: 1, c: 3 });
    await expect(posts.findOneAndReplace({ _id: 1 }, { _id: 99, c: 3 })).rejects.toThrow(/immutable field '_id'/);
    await expect(posts.findOneAndReplace({ _id: 3 }, { d: 4 }, { upsert: true, returnNewDocument: true })).resolves.toEqual({ _id: 3, d: 4 });
    expect(stored()).toEqual([{ _id: 1, c: 3 }, { _id: 2, b: 2 }, { _id: 3, d: 4 }]);
  });

  test("findOneAndDelete returns the deleted document (sort and projection honoured)", async () => {
    const { posts, stored } = setup([{ _id: 1, n: 1, x: "a" }, { _id: 2, n: 2, x: "b" }]);
    await expect(posts.findOneAndDelete({}, { sort: { n: -1 }, projection: { x: 1, _id: 0 } })).resolves.toEqual({ x: "b" });
    await expect(posts.findOneAndDelete({ n: 7 })).resolves.toBeNull();
    expect(stored()).toEqual([{ _id: 1, n: 1, x: "a" }]);
  });

  test("bulkWrite applies every operation kind in order and resolves to null", async () => {
    const { posts, stored } = setup([{ _id: 1, n: 1 }, { _id: 2, n: 1 }, { _id: 3, n: 3 }, { _id: 4, n: 4 }]);
    const result = await posts.bulkWrite([
      { insertOne: { document: { _id: 5, n: 5 } } },
      { updateOne: { filter: { n: 1 }, update: { $set: { one: true } } } },
      { updateMany: { filter: { n: 1 }, update: { $inc: { n: 10 } } } },
      { updateOne: { filter: { _id: 6 }, update: { $set: { n: 6 } }, upsert: true } },
      { deleteOne: { filter: { n: 3 } } },
      { deleteMany: { filter: { n: { $in: [5, 6] } } } },
      { replaceOne: { filter: { _id: 4 }, replacement: { replaced: true } } },
    ]);
    expect(result).toBeNull();
    expect(stored()).toEqual([
      { _id: 1, n: 11, one: true },
      { _id: 2, n: 11 },
      { _id: 4, replaced: true },
    ]);
  });

  test("distinct lists distinct values (array elements count individually)", async () => {
    const { posts } = setup([{ tags: ["a", "b"], k: 1 }, { tags: "a", k: 1 }, { tags: ["c"], k: 2 }]);
    const values = await posts.distinct("tags", { k: 1 });
    expect([...values].sort()).toEqual(["a", "b"]);
  });

  test("cursor.next() walks the results, then resolves undefined", async () => {
    const { posts } = setup([{ _id: 1 }, { _id: 2 }]);
    const cursor = posts.find().sort({ _id: -1 });
    await expect(cursor.next()).resolves.toEqual({ _id: 2 });
    await expect(cursor.toArray()).resolves.toEqual([{ _id: 1 }]);
    await expect(cursor.next()).resolves.toBeUndefined();
  });
});

describe("ObjectId matching", () => {
  const a = new ObjectId();
  const b = new ObjectId();

  test("an ObjectId matches an equal ObjectId (a different instance)", async () => {
    const { posts } = setup([{ _id: a, n: 1 }, { _id: b, n: 2 }]);
    await expect(posts.findOne({ _id: new ObjectId(a.toHexString()) })).resolves.toEqual({ _id: a, n: 1 });
    await expect(posts.count({ _id: { $ne: a } })).resolves.toBe(1);
  });

  test("a string never equals an ObjectId with the same hex, either way round", async () => {
    const { posts } = setup([{ n: 1, owner: a }, { n: 2, owner: a.toHexString() }]);
    expect((await posts.find({ owner: a }).toArray()).map((d) => d.n)).toEqual([1]);
    expect((await posts.find({ owner: a.toHexString() }).toArray()).map((d) => d.n)).toEqual([2]);
    expect((await posts.find({ owner: { $in: [a.toHexString()] } }).toArray()).map((d) => d.n)).toEqual([2]);
  });

  test("$in with several ObjectIds matches exactly those owners", async () => {
    const c = new ObjectId();
    const { posts, stored } = setup([{ n: 1, owner: a }, { n: 2, owner: b }, { n: 3, owner: c }, { n: 4, owner: b.toHexString() }]);
    await expect(posts.deleteMany({ owner: { $in: [new ObjectId(a.toHexString()), b] } })).resolves.toEqual({ deletedCount: 2 });
    expect(stored().map((d) => d.n)).toEqual([3, 4]);
  });

  test("an ObjectId _id and a string _id with the same hex are different keys", async () => {
    const { posts } = setup([{ _id: a }]);
    await expect(posts.insertOne({ _id: a.toHexString() })).resolves.toEqual({ insertedId: a.toHexString() });
  });
});

describe("dotted paths", () => {
  test("filters, $set and $unset on dotted paths", async () => {
    const { posts, stored } = setup([{ _id: 1, meta: { owner: "u1", keep: 1 } }, { _id: 2, meta: { owner: "u2" } }]);
    await expect(posts.count({ "meta.owner": "u1" })).resolves.toBe(1);
    await posts.updateOne({ "meta.owner": "u1" }, { $unset: { "meta.owner": "" }, $set: { "meta.deep.flag": true } });
    expect(stored()[0]).toEqual({ _id: 1, meta: { keep: 1, deep: { flag: true } } });
    expect(stored()[1]).toEqual({ _id: 2, meta: { owner: "u2" } });
  });
});

describe("upsert", () => {
  test("updateOne upsert inserts the filter's equality fields plus the update, with $setOnInsert", async () => {
    const { posts, stored } = setup();
    const result = await posts.updateOne(
      { owner: "u1", "meta.kind": { $eq: "k" }, n: { $gt: 1 } },
      { $set: { v: 1 }, $setOnInsert: { createdBy: "upsert" } },
      { upsert: true },
    );
    expect(result).toEqual({ matchedCount: 0, modifiedCount: 0, upsertedId: expect.any(ObjectId) });
    expect(stored()).toEqual([{ _id: result.upsertedId, owner: "u1", meta: { kind: "k" }, v: 1, createdBy: "upsert" }]);
  });

  test("an upsert that matches updates instead, ignoring $setOnInsert", async () => {
    const { posts, stored } = setup([{ _id: 1, owner: "u1" }]);
    const result = await posts.updateOne({ owner: "u1" }, { $set: { v: 2 }, $setOnInsert: { createdBy: "upsert" } }, { upsert: true });
    expect(result).toEqual({ matchedCount: 1, modifiedCount: 1 });
    expect(stored()).toEqual([{ _id: 1, owner: "u1", v: 2 }]);
  });

  test("updateMany upsert uses the _id the filter pins down", async () => {
    const { posts, stored } = setup();
    await expect(posts.updateMany({ _id: "fixed" }, { $inc: { n: 1 } }, { upsert: true })).resolves.toEqual({
      matchedCount: 0,
      modifiedCount: 0,
      upsertedId: "fixed",
    });
    expect(stored()).toEqual([{ _id: "fixed", n: 1 }]);
  });
});

describe("duplicate keys", () => {
  test("insertOne with a taken _id rejects with E11000 naming the namespace and key", async () => {
    const id = new ObjectId();
    const { posts, stored } = setup([{ _id: id, n: 1 }]);
    const error = await posts.insertOne({ _id: id, n: 2 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/^E11000 duplicate key error/);
    expect((error as Error).message).toContain(NS);
    expect((error as Error).message).toContain(id.toHexString());
    expect(stored()).toEqual([{ _id: id, n: 1 }]);
  });

  test("insertMany with a duplicate inside the batch inserts nothing", async () => {
    const { posts, stored } = setup([{ _id: 1 }]);
    await expect(posts.insertMany([{ _id: 2 }, { _id: 3 }, { _id: 2 }])).rejects.toThrow(/^E11000 duplicate key error.*app\.posts.*2/);
    expect(stored()).toEqual([{ _id: 1 }]);
  });

  test("DocumentStore.insertMany (seeding) rejects duplicates too", () => {
    const store = new DocumentStore();
    expect(() => store.insertMany("app", "posts", [{ _id: "x" }, { _id: "x" }])).toThrow(/^E11000 duplicate key error/);
    expect(store.namespaces()).toEqual([]);
  });
});

describe("projection, sort, skip, limit", () => {
  const seed = [
    { _id: 1, title: "c", score: 5, body: "..." },
    { _id: 2, title: "a", score: 9, body: "..." },
    { _id: 3, title: "b", score: 7, body: "..." },
    { _id: 4, title: "d", score: 1, body: "..." },
  ];

  test("inclusion and exclusion projections", async () => {
    const { posts } = setup(seed);
    const included = await posts.find({ _id: 2 }, { title: 1 }).toArray();
    expect(included).toEqual([{ _id: 2, title: "a" }]);
    expect(Object.keys(included[0])).toEqual(["_id", "title"]);
    await expect(posts.find({ _id: 2 }, { title: 1, _id: 0 }).toArray()).resolves.toEqual([{ title: "a" }]);
    await expect(posts.findOne({ _id: 2 }, { body: 0, score: 0 })).resolves.toEqual({ _id: 2, title: "a" });
  });

  test("sort, then skip, then limit, whatever the call order", async () => {
    const { posts } = setup(seed);
    const docs = await posts.find({}, { score: 1 }).limit(2).skip(1).sort({ score: -1 }).toArray();
    expect(docs).toEqual([{ _id: 3, score: 7 }, { _id: 1, score: 5 }]);
    await expect(posts.find().sort({ title: 1 }).limit(0).toArray()).resolves.toHaveLength(4);
  });

  test("modifiers after the cursor started, and bad modifier values, throw", async () => {
    const { posts } = setup(seed);
    const cursor = posts.find();
    await cursor.toArray();
    expect(() => cursor.sort({ score: 1 })).toThrow(/find\(\)\.sort on app\.posts: cannot be called after/);
    expect(() => posts.find().skip(-1)).toThrow(/must not be negative/);
    expect(() => posts.find().sort({ score: 2 as 1 })).toThrow(/must be 1 or -1/);
  });
});

describe("aggregate", () => {
  test("$match and $group", async () => {
    const { posts } = setup([
      { owner: "a", n: 1 },
      { owner: "a", n: 2 },
      { owner: "b", n: 5 },
      { owner: "c", n: 100, hidden: true },
    ]);
    const docs = await posts
      .aggregate([{ $match: { hidden: { $ne: true } } }, { $group: { _id: "$owner", total: { $sum: "$n" } } }, { $sort: { _id: 1 } }])
      .toArray();
    expect(docs).toEqual([{ _id: "a", total: 3 }, { _id: "b", total: 5 }]);
  });

  test("$lookup reads another collection of the same database; the store is left alone", async () => {
    const { store, posts, stored } = setup([{ _id: 1, owner: "u1" }]);
    store.insertMany("app", "users", [{ _id: "u1", name: "Ann" }]);
    const docs = await posts
      .aggregate([{ $lookup: { from: "users", localField: "owner", foreignField: "_id", as: "user" } }, { $set: { extra: 1 } }])
      .skip(0)
      .toArray();
    expect(docs).toEqual([{ _id: 1, owner: "u1", user: [{ _id: "u1", name: "Ann" }], extra: 1 }]);
    expect(stored()).toEqual([{ _id: 1, owner: "u1" }]);
  });

  test("$out and aggregation-cursor sort() are rejected with clear errors", async () => {
    const { posts } = setup([{ n: 1 }]);
    await expect(posts.aggregate([{ $out: "other" }]).toArray()).rejects.toThrow(/aggregate on app\.posts: .*\$out is not supported/);
    expect(() => posts.aggregate([]).sort({ n: 1 })).toThrow(/add a \$sort stage/);
  });
});

describe("faults", () => {
  test("status500 rejects, names the method and namespace, and changes nothing", async () => {
    const { posts, faults, stored } = setup([{ _id: 1, n: 1 }]);
    faults.inject({ match: "data:deleteMany:app.posts", kind: "status500" });
    await expect(posts.deleteMany({})).rejects.toThrow(/deleteMany on app\.posts: the data service failed with an injected server error/);
    expect(stored()).toEqual([{ _id: 1, n: 1 }]);
    await expect(posts.deleteMany({})).resolves.toEqual({ deletedCount: 1 });
  });

  test("drop rejects as a lost connection and changes nothing", async () => {
    const { posts, faults, stored } = setup();
    faults.inject({ match: "data:insertOne:app.posts", kind: "drop" });
    await expect(posts.insertOne({ n: 1 })).rejects.toThrow(/insertOne on app\.posts: the connection to the data service was lost/);
    expect(stored()).toEqual([]);
  });

  test("times is honoured", async () => {
    const { posts, faults, stored } = setup([{ _id: 1, n: 0 }]);
    faults.inject({ match: "data:updateOne:app.posts", kind: "status500", times: 2 });
    const inc = () => posts.updateOne({ _id: 1 }, { $inc: { n: 1 } });
    await expect(inc()).rejects.toThrow(/injected server error/);
    await expect(inc()).rejects.toThrow(/injected server error/);
    await expect(inc()).resolves.toEqual({ matchedCount: 1, modifiedCount: 1 });
    expect(stored()).toEqual([{ _id: 1, n: 1 }]);
  });

  test("an outOfOrder rule matching a data call is left armed, not spent doing nothing", async () => {
    const { posts, faults } = setup([{ _id: 1, n: 1 }]);
    faults.inject({ match: () => true, kind: "outOfOrder" });
    await expect(posts.findOne({})).resolves.toEqual({ _id: 1, n: 1 });
    expect(faults.take("adminListUsers", ["status500", "drop", "outOfOrder"])).toBe("outOfOrder");
  });

  test("each method takes data:<method>:<db>.<collection>; cursors take it when they run", async () => {
    const { posts, faults } = setup([{ _id: 1, n: 1 }]);
    const targets = recordOperations(faults);
    const cursor = posts.find({});
    const pipeline = posts.aggregate([]);
    expect(targets).toEqual([]);
    await cursor.toArray();
    await pipeline.toArray();
    await posts.findOne({});
    await posts.insertOne({ _id: 2 });
    await posts.insertMany([{ _id: 3 }]);
    await posts.updateOne({ _id: 1 }, { $set: { a: 1 } });
    await posts.updateMany({}, { $set: { a: 2 } });
    await posts.findOneAndUpdate({ _id: 1 }, { $set: { a: 3 } });
    await posts.findOneAndReplace({ _id: 1 }, { a: 4 });
    await posts.findOneAndDelete({ _id: 3 });
    await posts.count();
    await posts.countDocuments();
    await posts.distinct("a");
    await posts.bulkWrite([{ deleteOne: { filter: { _id: 2 } } }]);
    await posts.deleteOne({ _id: 1 });
    await posts.deleteMany({});
    expect(targets).toEqual(
      [
        "find", "aggregate", "findOne", "insertOne", "insertMany", "updateOne", "updateMany", "findOneAndUpdate",
        "findOneAndReplace", "findOneAndDelete", "count", "countDocuments", "distinct", "bulkWrite", "deleteOne", "deleteMany",
      ].map((method) => `data:${method}:app.posts`),
    );
  });

  test("a faulted cursor changes nothing and a fault for another namespace does not strike", async () => {
    const { service, posts, faults } = setup([{ _id: 1 }]);
    faults.inject({ match: "data:find:app.users", kind: "drop" });
    await expect(posts.find().toArray()).resolves.toHaveLength(1);
    await expect(service.db("app").collection("users").find().toArray()).rejects.toThrow(/connection to the data service was lost/);
  });

  describe("latency", () => {
    afterEach(() => jest.useRealTimers());

    test("a call resolves only after latencyMs, and writes nothing before", async () => {
      jest.useFakeTimers();
      const { posts, faults, stored } = setup();
      faults.latencyMs = 1000;
      let settled = false;
      const call = posts.insertOne({ _id: 1 }).then((result) => {
        settled = true;
        return result;
      });
      await jest.advanceTimersByTimeAsync(999);
      expect(settled).toBe(false);
      expect(stored()).toEqual([]);
      await jest.advanceTimersByTimeAsync(1);
      expect(settled).toBe(true);
      await expect(call).resolves.toEqual({ insertedId: 1 });
      expect(stored()).toEqual([{ _id: 1 }]);
    });
  });
});

describe("limits", () => {
  test(`find returns at most ${MAX_FIND_DOCUMENTS} documents`, async () => {
    expect(MAX_FIND_DOCUMENTS).toBe(50_000);
    const { store, service } = setup();
    // Tiny documents keep the 50,001-document collection cheap to build and copy.
    store.insertMany("app", "big", Array.from({ length: MAX_FIND_DOCUMENTS + 1 }, (_, i) => ({ _id: i })));
    const big = service.db("app").collection("big");
    const all = await big.find().toArray();
    expect(all).toHaveLength(MAX_FIND_DOCUMENTS);
    expect(all[MAX_FIND_DOCUMENTS - 1]).toEqual({ _id: MAX_FIND_DOCUMENTS - 1 });
    await expect(big.find().skip(MAX_FIND_DOCUMENTS - 2).toArray()).resolves.toHaveLength(3);
    await expect(big.count()).resolves.toBe(MAX_FIND_DOCUMENTS + 1);
  });
});

describe("snapshots", () => {
  test("toEJSON/fromEJSON round trip (through JSON text) keeps ObjectId, Date and exact int64", () => {
    const id = new ObjectId();
    const at = new Date("2024-05-06T07:08:09.010Z");
    const store = new DocumentStore();
    store.insertMany("app", "posts", [{ _id: id, at, nested: { list: [1, 2.5, "x"] }, big: Long.fromString("9007199254740993") }]);
    store.insertMany("other", "things", [{ _id: "t" }]);
    const text = JSON.stringify(store.toEJSON());
    expect(JSON.parse(text)["app.posts"][0]._id).toEqual({ $oid: id.toHexString() });

    const restored = DocumentStore.fromEJSON(JSON.parse(text));
    expect(restored.namespaces()).toEqual(["app.posts", "other.things"]);
    const [doc] = restored.documents("app", "posts");
    expect(doc._id).toBeInstanceOf(ObjectId);
    expect((doc._id as ObjectId).equals(id)).toBe(true);
    expect(doc.at).toBeInstanceOf(Date);
    expect((doc.at as Date).getTime()).toBe(at.getTime());
    expect(doc.nested).toEqual({ list: [1, 2.5, "x"] });
    expect(String(doc.big)).toBe("9007199254740993");
    expect(restored.toEJSON()).toEqual(store.toEJSON());
  });

  test.each([
    ["not an object", 42],
    ["an array", [{ _id: 1 }]],
    ["a namespace without a collection", { posts: [] }],
    ["a namespace that is not an array", { "app.posts": { _id: 1 } }],
    ["a document that is not an object", { "app.posts": ["x"] }],
    ["a document without _id", { "app.posts": [{ n: 1 }] }],
    ["a bad $oid", { "app.posts": [{ _id: { $oid: "nope" } }] }],
    ["duplicate _ids", { "app.posts": [{ _id: 1 }, { _id: 1 }] }],
  ])("fromEJSON rejects %s", (_label, snapshot) => {
    expect(() => DocumentStore.fromEJSON(snapshot)).toThrow(/^DocumentStore\.fromEJSON: malformed snapshot: /);
  });
});

describe("the realm boundary", () => {
  function inSandbox(posts: MongoCollection, code: string): Promise<unknown> {
    const context = vm.createContext({ coll: posts });
    return vm.runInContext(`(async () => { ${code} })()`, context) as Promise<unknown>;
  }

  test("deleteMany with a sandbox-made $in array deletes exactly the matches", async () => {
    const oid = new ObjectId();
    const { posts, stored } = setup([{ _id: 1, owner: "a" }, { _id: 2, owner: "b" }, { _id: 3, owner: "a" }, { _id: 4, owner: oid }]);
    const result = await inSandbox(posts, `return coll.deleteMany({ owner: { $in: ["a"] } });`);
    expect(result).toEqual({ deletedCount: 2 });
    expect(stored().map((d) => d._id)).toEqual([2, 4]);
  });

  test("insertOne with a sandbox Date, array and object stores host-realm values that queries match", async () => {
    const { posts, stored } = setup();
    await inSandbox(posts, `await coll.insertOne({ _id: 1, at: new Date(5000), tags: ["x"], meta: { k: 1 } });`);
    const [doc] = stored();
    expect(doc.at).toBeInstanceOf(Date);
    expect((doc.at as Date).getTime()).toBe(5000);
    expect(Array.isArray(doc.tags) && doc.tags instanceof Array).toBe(true);
    expect(Object.getPrototypeOf(doc.meta)).toBe(Object.prototype);
    // Sandbox-made filters with Dates and sub-documents: mingo's instanceof/constructor checks must see host values.
    const counts = await inSandbox(
      posts,
      `return [
        await coll.count({ at: { $gte: new Date(4000) } }),
        await coll.count({ meta: { k: 1 } }),
        await coll.count({ at: new Date(5000), tags: ["x"] }),
        await coll.count({ at: { $gt: new Date(6000) } }),
      ];`,
    );
    expect(counts).toEqual([1, 1, 1, 0]);
  });

  test("regular expressions from the sandbox and $regex filters match", async () => {
    const { posts } = setup([{ _id: 1, name: "Alice" }, { _id: 2, name: "bob" }, { _id: 3, name: "alan" }]);
    const ids = await inSandbox(
      posts,
      `const ids = async (q) => (await coll.find(q).sort({ _id: 1 }).toArray()).map((d) => d._id);
       return [await ids({ name: /^al/i }), await ids({ name: { $regex: "^al" } }), await ids({ name: { $regex: "^AL", $options: "i" } })];`,
    );
    expect(ids).toEqual([[1, 3], [3], [1, 3]]);
  });

  test("results are deep copies and inputs are snapshotted", async () => {
    const { posts, stored } = setup([{ _id: 1, meta: { n: 1 } }]);
    const found = (await posts.findOne({ _id: 1 })) as Document;
    (found.meta as Document).n = 99;
    const input = { _id: 2, meta: { n: 2 } };
    const pending = posts.insertOne(input);
    input.meta.n = 77;
    await pending;
    const listed = stored();
    (listed[0].meta as Document).n = 55;
    expect(stored()).toEqual([{ _id: 1, meta: { n: 1 } }, { _id: 2, meta: { n: 2 } }]);
  });
});

describe("atomicity and unsupported input", () => {
  test("an updateMany that fails part-way changes nothing", async () => {
    const { posts, stored } = setup([{ _id: 1, n: 1 }, { _id: 2, n: 1 }]);
    await expect(posts.updateMany({}, { $set: { _id: 5 } })).rejects.toThrow(/updateMany on app\.posts: .*immutable field '_id'/);
    // A pipeline update that succeeds on the first document and fails on the second.
    const pipeline = [{ $set: { n: { $add: ["$n", 1] }, _id: { $cond: [{ $eq: ["$_id", 2] }, 99, "$_id"] } } }];
    await expect(posts.updateMany({}, pipeline)).rejects.toThrow(/immutable field '_id'/);
    expect(stored()).toEqual([{ _id: 1, n: 1 }, { _id: 2, n: 1 }]);
    // The same pipeline works where it does not touch _id: pipeline updates are supported.
    await expect(posts.updateMany({ _id: 1 }, pipeline)).resolves.toEqual({ matchedCount: 1, modifiedCount: 1 });
    expect(stored()).toEqual([{ _id: 1, n: 2 }, { _id: 2, n: 1 }]);
  });

  test("a bulkWrite that fails part-way changes nothing", async () => {
    const { posts, stored } = setup([{ _id: 1 }, { _id: 2 }]);
    await expect(
      posts.bulkWrite([{ deleteOne: { filter: { _id: 1 } } }, { insertOne: { document: { _id: 2 } } }]),
    ).rejects.toThrow(/^E11000 duplicate key error/);
    expect(stored()).toEqual([{ _id: 1 }, { _id: 2 }]);
  });

  test.each<[string, (posts: MongoCollection) => Promise<unknown>, RegExp]>([
    ["sessions", (p) => p.findOne({}, undefined, { session: {} } as never), /findOne on app\.posts: transactions \(options\.session\)/],
    ["unknown options", (p) => p.updateOne({}, { $set: { a: 1 } }, { multi: true } as never), /option "multi" is not supported/],
    ["update without operators", (p) => p.updateOne({}, { a: 1 }), /only update operators/],
    ["replacement with operators", (p) => p.findOneAndReplace({}, { $set: { a: 1 } }), /must not contain update operators/],
    ["functions in a filter", (p) => p.deleteMany({ $where: () => true } as never), /deleteMany on app\.posts: invalid filter: a function/],
    ["undefined in a filter", (p) => p.deleteMany({ owner: undefined }), /filter\.owner is undefined/],
    ["undefined in a bulk filter", (p) => p.bulkWrite([{ deleteMany: { filter: { owner: undefined } } }]), /operations\[0\]\.deleteMany\.filter\.owner is undefined/],
    ["deleteMany with no filter", (p) => p.deleteMany(undefined as never), /a filter is required/],
    ["unknown query operators", (p) => p.count({ n: { $bogus: 1 } }), /count on app\.posts: .*\$bogus/],
    ["unknown bulk operations", (p) => p.bulkWrite([{ insertTwo: {} } as never]), /unsupported operation "insertTwo"/],
  ])("%s are rejected with a clear error and change nothing", async (_label, call, message) => {
    const { posts, stored } = setup([{ _id: 1, n: 1 }]);
    await expect(call(posts)).rejects.toThrow(message);
    expect(stored()).toEqual([{ _id: 1, n: 1 }]);
  });

  test("invalid names throw at once", () => {
    const { service } = setup();
    expect(() => service.db("a.b")).toThrow(/invalid database name/);
    expect(() => service.db("app").collection("")).toThrow(/invalid collection name/);
  });

  test("EJSON snapshot of the emulator's values is canonical (types preserved)", async () => {
    const { posts, store } = setup();
    await posts.insertOne({ _id: 1, i: 1, d: 1.5 });
    expect(store.toEJSON()).toEqual({ [NS]: [EJSON.serialize({ _id: 1, i: 1, d: 1.5 }, { relaxed: false })] });
    expect(store.toEJSON()[NS][0]).toEqual({ _id: { $numberInt: "1" }, i: { $numberInt: "1" }, d: { $numberDouble: "1.5" } });
  });
});
