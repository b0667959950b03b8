/**
 * The self-delete load scenario: N users, each signed in through realm-web as its own client, call
 * deleteCurrentUser() all at once while M other users and their documents must stay exactly as
 * they were. `npm run bench` runs it with 200 + 200; test/load/selfDeleteLoad.test.ts with 20 + 20.
 * Loopback only: the emulator listens on 127.0.0.1.
 */
import * as Realm from "realm-web";
import { realmApp } from "../test/helpers/realmWebClient";
import { EJSON } from "bson";
import type { Emulator } from "../emulator/server";
import type { FaultPlan } from "../emulator/faults";
import { captureProcessConsole, type LogSink } from "./harness";
import { benchCleanupPlan, canonical, createUsers, ownerIdOf, randomPassword, seedUserDocuments, valueAt, type PlanRule, type SeededUser } from "./seedData";

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

interface StoredDoc {
  key: string;
  owner: string | undefined;
  doc: Record<string, unknown>;
  text: string;
}

/** Every document of every collection the plan covers, keyed by `_id`, with its owner. */
export type PlanSnapshot = Map<string, Map<string, StoredDoc>>;

export function snapshotPlan(emulator: Emulator, plan: PlanRule[]): PlanSnapshot {
  const snapshot: PlanSnapshot = new Map();
  for (const rule of plan) {
    const docs = new Map<string, StoredDoc>();
    for (const doc of emulator.store.documents(rule.database, rule.collection)) {
      const key = canonical({ _id: doc._id });
      docs.set(key, { key, owner: ownerIdOf(valueAt(doc, rule.ownerField)), doc, text: canonical(doc) });
    }
    snapshot.set(`${rule.database}.${rule.collection}`, docs);
  }
  return snapshot;
}

export interface OutcomeInput {
  emulator: Emulator;
  sink: LogSink;
  plan: PlanRule[];
  before: PlanSnapshot;
  leavers: SeededUser[];
  stayers: SeededUser[];
  documentsPerCollection: number;
  /** What each leaver's call returned or threw, in the order of `leavers`. */
  results: PromiseSettledResult<unknown>[];
}

/** Checks the outcome of a load run against the emulator's state, store and log as they are now. */
export function checkOutcome(input: OutcomeInput): Check[] {
  const { emulator, sink, plan, before, leavers, stayers, documentsPerCollection, results } = input;
  const leaverIds = new Set(leavers.map((u) => u.id));
  const stayerIds = new Set(stayers.map((u) => u.id));
  const after = snapshotPlan(emulator, plan);
  const checks: Check[] = [];
  const add = (name: string, problems: string[], okDetail: string) =>
    checks.push({ name, ok: problems.length === 0, detail: problems.length === 0 ? okDetail : `${problems.length} problem(s), e.g. ${problems.slice(0, 3).join("; ")}` });

  // 1. Every call succeeded, for its own user, and handled all of that user's documents.
  const callProblems: string[] = [];
  if (results.length !== leavers.length) callProblems.push(`${results.length} results for ${leavers.length} users`);
  results.forEach((result, i) => {
    const id = leavers[i]?.id;
    if (result.status === "rejected") {
      const reason = result.reason as { message?: unknown };
      callProblems.push(`${id}: rejected: ${typeof reason?.message === "string" ? reason.message : String(result.reason)}`);
      return;
    }
    const receipt = result.value as { userId?: unknown; account?: unknown; cleanup?: Array<{ documents?: unknown }> } | null;
    if (receipt?.userId !== id) callProblems.push(`${id}: receipt for ${String(receipt?.userId)}`);
    else if (receipt.account !== "deleted") callProblems.push(`${id}: account ${String(receipt.account)}`);
    else if (!Array.isArray(receipt.cleanup) || receipt.cleanup.length !== plan.length || receipt.cleanup.some((c) => c.documents !== documentsPerCollection)) {
      callProblems.push(`${id}: cleanup ${JSON.stringify(receipt.cleanup)}, expected ${documentsPerCollection} document(s) per rule`);
    }
  });
  add("every call succeeded with its own receipt", callProblems, `${results.length} of ${leavers.length} calls returned a receipt for their own user, ${documentsPerCollection} document(s) per rule`);

  // 2. The deleted accounts are gone and their sessions ended.
  const accountProblems: string[] = [];
  for (const { id } of leavers) {
    if (emulator.state.getUser(id)) accountProblems.push(`${id} still exists`);
    const sessions = emulator.state.sessionCount("client", id);
    if (sessions > 0) accountProblems.push(`${id} has ${sessions} session(s)`);
  }
  add("their accounts are gone, with no session left", accountProblems, `${leavers.length} accounts deleted, 0 sessions`);

  // 3. Their documents: deleted by the delete rules, anonymized in place by the anonymize rule.
  const dataProblems: string[] = [];
  let handled = 0;
  for (const rule of plan) {
    const ns = `${rule.database}.${rule.collection}`;
    const was = before.get(ns) ?? new Map<string, StoredDoc>();
    const now = after.get(ns) ?? new Map<string, StoredDoc>();
    const owned = [...was.values()].filter((d) => d.owner !== undefined && leaverIds.has(d.owner));
    if (owned.length !== leavers.length * documentsPerCollection) dataProblems.push(`${ns}: ${owned.length} of their documents before the run, expected ${leavers.length * documentsPerCollection}`);
    const stillOwned = [...now.values()].filter((d) => d.owner !== undefined && leaverIds.has(d.owner));
    if (stillOwned.length > 0) dataProblems.push(`${ns}: ${stillOwned.length} document(s) still name a deleted user (e.g. ${stillOwned[0].text})`);
    for (const old of owned) {
      const current = now.get(old.key);
      if (rule.action === "delete") {
        if (current) dataProblems.push(`${ns}: ${old.key} was not deleted`);
        else handled += 1;
        continue;
      }
      if (!current) {
        dataProblems.push(`${ns}: ${old.key} was deleted, but the rule anonymizes`);
        continue;
      }
      // Anonymized: the expected document is the old one with `set` applied and `unset` and the owner field removed.
      const expected = structuredCloneDoc(old.doc);
      for (const field of rule.unset ?? []) unsetAt(expected, field);
      if (!(rule.ownerField in (rule.set ?? {}))) unsetAt(expected, rule.ownerField);
      for (const [field, value] of Object.entries(rule.set ?? {})) setAt(expected, field, value);
      if (canonical(expected) !== current.text) dataProblems.push(`${ns}: ${old.key} is ${current.text}, expected ${canonical(expected)}`);
      else handled += 1;
    }
  }
  add("their documents are deleted or anonymized as the plan says", dataProblems, `${handled} of their documents handled (2 rules delete, 1 anonymizes)`);

  // 4. The others' accounts are intact.
  const stayerAccountProblems: string[] = [];
  for (const { id } of stayers) {
    const user = emulator.state.getUser(id);
    if (!user) stayerAccountProblems.push(`${id} is gone`);
    else if (user.disabled) stayerAccountProblems.push(`${id} is disabled`);
  }
  add("the others' accounts are intact", stayerAccountProblems, `${stayers.length} accounts still there, enabled`);

  // 5. Every document of the others is exactly as before, and none went missing or appeared.
  const stayerDataProblems: string[] = [];
  let compared = 0;
  for (const rule of plan) {
    const ns = `${rule.database}.${rule.collection}`;
    const was = [...(before.get(ns) ?? new Map<string, StoredDoc>()).values()].filter((d) => d.owner !== undefined && stayerIds.has(d.owner));
    const now = after.get(ns) ?? new Map<string, StoredDoc>();
    if (was.length !== stayers.length * documentsPerCollection) stayerDataProblems.push(`${ns}: ${was.length} of the others' documents before the run, expected ${stayers.length * documentsPerCollection}`);
    for (const old of was) {
      const current = now.get(old.key);
      if (!current) stayerDataProblems.push(`${ns}: ${old.key} (owner ${old.owner}) is gone`);
      else if (current.text !== old.text) stayerDataProblems.push(`${ns}: ${old.key} changed from ${old.text} to ${current.text}`);
      else compared += 1;
    }
    const ownedNow = [...now.values()].filter((d) => d.owner !== undefined && stayerIds.has(d.owner)).length;
    if (ownedNow !== was.length) stayerDataProblems.push(`${ns}: the others own ${ownedNow} document(s) now, ${was.length} before`);
  }
  add("every document of the others is unchanged", stayerDataProblems, `${compared} documents compared, all identical`);

  // 6. No secret in any log line (emulator log, functions' console, this process's console, errors).
  const secretProblems = sink.findings.map((f) => `${f.what} in: ${f.line.slice(0, 160)}`);
  if (sink.count === 0) secretProblems.push("no log line was captured at all, so nothing was checked");
  add("no secret in any log line", secretProblems, `${sink.count} lines scanned: no key, password or JWT-shaped string`);
  return checks;
}

/** A deep copy that keeps BSON types (structuredClone would turn an ObjectId into a plain object). */
function structuredCloneDoc(doc: Record<string, unknown>): Record<string, unknown> {
  return EJSON.parse(canonical(doc), { relaxed: false }) as Record<string, unknown>;
}

function unsetAt(doc: Record<string, unknown>, path: string): void {
  const parts = path.split(".");
  let target: unknown = doc;
  for (const part of parts.slice(0, -1)) {
    if (typeof target !== "object" || target === null) return;
    target = (target as Record<string, unknown>)[part];
  }
  if (typeof target === "object" && target !== null) delete (target as Record<string, unknown>)[parts[parts.length - 1]];
}

function setAt(doc: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split(".");
  let target = doc;
  for (const part of parts.slice(0, -1)) {
    if (typeof target[part] !== "object" || target[part] === null) target[part] = {};
    target = target[part] as Record<string, unknown>;
  }
  target[parts[parts.length - 1]] = value;
}

export interface LoadScenarioOptions {
  /** An emulator started on the built app with `userDataCleanup: benchCleanupPlan()`. */
  emulator: Emulator;
  faults: FaultPlan;
  sink: LogSink;
  deleting: number;
  staying: number;
  documentsPerCollection: number;
  /** Admin API and data-service latency during the deletions, in ms. */
  latencyMs: number;
  /** Also print this process's console output while capturing it (the benchmark does; the test does not). */
  forwardConsole: boolean;
}

export interface LoadReport {
  deleting: number;
  staying: number;
  documentsPerCollection: number;
  latencyMs: number;
  /** Time to sign all deleting users in through realm-web, ms. */
  loginMs: number;
  /** From the first deleteCurrentUser() call to the last answer, ms. */
  deleteMs: number;
  checks: Check[];
  passed: boolean;
  /** What the checks were computed from, so they can be run again (the test tampers with it to see them fail). */
  evidence: OutcomeInput;
}

export async function runSelfDeleteLoad(options: LoadScenarioOptions): Promise<LoadReport> {
  const { emulator, faults, sink, deleting, staying, documentsPerCollection, latencyMs } = options;
  const plan = benchCleanupPlan();
  const password = randomPassword();
  sink.addSecrets({ "the users' password": password });
  const restoreConsole = captureProcessConsole(sink, options.forwardConsole);
  try {
    const leavers = await createUsers(emulator, deleting, "leaver", password);
    const stayers = await createUsers(emulator, staying, "stayer", password);
    for (const user of [...leavers, ...stayers]) seedUserDocuments(emulator.store, user.id, documentsPerCollection);
    const before = snapshotPlan(emulator, plan);

    const loginStarted = performance.now();
    const clients = await Promise.all(
      leavers.map(async (u) => {
        const user = await realmApp(emulator).logIn(Realm.Credentials.emailPassword(u.email, password));
        if (user.id !== u.id) throw new Error(`realm-web signed in ${user.id}, expected ${u.id}`);
        return user;
      }),
    );
    const loginMs = performance.now() - loginStarted;

    const previousLatency = faults.latencyMs;
    faults.latencyMs = latencyMs;
    const started = performance.now();
    const results = await Promise.allSettled(clients.map((user) => user.functions.deleteCurrentUser()));
    const deleteMs = performance.now() - started;
    faults.latencyMs = previousLatency;

    // What a client sees of a failure is checked for secrets too.
    for (const r of results) if (r.status === "rejected") sink.add(`client saw: ${String((r.reason as { message?: unknown })?.message ?? r.reason)}`);
    const evidence: OutcomeInput = { emulator, sink, plan, before, leavers, stayers, documentsPerCollection, results };
    const checks = checkOutcome(evidence);
    return { deleting, staying, documentsPerCollection, latencyMs, loginMs, deleteMs, checks, passed: checks.every((c) => c.ok), evidence };
  } finally {
    restoreConsole();
  }
}
