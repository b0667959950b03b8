/**
 * A small version of the benchmark's load scenario: 20 users, each signed in through realm-web as
 * its own client, delete themselves at once with the real built deleteCurrentUser and a 3-rule
 * cleanup plan, while 20 others must stay exactly as they were. Loopback only; no timing
 * assertions. The last test tampers with the outcome to show that every check can fail.
 */
import { createMongoDbService } from "../../emulator/data/service";
import { FaultPlan } from "../../emulator/faults";
import { prepareBenchApp, type BenchApp } from "../../bench/benchApp";
import { LogSink, startBenchEmulator, type BenchEmulator } from "../../bench/harness";
import { BENCH_DATABASE, benchCleanupPlan } from "../../bench/seedData";
import { checkOutcome, runSelfDeleteLoad, type Check, type LoadReport } from "../../bench/loadScenario";

const CHECK_NAMES = [
  "every call succeeded with its own receipt",
  "their accounts are gone, with no session left",
  "their documents are deleted or anonymized as the plan says",
  "the others' accounts are intact",
  "every document of the others is unchanged",
  "no secret in any log line",
];

let app: BenchApp;
let bench: BenchEmulator;
let report: LoadReport;

beforeAll(async () => {
  app = await prepareBenchApp();
  bench = await startBenchEmulator({ appDir: app.appDir, valueOverrides: { userDataCleanup: benchCleanupPlan() } });
  report = await runSelfDeleteLoad({
    emulator: bench.emulator,
    faults: bench.faults,
    sink: bench.sink,
    deleting: 20,
    staying: 20,
    documentsPerCollection: 3,
    latencyMs: 5,
    forwardConsole: false,
  });
}, 120_000);

afterAll(async () => {
  await bench?.emulator.close();
  app?.dispose();
});

const checkNamed = (checks: Check[], name: string) => checks.find((c) => c.name === name);

describe("20 users delete themselves at once through realm-web while 20 others stay", () => {
  it("runs every check", () => {
    expect(report.checks.map((c) => c.name)).toEqual(CHECK_NAMES);
  });

  it.each(CHECK_NAMES)("%s", (name) => {
    const check = checkNamed(report.checks, name);
    expect(check).toBeDefined();
    // On failure the received value is the check's detail, which names the first problems.
    expect(check?.ok ? "ok" : check?.detail).toBe("ok");
  });

  it("went through the emulator's HTTP APIs: one function call logged per user, Admin API deletes counted", () => {
    const calls = bench.sink.lines.filter((l) => /^function deleteCurrentUser user=[0-9a-f]{24} ok /.test(l));
    expect(calls).toHaveLength(20);
    expect(bench.operations.adminCalls("adminDeleteUser")).toBe(20);
    expect(bench.emulator.store.documents(BENCH_DATABASE, "posts")).toHaveLength(20 * 3);
  });
});

describe("the checks fail when the outcome is wrong", () => {
  // Runs last: it changes the emulator's state after the scenario's own checks.
  it("flags a failed call, a surviving account, leftover or changed data, a missing other, and a leaked secret", async () => {
    const evidence = report.evidence;
    const failing = (checks: Check[]) => checks.filter((c) => !c.ok).map((c) => c.name);
    expect(failing(checkOutcome(evidence))).toEqual([]);

    const [firstLeaver] = evidence.leavers;
    const [firstStayer] = evidence.stayers;
    const rejected: PromiseSettledResult<unknown>[] = [{ status: "rejected", reason: new Error("boom") }, ...evidence.results.slice(1)];
    expect(failing(checkOutcome({ ...evidence, results: rejected }))).toEqual([CHECK_NAMES[0]]);

    // A "deleted" user who still exists (a stayer passed off as a leaver); a "staying" user who is gone.
    expect(failing(checkOutcome({ ...evidence, leavers: [...evidence.leavers.slice(1), firstStayer], results: evidence.results }))).toContain(CHECK_NAMES[1]);
    expect(failing(checkOutcome({ ...evidence, stayers: [...evidence.stayers.slice(1), firstLeaver] }))).toContain(CHECK_NAMES[3]);

    const data = createMongoDbService(bench.emulator.store, new FaultPlan()).db(BENCH_DATABASE);
    await data.collection("posts").insertOne({ owner_id: firstLeaver.id, title: "written after the delete" });
    expect(failing(checkOutcome(evidence))).toEqual([CHECK_NAMES[2]]);
    await data.collection("posts").deleteMany({ owner_id: firstLeaver.id });

    await data.collection("messages").updateOne({ "sender.id": firstStayer.id }, { $set: { text: "edited" } });
    expect(failing(checkOutcome(evidence))).toEqual([CHECK_NAMES[4]]);

    bench.sink.add(`oops: ${bench.emulator.adminKeys.privateKey}`);
    expect(failing(checkOutcome(evidence))).toEqual([CHECK_NAMES[4], CHECK_NAMES[5]]);

    // A JWT-shaped string is caught on its own, with no known secret in the line.
    const tokenSink = new LogSink();
    tokenSink.addSecrets({});
    tokenSink.add("sent Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl");
    expect(failing(checkOutcome({ ...evidence, sink: tokenSink }))).toContain(CHECK_NAMES[5]);
  });
});
