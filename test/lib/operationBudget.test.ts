/**
 * lib/operationBudget.ts counts what a scheduled run issues the way the runtime does, refuses to go
 * past the budget, and plans by claims (idBefore is tested in userPresence.test.ts).
 */
import { operationBudget } from "../../lib/operationBudget";

function fakes() {
  const calls: string[] = [];
  const response = async (): Promise<AppServicesHttpResponse> => ({ statusCode: 200 });
  const http = {
    get: (r: AppServicesHttpRequest) => (calls.push(`GET ${r.url}`), response()),
    post: (r: AppServicesHttpRequest) => (calls.push(`POST ${r.url}`), response()),
    put: (r: AppServicesHttpRequest) => (calls.push(`PUT ${r.url}`), response()),
    patch: (r: AppServicesHttpRequest) => (calls.push(`PATCH ${r.url}`), response()),
    delete: (r: AppServicesHttpRequest) => (calls.push(`DELETE ${r.url}`), response()),
  } as AppServicesHttp;
  const cursor = (what: string): AppServicesCursor<Record<string, unknown>> => ({
    toArray: async () => (calls.push(what), []),
    sort: () => cursor(what),
    limit: () => cursor(what),
    skip: () => cursor(what),
  });
  const collection = {
    find: () => cursor("find"),
    aggregate: () => cursor("aggregate"),
    findOne: async () => (calls.push("findOne"), null),
    insertOne: async () => (calls.push("insertOne"), { insertedId: 1 }),
    updateOne: async () => (calls.push("updateOne"), { matchedCount: 0, modifiedCount: 0 }),
    updateMany: async () => (calls.push("updateMany"), { matchedCount: 0, modifiedCount: 0 }),
    deleteOne: async () => (calls.push("deleteOne"), { deletedCount: 0 }),
    deleteMany: async () => (calls.push("deleteMany"), { deletedCount: 0 }),
  } as AppServicesCollection;
  const services = { get: () => ({ db: () => ({ collection: () => collection }) }) };
  return { calls, http, services };
}

describe("operationBudget", () => {
  it("counts one per HTTP request and data call, and a cursor once, when it is read", async () => {
    const { calls, http, services } = fakes();
    const budget = operationBudget({ operations: 100, seconds: 60, reserve: 2, http, services });
    const c = budget.services.get("mongodb-atlas").db("app").collection("posts");
    const cursor = c.find({}).sort({ _id: 1 }).limit(5);
    expect(budget.used()).toBe(0);
    await cursor.toArray();
    await c.aggregate([]).toArray();
    await c.findOne({});
    await c.updateOne({}, {});
    await c.updateMany({}, {});
    await c.deleteMany({});
    await c.insertOne({});
    await budget.http.get({ url: "u" });
    await budget.http.delete({ url: "u" });
    expect(budget.used()).toBe(9);
    expect(calls).toHaveLength(9);
  });

  it("refuses the operation past the budget itself, before it reaches the service", async () => {
    const { calls, http, services } = fakes();
    const budget = operationBudget({ operations: 20, seconds: 60, reserve: 2, http, services });
    for (let i = 0; i < 20; i++) await budget.http.post({ url: "u" });
    await expect(budget.http.post({ url: "u" })).rejects.toMatchObject({ name: "OperationBudgetError", message: expect.stringMatching(/exceed its operation budget of 20 with an HTTP POST/) });
    await expect(budget.services.get("x").db("d").collection("c").find({}).toArray()).rejects.toMatchObject({ name: "OperationBudgetError" });
    expect(calls).toHaveLength(20);
  });

  it("grants claims up to the budget less the reserve, the reserve only to closing claims, and nothing once the time is spent", () => {
    const { http, services } = fakes();
    let now = 1000;
    const budget = operationBudget({ operations: 30, seconds: 10, reserve: 4, http, services, now: () => now });
    expect(budget.claim(20)).toBe(true);
    expect(budget.claim(7)).toBe(false);
    expect(budget.claim(6)).toBe(true);
    expect(budget.spent()).toBe(true);
    expect(budget.claim(1)).toBe(false);
    expect(budget.claimReserve(3)).toBe(true);
    expect(budget.claimReserve(2)).toBe(false);
    expect(budget.claimReserve(1)).toBe(true);

    const timed = operationBudget({ operations: 30, seconds: 10, reserve: 4, http, services, now: () => now });
    expect(timed.claim(1)).toBe(true);
    now += 10_000;
    expect(timed.outOfTime()).toBe(true);
    expect(timed.claim(1)).toBe(false);
  });
});
