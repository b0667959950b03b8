/**
 * `npm run bench`: measures the bundle on the local emulator (127.0.0.1, port 0) and prints a
 * table, a Markdown table for the README, and writes the same figures to bench/results/latest.json.
 *
 *   1. self-delete latency at L = 25 ms with a 3-rule cleanup plan, as a ratio to 2L (login + delete),
 *      next to MongoDB's documented example function and our own steps run one after another;
 *   2. purgePendingUsers over 1,000 pending registrations at L = 25 ms, against the floor its
 *      concurrency sets and against deleting one at a time;
 *   3. the emulator's own overhead: 2,000 calls of a function that does nothing, over HTTP, each isolated in a worker
 *      thread and a fresh realm: the latency added one call at a time, the sustained throughput, and what isolation costs;
 *   4. a cold build of all functions;
 *   5. load: 200 users delete themselves at once through realm-web while 200 others stay;
 *   6. scale (bench/scale.ts): the scheduled functions over 100,000 users and 10,000 pending
 *      registrations within their operation budget. `npm run bench -- --scale-only` runs this alone
 *      and merges it into the existing latest.json; `--help` prints the usage.
 *
 * The machine is shared and noisy: every figure that matters is a ratio of times measured in this
 * one run. Every loop is bounded; the process stops by itself.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import v8 from "node:v8";
import vm from "node:vm";
import os from "node:os";
import { ObjectId } from "bson";
import { runtimeUser } from "../emulator/http/clientApi";
import { createRealm } from "../emulator/runtime/worker/realm";
import { BENCH_DIR, EXTRA_FUNCTIONS, prepareBenchApp, type BenchApp } from "./benchApp";
import { OffsetClock, SYSTEM_USER, startBenchEmulator, type BenchEmulator, type LogSink } from "./harness";
import { runSelfDeleteLoad, type LoadReport } from "./loadScenario";
import { BENCH_DATABASE, benchCleanupPlan, createUsers, randomPassword, seedUserDocuments } from "./seedData";
import { SCALE_SECTION, scaleBench } from "./scale";
import { mapPool, median, percentile, round } from "./stats";

const L = 25;
const DOCS_PER_COLLECTION = 3;
const LATENCY_RUNS = 15;
const LATENCY_WARMUP = 2;
const PURGE_COUNT = 1000;
const PURGE_SERIAL_COUNT = 200;
const PURGE_RECENT = 10;
const NOOP_CALLS = 2000;
const NOOP_IN_FLIGHT = 50;
const NOOP_WARMUP = 100;
const NOOP_UNLOADED = 200;
const LOAD_DELETING = 200;
const LOAD_STAYING = 200;
const DAY_MS = 24 * 60 * 60 * 1000;

interface Row {
  section: string;
  measure: string;
  result: string;
  target: string;
  /** true / false, or undefined when the row has no target. */
  met?: boolean;
}

const rows: Row[] = [];
/** Every log sink used, for the secret scan over the whole run. */
const sinks: LogSink[] = [];
/** Correctness problems (not target misses): any of them makes the run exit with 1. */
const problems: string[] = [];

function row(section: string, measure: string, result: string, target = "", met?: boolean): void {
  rows.push({ section, measure, result, target, met });
}

function expect(condition: boolean, problem: string): void {
  if (!condition) problems.push(problem);
}

const ms = (value: number) => `${round(value, value < 10 ? 2 : 1)} ms`;
const x = (value: number) => `${round(value, 2)}×`;

async function started(options: Parameters<typeof startBenchEmulator>[0]): Promise<BenchEmulator> {
  const bench = await startBenchEmulator(options);
  sinks.push(bench.sink);
  return bench;
}

// ---------------------------------------------------------------------------------------------
// 1. Self-delete latency

interface Variant {
  fn: string;
  label: string;
  /** Round trips one after another that the design needs: its own floor, in units of L. */
  floorTrips: number;
  cleans: boolean;
}

async function selfDeleteLatency(app: BenchApp): Promise<Record<string, unknown>> {
  const plan = benchCleanupPlan();
  const bench = await started({ appDir: app.appDir, latencyMs: L, retainLines: false, valueOverrides: { userDataCleanup: plan } });
  const { emulator, operations } = bench;
  try {
    const password = randomPassword();
    bench.sink.addSecrets({ "the users' password": password });
    // Other owners' documents around the user's own, so the cleanup filters have something to skip.
    for (let i = 0; i < 50; i++) seedUserDocuments(emulator.store, new ObjectId().toHexString(), DOCS_PER_COLLECTION);

    const variants: Variant[] = [
      { fn: "deleteCurrentUser", label: "ours: deleteCurrentUser", floorTrips: 4, cleans: true },
      { fn: EXTRA_FUNCTIONS.mongodbExample, label: "MongoDB docs example (no cleanup, no checks)", floorTrips: 2, cleans: false },
      { fn: EXTRA_FUNCTIONS.sequentialDelete, label: "our steps one after another", floorTrips: 9, cleans: true },
    ];
    const times = new Map<string, number[]>(variants.map((v) => [v.fn, []]));
    const calls = new Map<string, { admin: number; data: number }>();
    const leftBehind = new Map<string, number>();
    for (let run = 0; run < LATENCY_WARMUP + LATENCY_RUNS; run++) {
      // Rotating the order spreads the machine's noise over the three alike.
      for (let k = 0; k < variants.length; k++) {
        const variant = variants[(run + k) % variants.length];
        const [user] = await createUsers(emulator, 1, `latency-${variant.fn}`, password);
        seedUserDocuments(emulator.store, user.id, DOCS_PER_COLLECTION);
        const record = emulator.state.getUser(user.id);
        if (!record) throw new Error(`user ${user.id} was not created`);
        operations.reset();
        const t0 = performance.now();
        await emulator.runtime.call(variant.fn, [], runtimeUser(record), "client");
        const elapsed = performance.now() - t0;
        expect(emulator.state.getUser(user.id) === undefined, `${variant.fn} did not delete user ${user.id}`);
        const owned =
          emulator.store.documents(BENCH_DATABASE, "posts").filter((d) => d.owner_id === user.id).length +
          emulator.store.documents(BENCH_DATABASE, "profiles").filter((d) => String(d.user) === user.id).length +
          emulator.store.documents(BENCH_DATABASE, "messages").filter((d) => (d.sender as { id?: unknown } | undefined)?.id === user.id).length;
        expect(owned === (variant.cleans ? 0 : 3 * DOCS_PER_COLLECTION), `${variant.fn} left ${owned} document(s) of user ${user.id}`);
        leftBehind.set(variant.fn, owned);
        calls.set(variant.fn, { admin: operations.adminCalls(), data: operations.dataCalls() });
        if (run >= LATENCY_WARMUP) times.get(variant.fn)?.push(elapsed);
      }
    }

    const floor = 2 * L;
    const section = "1. self-delete";
    const out: Record<string, unknown> = { latencyMs: L, floorMs: floor, runs: LATENCY_RUNS, warmupRuns: LATENCY_WARMUP, cleanupRules: plan.length, documentsPerCollection: DOCS_PER_COLLECTION, variants: {} };
    console.log(`\n1. Self-delete latency, L = ${L} ms, cleanup plan of ${plan.length} rules, ${DOCS_PER_COLLECTION} documents per collection per user; median of ${LATENCY_RUNS} runs (each a fresh user, ${LATENCY_WARMUP} warm-up runs not counted), called through the emulator's function runtime. Floor = 2L = ${floor} ms (login, then delete).`);
    for (const variant of variants) {
      const samples = times.get(variant.fn) ?? [];
      const med = median(samples);
      const ratio = med / floor;
      const c = calls.get(variant.fn);
      const left = leftBehind.get(variant.fn) ?? 0;
      (out.variants as Record<string, unknown>)[variant.fn] = {
        label: variant.label,
        medianMs: round(med),
        minMs: round(Math.min(...samples)),
        maxMs: round(Math.max(...samples)),
        ratioTo2L: round(ratio, 3),
        designFloorRatio: variant.floorTrips / 2,
        adminApiCalls: c?.admin,
        dataServiceCalls: c?.data,
        documentsLeftBehindPerUser: left,
        samplesMs: samples.map((s) => round(s)),
      };
      console.log(
        `  ${variant.label.padEnd(46)} median ${ms(med).padStart(9)}  = ${x(ratio).padStart(6)} 2L   (its design's floor ${variant.floorTrips} round trips = ${x(variant.floorTrips / 2)} 2L; ${c?.admin} Admin API + ${c?.data} data calls; ${left} documents left behind)`,
      );
    }
    const ours = median(times.get("deleteCurrentUser") ?? []) / floor;
    const example = median(times.get(EXTRA_FUNCTIONS.mongodbExample) ?? []) / floor;
    const sequential = median(times.get(EXTRA_FUNCTIONS.sequentialDelete) ?? []) / floor;
    // The target is the one the benchmark issue set; our ordering's floor (login, cleanup, delete, final pass; the
    // logout overlaps the final pass) is exactly it, so any real work misses it: the README says why.
    row(section, "ours (3-rule cleanup + final pass), median time / 2L", `${x(ours)} (${ms(ours * floor)})`, "≤ 2.0× (our ordering's floor: 4 round trips = 2.0×)", ours <= 2.0);
    row(section, "MongoDB docs example (no cleanup, no status checks) / 2L", `${x(example)} (${ms(example * floor)}), leaves ${leftBehind.get(EXTRA_FUNCTIONS.mongodbExample)} documents per user`, "reference (floor 1.0×)");
    row(section, "our steps one after another / 2L", `${x(sequential)} (${ms(sequential * floor)})`, "≥ 4.5× (floor 9 round trips = 4.5×: login, 3 rules, delete, 3 rules, logout)", sequential >= 4.5);
    row(section, "one after another / ours", x(sequential / ours), "");
    return out;
  } finally {
    await emulator.close();
  }
}

// ---------------------------------------------------------------------------------------------
// 2. purgePendingUsers

interface PurgeRun {
  pending: number;
  concurrency: number;
  ms: number;
  reads: number;
  deletes: number;
  logins: number;
  dataCalls: number;
  runs: number;
  result: { scanned?: number; deleted?: number; complete?: boolean };
}

async function purgeRun(app: BenchApp, pending: number, concurrency: number): Promise<PurgeRun> {
  const clock = new OffsetClock();
  const bench = await started({
    appDir: app.appDir,
    requireEmailConfirmation: true,
    clock,
    retainLines: false,
    valueOverrides: { batchConcurrency: concurrency, scheduledRunBudgetSeconds: 280, pendingUserMaxAgeDays: 7 },
  });
  const { emulator, faults, operations } = bench;
  try {
    const password = randomPassword();
    bench.sink.addSecrets({ "the registrations' password": password });
    const tag = randomPassword().slice(3, 9);
    // Registrations made while the clock runs 30 days behind carry a 30-day-old ObjectId timestamp.
    clock.offsetMs = 30 * DAY_MS;
    await mapPool(Array.from({ length: pending }, (_, i) => i), 8, (i) => emulator.state.register(`old-${tag}-${i}@example.com`, password, true));
    clock.offsetMs = 0;
    // A few fresh ones that must survive the purge.
    await mapPool(Array.from({ length: PURGE_RECENT }, (_, i) => i), 8, (i) => emulator.state.register(`new-${tag}-${i}@example.com`, password, true));
    expect(emulator.state.pendingCount() === pending + PURGE_RECENT, `expected ${pending + PURGE_RECENT} pending registrations, got ${emulator.state.pendingCount()}`);

    faults.latencyMs = L;
    operations.reset();
    const t0 = performance.now();
    // 1,000 deletes are more than one run's operation budget (900): the purge takes two runs.
    let deleted = 0;
    let runs = 0;
    let result: PurgeRun["result"] = {};
    while (result.complete !== true && runs < 5) {
      result = (await emulator.runtime.call("purgePendingUsers", [], SYSTEM_USER, "system")) as PurgeRun["result"];
      deleted += result.deleted ?? 0;
      runs += 1;
    }
    const elapsed = performance.now() - t0;
    expect(deleted === pending && result.complete === true, `purge (concurrency ${concurrency}) deleted ${deleted} in ${runs} run(s), last returned ${JSON.stringify(result)}, expected ${pending} deleted and complete`);
    expect(emulator.state.pendingCount() === PURGE_RECENT, `after the purge ${emulator.state.pendingCount()} pending registrations remain, expected the ${PURGE_RECENT} recent ones`);
    return {
      pending,
      concurrency,
      ms: elapsed,
      reads: operations.adminCalls("adminListPendingUsers"),
      deletes: operations.adminCalls("adminDeletePendingEmailPasswordUser"),
      logins: operations.adminCalls("adminLogin"),
      dataCalls: operations.dataCalls(),
      runs,
      result,
    };
  } finally {
    await emulator.close();
  }
}

/** A purge section that throws is reported as a failure with its error: the other sections still run, and the run exits with 1. */
function purgeFailed(error: unknown): Record<string, unknown> {
  const message = error instanceof Error ? error.message : String(error);
  console.log(`\n2. purgePendingUsers over ${PURGE_COUNT} pending registrations: FAILED: ${message}`);
  row("2. purge", `purge ${PURGE_COUNT} pending (concurrency 10)`, `failed: ${message}`, "completes", false);
  problems.push(`purge of ${PURGE_COUNT} failed: ${message}`);
  return { failed: message };
}

async function purgeBench(app: BenchApp): Promise<Record<string, unknown>> {
  const concurrency = 10;
  const bulk = await purgeRun(app, PURGE_COUNT, concurrency);
  const serial = await purgeRun(app, PURGE_SERIAL_COUNT, 1);
  const floor = ((bulk.reads + bulk.deletes) / concurrency) * L;
  const ratio = bulk.ms / floor;
  // One at a time, measured on the smaller set and scaled by the Admin API requests (reads + deletes).
  const serialEstimate = serial.ms * ((bulk.reads + bulk.deletes) / (serial.reads + serial.deletes));
  const speedup = serialEstimate / bulk.ms;
  const section = "2. purge";
  console.log(
    `\n2. purgePendingUsers over ${PURGE_COUNT} pending registrations older than pendingUserMaxAgeDays (plus ${PURGE_RECENT} recent ones that must stay), L = ${L} ms, batchConcurrency ${concurrency}, called as the system user.`,
  );
  console.log(`  time                         ${ms(bulk.ms)}  (${bulk.reads} page reads, ${bulk.deletes} deletes, ${bulk.logins} login, ${bulk.dataCalls} job-state data calls)`);
  console.log(`  floor = (reads + deletes) / ${concurrency} × L = (${bulk.reads} + ${bulk.deletes}) / ${concurrency} × ${L} = ${ms(floor)}  → ratio ${x(ratio)}`);
  console.log(
    `  one at a time: batchConcurrency 1 measured on ${PURGE_SERIAL_COUNT} (+${PURGE_RECENT} recent): ${ms(serial.ms)} for ${serial.reads} reads + ${serial.deletes} deletes; scaled to ${bulk.reads} + ${bulk.deletes}: ${ms(serialEstimate)} (for reference, (reads + deletes) × L = ${ms((bulk.reads + bulk.deletes) * L)})`,
  );
  console.log(`  speed-up over one at a time  ${x(speedup)}`);
  // The floor counts page reads and deletes only. The login is the one round trip that must come
  // first (the resume-point read overlaps it); resume-point saves overlap the next page's deletes.
  console.log(`  outside the floor: ${bulk.logins} login before the first page read (${ms(bulk.logins * L)} = ${x((bulk.logins * L) / floor)} the floor); ${bulk.dataCalls} job-state calls overlap it and the deletes`);
  row(section, `purge ${PURGE_COUNT} pending (concurrency ${concurrency}), time / floor`, `${x(ratio)} (${ms(bulk.ms)}; floor ${ms(floor)} = (${bulk.reads} reads + ${bulk.deletes} deletes) / ${concurrency} × L)`, "≤ 1.3×", ratio <= 1.3);
  row(section, `of which: the login before each run's first page (${bulk.runs} runs: 1,000 deletes exceed one run's 900 operations)`, `${ms(bulk.logins * L)} = ${x((bulk.logins * L) / floor)} floor (the app check and job-state calls overlap other work)`);
  row(section, "speed-up over one at a time", `${x(speedup)} (one at a time measured on ${PURGE_SERIAL_COUNT}, scaled by requests: ${ms(serialEstimate)})`, "≥ 6×", speedup >= 6);
  return {
    latencyMs: L,
    concurrency,
    bulk: { ...bulk, ms: round(bulk.ms) },
    serial: { ...serial, ms: round(serial.ms) },
    floorMs: round(floor),
    ratioToFloor: round(ratio, 3),
    serialEstimateMs: round(serialEstimate),
    serialMethod: `batchConcurrency 1 measured on ${PURGE_SERIAL_COUNT} pending registrations, scaled by (reads + deletes)`,
    loginBeforeFirstPageMs: round(bulk.logins * L),
    speedup: round(speedup, 2),
  };
}

// ---------------------------------------------------------------------------------------------
// 3. Emulator overhead

/** global.gc when node runs with --expose-gc; otherwise turned on at run time through V8's flags. */
function getGc(): (() => void) | undefined {
  if (typeof globalThis.gc === "function") return globalThis.gc as () => void;
  try {
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc") as unknown;
    return typeof gc === "function" ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  }
}

async function settledHeap(gc: (() => void) | undefined): Promise<number | undefined> {
  if (!gc) return undefined;
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed;
}

const RUNTIME_SAMPLES = 300;
const REALM_SAMPLES = 500;

/**
 * Where an isolated call's time goes: the runtime called directly (no HTTP: a worker round trip,
 * EJSON both ways, a fresh realm, the function), and the realm alone, built on this thread.
 */
async function isolationCosts(emulator: BenchEmulator["emulator"], userId: string): Promise<{ runtimeP50: number; realmMs: number }> {
  const record = emulator.state.getUser(userId);
  if (!record) throw new Error(`user ${userId} was not created`);
  const times: number[] = [];
  for (let i = 0; i < RUNTIME_SAMPLES; i++) {
    const t0 = performance.now();
    await emulator.runtime.run(EXTRA_FUNCTIONS.noop, [], runtimeUser(record), "client");
    times.push(performance.now() - t0);
  }
  const globals = { context: {}, EJSON: {}, BSON: {}, console: {} };
  for (let i = 0; i < 50; i++) createRealm(globals); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < REALM_SAMPLES; i++) createRealm(globals);
  return { runtimeP50: percentile(times.slice(RUNTIME_SAMPLES / 10), 50), realmMs: (performance.now() - t0) / REALM_SAMPLES };
}

async function overheadBench(app: BenchApp): Promise<Record<string, unknown>> {
  const bench = await started({ appDir: app.appDir, latencyMs: 0, retainLines: false });
  const { emulator } = bench;
  try {
    const password = randomPassword();
    bench.sink.addSecrets({ "the user's password": password });
    const [user] = await createUsers(emulator, 1, "overhead", password);
    const client = `${emulator.url}/api/client/v2.0/app/${emulator.clientAppId}`;
    const login = await fetch(`${client}/auth/providers/local-userpass/login`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username: user.email, password }),
    });
    const { access_token: token } = (await login.json()) as { access_token: string };
    const headers = { "Content-Type": "application/json", Authorization: `Bearer ${token}` };
    const body = JSON.stringify({ name: EXTRA_FUNCTIONS.noop, arguments: [] });
    let failures = 0;
    const callOnce = async (): Promise<number> => {
      const t0 = performance.now();
      const response = await fetch(`${client}/functions/call`, { method: "POST", headers, body });
      const text = await response.text();
      const elapsed = performance.now() - t0;
      if (response.status !== 200 || text !== "null") failures += 1;
      return elapsed;
    };
    const batch = (count: number, inFlight: number) => mapPool(Array.from({ length: count }, (_, i) => i), inFlight, callOnce);

    const gc = getGc();
    await batch(NOOP_WARMUP, NOOP_IN_FLIGHT);
    const heapStart = await settledHeap(gc);
    let peakRss = process.memoryUsage().rss;
    let peakHeap = process.memoryUsage().heapUsed;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss);
      peakHeap = Math.max(peakHeap, m.heapUsed);
    }, 10);
    const wall0 = performance.now();
    const first = await batch(NOOP_CALLS / 2, NOOP_IN_FLIGHT);
    const wallFirst = performance.now() - wall0;
    const heapAt1000 = await settledHeap(gc);
    const wall1 = performance.now();
    const second = await batch(NOOP_CALLS / 2, NOOP_IN_FLIGHT);
    const wallSecond = performance.now() - wall1;
    const heapAt2000 = await settledHeap(gc);
    clearInterval(sampler);
    const unloaded = await batch(NOOP_UNLOADED, 1);
    expect(failures === 0, `${failures} noop call(s) failed`);
    const isolation = await isolationCosts(emulator, user.id);

    const all = [...first, ...second];
    const p50 = percentile(all, 50);
    const p99 = percentile(all, 99);
    const amortized = (wallFirst + wallSecond) / NOOP_CALLS;
    const throughput = NOOP_CALLS / ((wallFirst + wallSecond) / 1000);
    const workers = Math.max(2, os.availableParallelism());
    const growth = heapAt1000 !== undefined && heapAt2000 !== undefined ? heapAt2000 - heapAt1000 : undefined;
    // "No growth": under 1 MiB from the first thousand calls to the second. heapUsed after a forced GC
    // moves by up to about ±1.4 MiB between thousands with no trend (seen over 8 thousands in a row),
    // while keeping a vm context or a request per call would add tens of MiB per thousand.
    const growthLimit = 1024 * 1024;
    const mib = (bytes: number) => `${round(bytes / (1024 * 1024), 1)} MiB`;
    const kib = (bytes: number) => `${round(bytes / 1024, 1)} KiB`;
    const section = "3. overhead";
    console.log(
      `\n3. Emulator overhead: ${NOOP_CALLS} calls of a function that does nothing, POST functions/call over HTTP on 127.0.0.1 with the global fetch, ${NOOP_IN_FLIGHT} in flight, L = 0 (${NOOP_WARMUP} warm-up calls first, not counted). Client and emulator share this process. Times are client-observed per call, so at ${NOOP_IN_FLIGHT} in flight they include waiting behind the other calls.`,
    );
    console.log(`  per call, ${NOOP_IN_FLIGHT} in flight    p50 ${ms(p50)}, p99 ${ms(p99)}, max ${ms(Math.max(...all))}`);
    console.log(
      `                                (by Little's law, ${NOOP_IN_FLIGHT} in flight × ${ms(amortized)} per call ≈ ${ms(NOOP_IN_FLIGHT * amortized)} of waiting per call: this p50 is mostly queueing in one process, not added latency)`,
    );
    console.log(`  wall time per call            ${ms(amortized)} (${round(NOOP_CALLS / ((wallFirst + wallSecond) / 1000), 0)} calls/s)`);
    console.log(`  per call, 1 in flight         p50 ${ms(percentile(unloaded, 50))}, p99 ${ms(percentile(unloaded, 99))} (${NOOP_UNLOADED} calls): the latency the emulator adds, isolation included`);
    console.log(`  sustained throughput          ${round(throughput, 0)} noop calls/s at ${NOOP_IN_FLIGHT} in flight (${workers} worker threads)`);
    console.log(
      `  isolation, per call           runtime call without HTTP p50 ${ms(isolation.runtimeP50)} = worker round trip and EJSON ${ms(isolation.runtimeP50 - isolation.realmMs)} + a fresh hardened realm ${ms(isolation.realmMs)} (mean of ${REALM_SAMPLES} built on this thread)`,
    );
    console.log(`  peak memory                   rss ${mib(peakRss)}, heapUsed ${mib(peakHeap)} (sampled every 10 ms)`);
    if (gc && heapStart !== undefined && heapAt1000 !== undefined && heapAt2000 !== undefined && growth !== undefined) {
      console.log(`  heapUsed after GC             start ${mib(heapStart)}, after 1,000 ${mib(heapAt1000)}, after 2,000 ${mib(heapAt2000)}: growth ${kib(growth)} over the second thousand`);
    } else {
      console.log("  heapUsed after GC             not measured: no way to force a GC in this process");
    }
    // The target is the one the benchmark issue set; at 50 in flight a call's client-observed time is mostly
    // waiting behind the others in this one process (Little's law), which the README explains.
    row(section, `noop call, p50 (client-observed, ${NOOP_IN_FLIGHT} in flight)`, ms(p50), "< 3 ms", p50 < 3);
    row(section, `noop call, p99 (client-observed, ${NOOP_IN_FLIGHT} in flight)`, ms(p99));
    row(section, "noop call, 1 in flight, p50: added latency with isolation (client-observed, HTTP)", ms(percentile(unloaded, 50)), "≤ 1.5 ms", percentile(unloaded, 50) <= 1.5);
    row(section, `noop calls sustained, ${NOOP_IN_FLIGHT} in flight (${workers} worker threads)`, `${round(throughput, 0)} calls/s (${ms(amortized)} wall time per call)`, "≥ 800 calls/s (before isolation, single-threaded)", throughput >= 800);
    row(
      section,
      "what isolation costs per call: worker round trip and EJSON + fresh hardened realm",
      `${ms(isolation.runtimeP50 - isolation.realmMs)} + ${ms(isolation.realmMs)} (runtime call without HTTP, p50 ${ms(isolation.runtimeP50)})`,
    );
    row(section, "peak rss / heapUsed (client and emulator in one process)", `${mib(peakRss)} / ${mib(peakHeap)}`);
    const firstGrowth = heapStart !== undefined && heapAt1000 !== undefined ? heapAt1000 - heapStart : undefined;
    row(
      section,
      "heapUsed growth after GC: first thousand calls / second thousand",
      growth === undefined || firstGrowth === undefined ? "not measured" : `${kib(firstGrowth)} / ${kib(growth)}`,
      "no growth in the second (< 1 MiB)",
      growth === undefined ? undefined : growth < growthLimit,
    );
    return {
      calls: NOOP_CALLS,
      inFlight: NOOP_IN_FLIGHT,
      latencyMs: 0,
      timing: "client-observed, per call, from fetch() to the end of the body",
      p50Ms: round(p50, 3),
      p99Ms: round(p99, 3),
      maxMs: round(Math.max(...all), 3),
      wallMsPerCall: round(amortized, 3),
      unloadedP50Ms: round(percentile(unloaded, 50), 3),
      unloadedP99Ms: round(percentile(unloaded, 99), 3),
      throughputCallsPerSecond: round(throughput, 1),
      workerThreads: workers,
      runtimeCallP50Ms: round(isolation.runtimeP50, 3),
      realmSetupMs: round(isolation.realmMs, 3),
      peakRssBytes: peakRss,
      peakHeapUsedBytes: peakHeap,
      heapUsedAfterGc: { start: heapStart ?? null, after1000: heapAt1000 ?? null, after2000: heapAt2000 ?? null },
      heapGrowthBytes: growth ?? null,
      gcAvailable: gc !== undefined,
      failures,
    };
  } finally {
    await emulator.close();
  }
}

// ---------------------------------------------------------------------------------------------
// 4. Build

function buildReport(app: BenchApp): Record<string, unknown> {
  const { build, buildWallMs } = app;
  const total = build.functions.reduce((sum, f) => sum + f.bytes, 0);
  console.log(`\n4. Cold build of all ${build.functions.length} functions (the first buildApp call in this process: esbuild starts cold): ${ms(buildWallMs)} wall (${ms(build.milliseconds)} inside buildApp).`);
  for (const f of build.functions) console.log(`  functions/${f.name}.js`.padEnd(42) + `${f.bytes.toLocaleString("en-US").padStart(8)} bytes`);
  console.log(`  total`.padEnd(42) + `${total.toLocaleString("en-US").padStart(8)} bytes`);
  row("4. build", `cold build of ${build.functions.length} functions`, `${ms(buildWallMs)}, ${total.toLocaleString("en-US")} bytes in all (largest ${Math.max(...build.functions.map((f) => f.bytes)).toLocaleString("en-US")})`);
  return {
    wallMs: round(buildWallMs),
    buildAppMs: round(build.milliseconds),
    totalBytes: total,
    files: Object.fromEntries(build.functions.map((f) => [`functions/${f.name}.js`, f.bytes])),
    benchOnlyFiles: Object.fromEntries(Object.entries(app.extras).map(([name, bytes]) => [`functions/${name}.js`, bytes])),
  };
}

// ---------------------------------------------------------------------------------------------
// 5. Load

async function loadBench(app: BenchApp): Promise<Record<string, unknown>> {
  const bench = await started({ appDir: app.appDir, valueOverrides: { userDataCleanup: benchCleanupPlan() } });
  let report: LoadReport;
  try {
    report = await runSelfDeleteLoad({
      emulator: bench.emulator,
      faults: bench.faults,
      sink: bench.sink,
      deleting: LOAD_DELETING,
      staying: LOAD_STAYING,
      documentsPerCollection: DOCS_PER_COLLECTION,
      latencyMs: L,
      forwardConsole: true,
    });
  } finally {
    await bench.emulator.close();
  }
  console.log(
    `\n5. Load: ${LOAD_DELETING} users, each signed in through realm-web as its own client, call deleteCurrentUser() at once (L = ${L} ms, 3-rule plan, ${DOCS_PER_COLLECTION} documents per collection each) while ${LOAD_STAYING} others stay.`,
  );
  console.log(
    `  sign-in of ${LOAD_DELETING} users ${ms(report.loginMs)}; all ${LOAD_DELETING} deletions ${ms(report.deleteMs)} (${round(LOAD_DELETING / (report.deleteMs / 1000), 0)} deletions/s; one alone needs at least 4L = ${ms(4 * L)})`,
  );
  for (const check of report.checks) console.log(`  ${check.ok ? "PASS" : "FAIL"}  ${check.name}: ${check.detail}`);
  for (const check of report.checks) expect(check.ok, `load: ${check.name}: ${check.detail}`);
  row("5. load", `${LOAD_DELETING} self-deletes at once, ${LOAD_STAYING} others stay`, `${report.passed ? "pass" : "FAIL"}: ${report.checks.filter((c) => c.ok).length}/${report.checks.length} checks, ${ms(report.deleteMs)}`, "all checks pass", report.passed);
  return {
    deleting: report.deleting,
    staying: report.staying,
    documentsPerCollection: report.documentsPerCollection,
    latencyMs: report.latencyMs,
    loginMs: round(report.loginMs),
    deleteMs: round(report.deleteMs),
    passed: report.passed,
    checks: report.checks,
  };
}

// ---------------------------------------------------------------------------------------------

function markdown(): string {
  const cell = (text: string) => text.replace(/\|/g, "\\|");
  const lines = ["| | measure | result | target | met |", "| --- | --- | --- | --- | --- |"];
  for (const r of rows) lines.push(`| ${cell(r.section)} | ${cell(r.measure)} | ${cell(r.result)} | ${cell(r.target || "–")} | ${r.met === undefined ? "–" : r.met ? "yes" : "no"} |`);
  return lines.join("\n");
}

function table(): string {
  const header = ["", "measure", "result", "target", "met"];
  const data = rows.map((r) => [r.section, r.measure, r.result, r.target || "–", r.met === undefined ? "–" : r.met ? "yes" : "NO"]);
  const widths = header.map((h, i) => Math.max(h.length, ...data.map((d) => d[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...data.map(line)].join("\n");
}

const USAGE = `Usage: npm run bench [-- --scale-only]
  (no option)    every section; writes bench/results/latest.json
  --scale-only   section 6 (scale) alone; merges its figures into bench/results/latest.json, the other sections' kept
  --help         this text`;

/** Strict: anything but the options above stops before the (long) run starts. */
function parseBenchArgs(args: string[]): { scaleOnly: boolean } | { stop: string; exitCode: number } {
  if (args.includes("--help") || args.includes("-h")) return { stop: USAGE, exitCode: 0 };
  const unknown = args.filter((a) => a !== "--scale-only");
  if (unknown.length > 0) return { stop: `Unknown argument(s): ${unknown.join(" ")}.\n${USAGE}`, exitCode: 2 };
  return { scaleOnly: args.includes("--scale-only") };
}

/**
 * The file to write: this run's figures, or with --scale-only the previous file's with its scale
 * section (results, rows, problems) replaced by this run's.
 */
function mergedOutput(file: string, output: Record<string, unknown> & { results: Record<string, unknown>; rows: Row[]; problems: string[] }, scaleOnly: boolean): Record<string, unknown> {
  if (!scaleOnly || !existsSync(file)) return output;
  const previous = JSON.parse(readFileSync(file, "utf8")) as { results?: Record<string, unknown>; rows?: Row[]; problems?: string[] } & Record<string, unknown>;
  const scaleSection = (r: Row) => r.section === SCALE_SECTION;
  return {
    ...previous,
    scaleOnlyRun: { startedAt: output.startedAt, node: output.node, cpus: output.cpus, platform: output.platform, secretScan: output.secretScan },
    results: { ...previous.results, scale: output.results.scale },
    rows: [...(previous.rows ?? []).filter((r) => !scaleSection(r)), ...output.rows.filter(scaleSection)],
    problems: [...(previous.problems ?? []).filter((p) => !p.startsWith(SCALE_PROBLEM_PREFIX)), ...output.problems.map((p) => `${SCALE_PROBLEM_PREFIX}${p}`)],
  };
}

const SCALE_PROBLEM_PREFIX = "scale (--scale-only run): ";

async function main(): Promise<void> {
  const parsed = parseBenchArgs(process.argv.slice(2));
  if ("stop" in parsed) {
    (parsed.exitCode === 0 ? console.log : console.error)(parsed.stop);
    process.exitCode = parsed.exitCode;
    return;
  }
  const { scaleOnly } = parsed;
  const startedAt = new Date();
  console.log(`app-services-delete-user benchmark: node ${process.version}, ${os.cpus().length} CPU(s), ${os.platform()} ${os.arch()}; emulator on 127.0.0.1 (port 0).`);
  // Built first, so that it is this process's first (cold) esbuild run.
  const app = await prepareBenchApp({ extras: true });
  const results: Record<string, unknown> = {};
  try {
    if (!scaleOnly) {
      results.build = buildReport(app);
      results.selfDelete = await selfDeleteLatency(app);
      results.purge = await purgeBench(app).catch(purgeFailed);
      results.overhead = await overheadBench(app);
      results.load = await loadBench(app);
    }
    results.scale = await scaleBench(app, { started, row, expect, settledHeap: () => settledHeap(getGc()) });
  } finally {
    app.dispose();
  }

  const findings = sinks.flatMap((s) => s.findings);
  const scanned = sinks.reduce((sum, s) => sum + s.count, 0);
  for (const f of findings) problems.push(`secret in a log line (${f.what}): ${f.line.slice(0, 120)}`);
  // A scale-only run's scan covers that section alone, so its row belongs to that section (and replaces only it in the file).
  row(scaleOnly ? SCALE_SECTION : "all", `secrets in log lines (emulator log and functions' console, ${scaleOnly ? "this section" : "every section"})`, `${findings.length} in ${scanned.toLocaleString("en-US")} lines`, "0", findings.length === 0);

  const output = {
    startedAt: startedAt.toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    platform: `${os.platform()} ${os.arch()}`,
    note: "Shared, noisy machine: compare the ratios, measured in this one run, rather than the absolute times.",
    results,
    rows,
    secretScan: { linesScanned: scanned, findings: findings.length },
    problems,
  };
  const resultsDir = join(BENCH_DIR, "results");
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, "latest.json");
  writeFileSync(file, `${JSON.stringify(mergedOutput(file, output, scaleOnly), null, 2)}\n`);

  console.log(`\nSummary\n\n${table()}`);
  console.log(`\nMarkdown (for the README)\n\n${markdown()}`);
  console.log(`\nWrote ${file}`);
  if (problems.length > 0) {
    console.log(`\n${problems.length} correctness problem(s):\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
