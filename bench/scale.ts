/**
 * Section 6 of `npm run bench` (issue 11): the scheduled functions at scale, inside the runtime's
 * limits, at the default operation budget (900).
 *
 *   - sweepOrphanedUserData over 100,000 users who own a post each, 1% of them orphaned
 *     (their accounts deleted behind the bundle's back), run until one sweep completes;
 *   - purgePendingUsers over 10,000 pending registrations, half of them past the age limit, run
 *     until the pass completes.
 *
 * Operations per run are counted by the emulator (every Admin API request and data-service call
 * asks the fault plan once), independently of the bundle's own count. Users and registrations are
 * seeded straight into the emulator's state: through its API, 10,000 registrations would spend
 * minutes hashing passwords nobody uses here.
 */
import { ObjectId } from "bson";
import { DEFAULT_OPERATION_BUDGET } from "../lib/config";
import type { BenchApp } from "./benchApp";
import { OffsetClock, SYSTEM_USER, type BenchEmulator, type BenchEmulatorOptions } from "./harness";
import { round } from "./stats";
import { LIMITS } from "../emulator/runtime/rules";
import { decodeResult } from "../emulator/runtime/values";

const USERS = 100_000;
const ORPHAN_EVERY = 100;
const PENDING = 10_000;
const DAY_MS = 24 * 60 * 60 * 1000;
const MAX_RUNS = 30;

/** The section name of this bench's rows (bench/run.ts merges a --scale-only run by it). */
export const SCALE_SECTION = "6. scale";

export interface ScaleDeps {
  started(options: BenchEmulatorOptions): Promise<BenchEmulator>;
  row(section: string, measure: string, result: string, target?: string, met?: boolean): void;
  expect(condition: boolean, problem: string): void;
  /** The process's heapUsed after garbage collection, when gc is available. */
  settledHeap(): Promise<number | undefined>;
}

interface RunFigures {
  ms: number;
  operations: number;
  reported: number;
  result: Record<string, unknown>;
}

/** Samples heapUsed while `work` runs; returns its result and the peak. */
async function withPeakHeap<T>(work: () => Promise<T>): Promise<{ value: T; peak: number }> {
  let peak = process.memoryUsage().heapUsed;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }, 10);
  try {
    const value = await work();
    return { value, peak: Math.max(peak, process.memoryUsage().heapUsed) };
  } finally {
    clearInterval(timer);
  }
}

/** Calls a scheduled function until it reports complete; the emulator's own count per run. */
async function runUntilComplete(bench: BenchEmulator, name: string): Promise<{ runs: RunFigures[]; peak: number; functionHeapPeak: number }> {
  const runs: RunFigures[] = [];
  let peak = 0;
  let functionHeapPeak = 0;
  for (let i = 0; i < MAX_RUNS; i++) {
    bench.operations.reset();
    const t0 = performance.now();
    const { value: execution, peak: runPeak } = await withPeakHeap(() => bench.emulator.runtime.run(name, [], SYSTEM_USER, "system"));
    const result = decodeResult(execution.ejson) as Record<string, unknown>;
    functionHeapPeak = Math.max(functionHeapPeak, execution.heapPeakBytes);
    runs.push({ ms: performance.now() - t0, operations: bench.operations.count(), reported: Number(result.operations), result });
    peak = Math.max(peak, runPeak);
    if (result.complete === true) break;
  }
  return { runs, peak, functionHeapPeak };
}

const MiB = (bytes: number) => `${round(bytes / 1024 / 1024, 1)} MiB`;
const seconds = (ms: number) => `${round(ms / 1000, 1)} s`;

async function sweepAtScale(app: BenchApp, deps: ScaleDeps) {
  const bench = await deps.started({
    appDir: app.appDir,
    retainLines: false,
    valueOverrides: { userDataCleanup: [{ database: "app", collection: "posts", ownerField: "owner_id", action: "delete" }], scheduledRunBudgetSeconds: 280 },
  });
  const { emulator } = bench;
  try {
    const t0 = performance.now();
    const ids: string[] = [];
    for (let i = 0; i < USERS; i++) ids.push(emulator.state.createAnonymousUser().id);
    // Owner ids stored both ways, as the cleanup plan allows.
    emulator.store.insertMany("app", "posts", ids.map((id, i) => ({ owner_id: i % 2 === 0 ? id : new ObjectId(id), n: i })));
    const orphans = ids.filter((_, i) => i % ORPHAN_EVERY === 0);
    for (const id of orphans) emulator.state.deleteUser(id);
    const seedMs = performance.now() - t0;
    const baseline = (await deps.settledHeap()) ?? process.memoryUsage().heapUsed;

    const t1 = performance.now();
    const { runs, peak, functionHeapPeak } = await runUntilComplete(bench, "sweepOrphanedUserData");
    const totalMs = performance.now() - t1;

    const orphanSet = new Set(orphans);
    const left = emulator.store.documents("app", "posts");
    const ownerOf = (d: Record<string, unknown>) => String(d.owner_id).toLowerCase();
    deps.expect(runs[runs.length - 1].result.complete === true, `sweep: no complete sweep in ${MAX_RUNS} runs`);
    deps.expect(left.length === USERS - orphans.length, `sweep: ${left.length} posts left, expected ${USERS - orphans.length}`);
    deps.expect(!left.some((d) => orphanSet.has(ownerOf(d))), "sweep: an orphan's post was left");
    for (const r of runs) deps.expect(r.operations === r.reported, `sweep: the emulator counted ${r.operations} operations in a run, the bundle ${r.reported}`);
    deps.expect(functionHeapPeak < LIMITS.memoryBytes, `sweep: the function's worker heap peaked at ${MiB(functionHeapPeak)}, over the ${MiB(LIMITS.memoryBytes)} limit`);
    return { runs, peakAboveBaseline: peak - baseline, functionHeapPeak, seedMs, totalMs, orphans: orphans.length };
  } finally {
    await emulator.close();
  }
}

async function purgeAtScale(app: BenchApp, deps: ScaleDeps) {
  const clock = new OffsetClock();
  const bench = await deps.started({ appDir: app.appDir, retainLines: false, requireEmailConfirmation: true, clock, valueOverrides: { pendingUserMaxAgeDays: 7, scheduledRunBudgetSeconds: 280 } });
  const { emulator } = bench;
  try {
    // Straight into the registrations (their ids carry the clock's time); the hash is never checked here.
    clock.offsetMs = 30 * DAY_MS;
    for (let i = 0; i < PENDING / 2; i++) emulator.state.seedPending(`old-${i}@example.com`, "scrypt$unused");
    clock.offsetMs = 0;
    for (let i = 0; i < PENDING / 2; i++) emulator.state.seedPending(`new-${i}@example.com`, "scrypt$unused");
    const t1 = performance.now();
    const { runs } = await runUntilComplete(bench, "purgePendingUsers");
    const totalMs = performance.now() - t1;
    deps.expect(runs[runs.length - 1].result.complete === true, `purge: not complete in ${MAX_RUNS} runs`);
    deps.expect(emulator.state.pendingCount() === PENDING / 2, `purge: ${emulator.state.pendingCount()} pending left, expected ${PENDING / 2}`);
    for (const r of runs) deps.expect(r.operations === r.reported, `purge: the emulator counted ${r.operations} operations in a run, the bundle ${r.reported}`);
    return { runs, totalMs };
  } finally {
    await emulator.close();
  }
}

export async function scaleBench(app: BenchApp, deps: ScaleDeps): Promise<Record<string, unknown>> {
  const section = SCALE_SECTION;
  const budget = DEFAULT_OPERATION_BUDGET;
  console.log(`\n6. Scheduled functions at scale, default operation budget ${budget}: sweep over ${USERS.toLocaleString("en-US")} users owning a post each, 1% orphaned; purge over ${PENDING.toLocaleString("en-US")} pending registrations, half expired.`);
  const sweep = await sweepAtScale(app, deps);
  const purge = await purgeAtScale(app, deps);

  const maxOps = Math.max(...sweep.runs.map((r) => r.operations), ...purge.runs.map((r) => r.operations));
  const settled = sweep.runs.map((r) => Number(r.result.checked));
  // Every run but the last stopped at its budget; the last finished what was left.
  const fullRuns = settled.length > 1 ? settled.slice(0, -1) : settled;
  const minSettled = Math.min(...fullRuns);
  const deletedPerRun = purge.runs.map((r) => Number(r.result.deleted));
  const fullPurgeRuns = deletedPerRun.length > 1 ? deletedPerRun.slice(0, -1) : deletedPerRun;
  for (const [i, r] of sweep.runs.entries()) {
    console.log(`  sweep run ${i + 1}: ${r.result.checked} owners settled, ${r.result.orphans} orphaned, ${r.operations} operations (${r.result.listRequests} user list requests, ${r.result.userChecks} single-user checks), ${seconds(r.ms)}${r.result.complete ? ", complete" : `, about ${r.result.remaining} left, ${r.result.runsToFinish} run(s) to go`}`);
  }
  for (const [i, r] of purge.runs.entries()) console.log(`  purge run ${i + 1}: ${r.result.deleted} deleted, ${r.operations} operations, ${seconds(r.ms)}${r.result.complete ? ", complete" : ""}`);
  console.log(`  seeding ${USERS.toLocaleString("en-US")} users and posts: ${seconds(sweep.seedMs)}; peak heapUsed above the seeded baseline during the sweep runs: ${MiB(sweep.peakAboveBaseline)}`);

  deps.row(section, "most operations in one scheduled run (emulator's count; the bundle's agrees)", `${maxOps} (sweep ${Math.max(...sweep.runs.map((r) => r.operations))}, purge ${Math.max(...purge.runs.map((r) => r.operations))})`, `≤ ${budget}`, maxOps <= budget);
  deps.row(section, "sweep: owners settled per run (runs stopped by the budget)", `${minSettled.toLocaleString("en-US")} at least (${settled.map((n) => n.toLocaleString("en-US")).join(", ")})`, "≥ 25,000", minSettled >= 25_000);
  deps.row(section, `sweep: runs to finish one sweep of ${USERS.toLocaleString("en-US")} owners (${sweep.orphans.toLocaleString("en-US")} orphans cleaned)`, String(sweep.runs.length), "≤ 5", sweep.runs.length <= 5);
  deps.row(section, `purge: pending registrations deleted per run (${(PENDING / 2).toLocaleString("en-US")} expired)`, `${Math.min(...fullPurgeRuns)} at least (${deletedPerRun.join(", ")}; ${purge.runs.length} runs)`);
  deps.row(section, "peak memory during the sweep runs (the emulator's main-thread heapUsed above the seeded baseline; the function runs in a worker under its 350 MB limit)", MiB(sweep.peakAboveBaseline));
  deps.row(section, "function's peak heap during the sweep runs (its worker's used V8 heap, sampled at each data reply)", MiB(sweep.functionHeapPeak), `< ${MiB(LIMITS.memoryBytes)}`, sweep.functionHeapPeak < LIMITS.memoryBytes);
  deps.row(section, "emulator time serving it all (sweep runs / purge runs)", `${seconds(sweep.totalMs)} / ${seconds(purge.totalMs)}`);
  const figures = (r: RunFigures) => ({ ms: round(r.ms), operations: r.operations, result: r.result });
  return {
    users: USERS,
    orphans: sweep.orphans,
    pending: PENDING,
    budget,
    maxOperationsPerRun: maxOps,
    sweepRuns: sweep.runs.map(figures),
    purgeRuns: purge.runs.map(figures),
    sweepPeakHeapAboveBaselineBytes: sweep.peakAboveBaseline,
    sweepFunctionHeapPeakBytes: sweep.functionHeapPeak,
    sweepMs: round(sweep.totalMs),
    purgeMs: round(purge.totalMs),
    seedMs: round(sweep.seedMs),
  };
}
