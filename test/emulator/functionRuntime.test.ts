/**
 * The function runtime's contract with App Services: a fresh context per call, the time limit
 * for code that never awaits and for code that would write after it, run_as_system, private
 * functions, context.functions.execute, and the bundle's dataSourceName value.
 */
import { createServer } from "node:http";
import { Long, ObjectId } from "bson";
import { RUNTIME_ERRORS } from "../../emulator/runtime/functionRuntime";
import { runtimeWith } from "../helpers/runtime";
import { SYSTEM_USER, type RuntimeUser } from "../../emulator/runtime/types";

const USER: RuntimeUser = { id: "65f0c0de0000000000000abc", type: "normal", data: {}, custom_data: {}, identities: [] };

describe("the function runtime", () => {
  it("gives every call a fresh context: top-level state does not survive", async () => {
    const { runtime } = runtimeWith({
      counter: `var calls = (typeof calls === "number" ? calls : 0) + 1; exports = function () { globalThis.leaked = (globalThis.leaked || 0) + 1; return [calls, globalThis.leaked]; };`,
    });
    expect(await runtime.call("counter", [], USER, "client")).toEqual([1, 1]);
    expect(await runtime.call("counter", [], USER, "client")).toEqual([1, 1]);
  });

  it("stops a function that loops without ever awaiting, at its time limit", async () => {
    const { runtime } = runtimeWith({ spin: `exports = function () { while (true) {} };` }, { timeoutMs: 200 });
    await expect(runtime.call("spin", [], USER, "client")).rejects.toMatchObject({ name: RUNTIME_ERRORS.timeout, message: expect.stringMatching(/exceeded the time limit/) });
  });

  it("lets nothing a timed-out function started read or write afterwards", async () => {
    // A server on 127.0.0.1 that answers after 1.5 s: the function is still waiting when its 500 ms run
    // out. The workers are warmed first, so a loaded machine's cold start does not eat the 500 ms.
    const slowServer = createServer((_req, res) => void setTimeout(() => res.end("late"), 1500));
    await new Promise<void>((resolve) => slowServer.listen(0, "127.0.0.1", resolve));
    const { port } = slowServer.address() as { port: number };
    try {
      const { runtime, store } = runtimeWith(
        {
          warm: "exports = async function () { return 1; };",
          slow: `exports = async function () {
            const notes = context.services.get("mongodb-atlas").db("app").collection("notes");
            await notes.insertOne({ at: "before" });
            await context.http.get({ url: "http://127.0.0.1:${port}/" });
            await notes.insertOne({ at: "after" });
          };`,
        },
        { timeoutMs: 500 },
      );
      await runtime.call("warm", [], USER, "client");
      await expect(runtime.call("slow", [], USER, "client")).rejects.toMatchObject({ name: RUNTIME_ERRORS.timeout });
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(store.documents("app", "notes").map((d) => d.at)).toEqual(["before"]);
    } finally {
      slowServer.close();
    }
  });

  it("reports a refused call after the limit as the time limit, not as the function's own error", async () => {
    const { runtime } = runtimeWith(
      {
        busy: `exports = async function () {
          const until = Date.now() + 150;
          while (Date.now() < until) await Promise.resolve();
          await context.services.get("mongodb-atlas").db("app").collection("notes").insertOne({});
        };`,
      },
      { timeoutMs: 50 },
    );
    await expect(runtime.call("busy", [], USER, "client")).rejects.toMatchObject({ name: RUNTIME_ERRORS.timeout });
  });

  it("runs as system only where the function says so, keeping the caller in context.user", async () => {
    const source = `exports = function () { return [context.runningAsSystem(), context.user.id]; };`;
    const { runtime } = runtimeWith({ asUser: source, asSystem: source }, { system: ["asSystem"] });
    expect(await runtime.call("asUser", [], USER, "client")).toEqual([false, USER.id]);
    expect(await runtime.call("asSystem", [], USER, "client")).toEqual([true, USER.id]);
    // The system user has no id: undefined, which EJSON carries to any caller as null.
    expect(await runtime.call("asUser", [], SYSTEM_USER, "system")).toEqual([true, null]);
  });

  it("gives a call with no caller (a trigger or scheduled run) the system user: type system, no id, empty data", async () => {
    // What context.user.data holds in a system function: the system user has no profile, so an
    // empty object (never undefined: code reading context.user.data.email gets undefined, not a TypeError).
    // A run_as_system function called by a user keeps that user's data.
    const source = `exports = function () { return { type: context.user.type, id: context.user.id, data: context.user.data, email: context.user.data.email }; };`;
    const caller: RuntimeUser = { ...USER, data: { email: "someone@example.test" } };
    const { runtime } = runtimeWith({ report: source, reportAsSystem: source }, { system: ["reportAsSystem"] });
    expect(await runtime.call("report", [], SYSTEM_USER, "system")).toEqual({ type: "system", id: null, data: {}, email: null });
    expect(await runtime.call("reportAsSystem", [], caller, "client")).toEqual({ type: "normal", id: USER.id, data: { email: "someone@example.test" }, email: "someone@example.test" });
  });

  it("refuses private functions to clients but lets other functions execute them as the same caller", async () => {
    const { runtime } = runtimeWith(
      {
        secretHelper: `exports = function (x) { return { doubled: x * 2, caller: context.user.id }; };`,
        publicEntry: `exports = function () { return context.functions.execute("secretHelper", 21); };`,
      },
      { private: ["secretHelper"] },
    );
    await expect(runtime.call("secretHelper", [1], USER, "client")).rejects.toMatchObject({ name: RUNTIME_ERRORS.notCallable });
    expect(await runtime.call("publicEntry", [], USER, "client")).toEqual({ doubled: 42, caller: USER.id });
  });

  it("serves the app's data sources (data_sources/<name>/, and mongodb-atlas), never the name a value claims, and undefined for any other name (as documented)", async () => {
    const source = `exports = function (name) { var service = context.services.get(name); return service === undefined ? "undefined" : service.db("app").collection("c").count({}); };`;
    const { runtime } = runtimeWith({ count: source }, { values: { dataSourceName: "nope" }, dataSources: ["my-cluster"] });
    await expect(runtime.call("count", ["my-cluster"], USER, "client")).resolves.toBe(0);
    await expect(runtime.call("count", ["mongodb-atlas"], USER, "client")).resolves.toBe(0);
    await expect(runtime.call("count", ["nope"], USER, "client")).resolves.toBe("undefined");
  });

  it("carries what EJSON would silently change to the data service, which refuses it: an undefined filter value, a function, a cycle", async () => {
    const { runtime, store } = runtimeWith({
      tryFilters: `exports = async function () {
        const notes = context.services.get("mongodb-atlas").db("app").collection("notes");
        await notes.insertOne({ owner_id: "a" });
        const cyclic = {}; cyclic.self = cyclic;
        const attempts = [{ owner_id: undefined }, { $where: function () { return true; } }, { owner_id: cyclic }];
        const out = [];
        for (const filter of attempts) { try { await notes.deleteMany(filter); out.push("deleted"); } catch (e) { out.push(e.message); } }
        return out;
      };`,
    });
    expect(await runtime.call("tryFilters", [], USER, "client")).toEqual([
      "deleteMany on app.notes: invalid filter: filter.owner_id is undefined (pass null to match null or missing fields)",
      expect.stringMatching(/^deleteMany on app\.notes: invalid filter: a function \(at filter\.\$where\) cannot be sent/),
      expect.stringMatching(/^deleteMany on app\.notes: invalid filter: circular reference at filter\.owner_id/),
    ]);
    expect(store.documents("app", "notes")).toHaveLength(1);
  });

  it("passes BSON values both ways between the caller, the function's worker and the data service", async () => {
    const { runtime, store } = runtimeWith({
      roundTrip: `exports = async function (id, at, big) {
        const notes = context.services.get("mongodb-atlas").db("app").collection("notes");
        await notes.insertOne({ _id: id, at: at, big: big });
        const found = await notes.findOne({ _id: id });
        return [found._id instanceof BSON.ObjectId, found.at.getTime(), found.big.toString(), found];
      };`,
    });
    const id = new ObjectId();
    const big = Long.fromString("9007199254740993");
    const result = (await runtime.call("roundTrip", [id, new Date(5), big], USER, "client")) as unknown[];
    expect(result.slice(0, 3)).toEqual([true, 5, "9007199254740993"]);
    expect(result[3]).toEqual({ _id: id, at: new Date(5), big });
    expect(store.documents("app", "notes")).toEqual([{ _id: id, at: new Date(5), big }]);
  });

  it("reports an unknown function and a file that assigns no function to exports", async () => {
    const { runtime } = runtimeWith({ broken: `exports = 42;` });
    await expect(runtime.call("missing", [], USER, "client")).rejects.toMatchObject({ name: RUNTIME_ERRORS.notFound, message: "function not found: 'missing'" });
    await expect(runtime.call("broken", [], USER, "client")).rejects.toMatchObject({ name: RUNTIME_ERRORS.execution, message: "function 'broken' does not assign a function to exports" });
  });
});
