/**
 * The emulator enforces the runtime's documented rules (emulator/runtime/rules.ts), over real
 * HTTP on 127.0.0.1 with hand-written fixture functions: every forbidden member and global is
 * absent from the realm (a TypeError, as on the platform) while other clients are served; a loop
 * after an await is stopped at the time limit while another client's call completes; the 1001st
 * async operation fails the execution (1000 pass), counting functions.execute; nothing a function
 * attempts after its limit reaches the data.
 */
import { FORBIDDEN_GLOBALS, FORBIDDEN_MEMBERS, FORBIDDEN_REGEXP_FLAGS, LIMITS, memberName } from "../../emulator/runtime/rules";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Emulator } from "../../emulator/server";
import { anonLogin, callFunction, makeFixtureApp, startTestEmulator, type FixtureFunction } from "../helpers/emulator";

const TIME_LIMIT_MS = 600;

/** An expression that fails with a TypeError only when the member is absent (calling it, or reading from its value). */
function useOf(owner: string, member: string): string {
  const target = owner === "RegExp.prototype" ? "/a/g" : owner;
  const present = owner === "RegExp.prototype" ? (RegExp.prototype as unknown as Record<string, unknown>) : (globalThis as unknown as Record<string, Record<string, unknown>>)[owner];
  const descriptor = Object.getOwnPropertyDescriptor(present, member);
  return typeof descriptor?.value === "function" ? `${target}.${member}(1, 2)` : `String(${target}.${member}.toString())`;
}

/** Returns "allowed" when the expression runs, else the error's name and message. */
function probe(expression: string): FixtureFunction {
  return { source: `exports = function () { try { ${expression}; return "allowed"; } catch (e) { return e.name + ": " + e.message; } };` };
}

const memberFixtures = FORBIDDEN_MEMBERS.map((m) => ({ name: `use_${m.owner.replace(".", "_")}_${m.member}`, label: memberName(m), expression: useOf(m.owner, m.member) }));
const globalFixtures = FORBIDDEN_GLOBALS.map((g) => ({ name: `use_${g.name}`, label: g.name, expression: `String(globalThis.${g.name}.toString())` }));
const forbidden = [...memberFixtures, ...globalFixtures];

const NOTES = `context.services.get("mongodb-atlas").db("t").collection("notes")`;

const FUNCTIONS: Record<string, FixtureFunction> = {
  ...Object.fromEntries(forbidden.map((f) => [f.name, probe(f.expression)])),
  // Controls: what ES5 offers stays, so a probe can tell present from absent.
  use_es5: probe("Math.floor(1.5); Number('2'); Array.isArray([]); /a/g.global.toString(); 'a,b'.split(/,/)"),
  regexpFlags: { source: `exports = function () { return ${JSON.stringify(FORBIDDEN_REGEXP_FLAGS.map((f) => f.flag))}.map(function (flag) { try { new RegExp("a", flag); return "allowed"; } catch (e) { return e.name; } }); };` },
  echo: { source: "exports = async function (x) { return x; };" },
  spinAfterAwait: { source: `exports = async function () { await ${NOTES}.findOne({}); for (;;) {} };` },
  /** Runs `n` async operations, swallowing every failure: the limit must fail the execution anyway. */
  manyOps: { source: `exports = async function (n) { const notes = ${NOTES}; for (var i = 0; i < n; i++) { try { await notes.count({}); } catch (e) {} } return "survived"; };` },
  executeMany: { source: `exports = async function (n) { return context.functions.execute("manyOps", n); };` },
  writeNote: { source: `exports = async function (label) { await ${NOTES}.insertOne({ label: label }); return "written"; };`, private: true },
  /** Outlives its limit awaiting a slow answer (never blocking its worker), then tries to write through execute. */
  executeAfterLimit: {
    source: `exports = async function (slowUrl) {
      await context.http.get({ url: slowUrl });
      try { await context.functions.execute("writeNote", "through execute"); } catch (e) {}
      await ${NOTES}.insertOne({ label: "directly" });
    };`,
  },
  /** Blocks its worker for `ms`, within the limit, then returns. */
  blockFor: { source: "exports = function (ms) { var until = Date.now() + ms; while (Date.now() < until) {} return \"done\"; };" },
  /** Blocks its worker past the limit, then writes. */
  blockThenWrite: {
    source: `exports = async function () {
      await ${NOTES}.count({});
      const until = Date.now() + ${TIME_LIMIT_MS * 3};
      while (Date.now() < until) {}
      await ${NOTES}.insertOne({ label: "after the loop" });
    };`,
  },
};

let emulator: Emulator & { logLines: string[] };
let token: string;
/** Answers on 127.0.0.1 after twice the time limit. */
let slowServer: Server;

beforeAll(async () => {
  emulator = await startTestEmulator({ appDir: makeFixtureApp(FUNCTIONS), functionTimeoutMs: TIME_LIMIT_MS });
  token = (await anonLogin(emulator)).access;
  slowServer = createServer((_req, res) => void setTimeout(() => res.end("late"), TIME_LIMIT_MS * 2));
  await new Promise<void>((resolve) => slowServer.listen(0, "127.0.0.1", resolve));
});

afterAll(async () => {
  slowServer?.closeAllConnections();
  slowServer?.close();
  await emulator?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const labels = () => emulator.store.documents("t", "notes").map((d) => d.label);

describe("the realm has none of the members the runtime's table forbids", () => {
  it("offers what ES5 has (the control)", async () => {
    expect((await callFunction(emulator, token, "use_es5")).body).toBe("allowed");
  });

  it.each(forbidden.map((f) => [f.label, f.name]))("%s is absent: using it is a TypeError", async (_label, name) => {
    const res = await callFunction(emulator, token, name);
    expect(res.status).toBe(200);
    expect(res.body).toMatch(/^TypeError: /);
  });

  it("refuses the RegExp u and y flags with a SyntaxError", async () => {
    expect((await callFunction(emulator, token, "regexpFlags")).body).toEqual(["SyntaxError", "SyntaxError"]);
  });

  it("keeps serving other clients while every forbidden use fails at once", async () => {
    const results = await Promise.all([...forbidden.map((f) => callFunction(emulator, token, f.name)), callFunction(emulator, token, "echo", ["still here"])]);
    expect(results.slice(0, -1).every((r) => /^TypeError: /.test(r.body))).toBe(true);
    expect(results[results.length - 1].body).toBe("still here");
  });
});

describe("the time limit holds for code that never yields", () => {
  it("stops a loop after an await at the limit, while another client's call completes meanwhile", async () => {
    const started = Date.now();
    const spinning = callFunction(emulator, token, "spinAfterAwait").then((res) => ({ res, at: Date.now() - started }));
    await sleep(100);
    const other = await callFunction(emulator, token, "echo", ["meanwhile"]);
    const otherAt = Date.now() - started;
    const { res, at } = await spinning;
    expect(other.body).toBe("meanwhile");
    expect(otherAt).toBeLessThan(at);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error_code: "ExecutionTimeLimitExceeded", error: expect.stringMatching(/spinAfterAwait.*time limit of 0.6 seconds/) });
    expect(at).toBeGreaterThanOrEqual(TIME_LIMIT_MS);
    // The stuck worker was replaced: calls keep working.
    await sleep(300);
    expect((await callFunction(emulator, token, "echo", ["after"])).body).toBe("after");
  });

  it("starts an extra worker while every worker is stuck in code, and stops it once they are free again", async () => {
    expect((await callFunction(emulator, token, "echo", ["started"])).body).toBe("started");
    const size = emulator.runtime.workerCount;
    expect(size).toBeGreaterThanOrEqual(2);
    const blocking = Array.from({ length: size }, () => callFunction(emulator, token, "blockFor", [TIME_LIMIT_MS - 150]));
    await sleep(300);
    expect((await callFunction(emulator, token, "echo", ["served"])).body).toBe("served");
    // On a loaded machine a block may overrun the limit; either way its worker is free (or replaced) after.
    for (const res of await Promise.all(blocking)) expect(res.body === "done" || res.body.error_code === "ExecutionTimeLimitExceeded").toBe(true);
    // Replacing a timed-out worker takes a moment; without retiring the extra the count stays above size.
    for (let waited = 0; emulator.runtime.workerCount !== size && waited < 2000; waited += 50) await sleep(50);
    expect(emulator.runtime.workerCount).toBe(size);
  });

  it("never lets a write attempted after the limit land, from a blocked worker", async () => {
    const res = await callFunction(emulator, token, "blockThenWrite");
    expect(res.body.error_code).toBe("ExecutionTimeLimitExceeded");
    await sleep(TIME_LIMIT_MS * 3);
    expect(labels()).not.toContain("after the loop");
  });

  it("runs context.functions.execute inside its caller's limit: nothing it writes after the limit lands", async () => {
    const res = await callFunction(emulator, token, "executeAfterLimit", [`http://127.0.0.1:${(slowServer.address() as AddressInfo).port}/`]);
    expect(res.body.error_code).toBe("ExecutionTimeLimitExceeded");
    await sleep(TIME_LIMIT_MS * 2);
    expect(labels()).toEqual([]);
  });

  it("closes promptly while a function is stuck in a loop (what SIGTERM does)", async () => {
    const other = await startTestEmulator({ appDir: makeFixtureApp(FUNCTIONS), functionTimeoutMs: 60_000 });
    const session = await anonLogin(other);
    const spinning = callFunction(other, session.access, "spinAfterAwait").catch((error: unknown) => error);
    await sleep(200);
    const started = Date.now();
    await other.close();
    expect(Date.now() - started).toBeLessThan(5000);
    await spinning;
  });
});

describe(`the limit of ${LIMITS.asyncOperations} async operations per execution`, () => {
  // A limit of its own: a thousand round trips to the main thread take longer than the short one above.
  let emulator: Emulator & { logLines: string[] };
  let token: string;
  beforeAll(async () => {
    emulator = await startTestEmulator({ appDir: makeFixtureApp(FUNCTIONS), functionTimeoutMs: 60_000 });
    token = (await anonLogin(emulator)).access;
  });
  afterAll(() => emulator?.close());

  it("lets an execution start exactly 1000, and logs the count", async () => {
    emulator.logLines.length = 0;
    const res = await callFunction(emulator, token, "manyOps", [1000]);
    expect(res.body).toBe("survived");
    expect(emulator.logLines).toContainEqual(expect.stringMatching(/^function manyOps user=\S+ ok \d+ms ops=1000$/));
  });

  it("fails the whole execution at the 1001st, even though the function catches it, naming the limit, the function and the doc", async () => {
    emulator.logLines.length = 0;
    const res = await callFunction(emulator, token, "manyOps", [1001]);
    expect(res.status).toBe(400);
    expect(res.body.error_code).toBe("FunctionExecutionError");
    expect(res.body.error).toMatch(/function 'manyOps' exceeded the limit of 1000 async operations/);
    expect(res.body.error).toMatch(/source\/functions\.txt, Constraints: Functions are limited to 1000 async operations/);
    expect(emulator.logLines).toContainEqual(expect.stringMatching(/^function manyOps .* ops=1001$/));
  });

  it("counts context.functions.execute and the operations of the function it runs in the caller's total", async () => {
    expect((await callFunction(emulator, token, "executeMany", [999])).body).toBe("survived");
    const res = await callFunction(emulator, token, "executeMany", [1000]);
    expect(res.body.error).toMatch(/function 'executeMany' exceeded the limit of 1000 async operations/);
  });
});
