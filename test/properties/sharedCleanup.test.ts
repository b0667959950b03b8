/**
 * Property-based tests of the cleanup (issue 10, item 2), through the built deleteCurrentUser in the
 * emulator. fast-check generates collections whose owner fields mix every supported shape (a scalar
 * id as a string or an ObjectId, an array of ids, an array of subdocuments, nested paths) for
 * several users, and a random valid plan. After user A's deletion:
 *
 * - no field the plan covers still holds A's id;
 * - every document A did not own is unchanged, compared as canonical EJSON;
 * - every shared document differs only in A's own entry; documents A owned alone got the action;
 * - the receipt counts them: alone as documents, shared as detached;
 * - a second call changes nothing.
 *
 * `npm test` runs DEFAULT_RUNS cases. More: `PROPERTY_RUNS=5000 npm run test:properties`. A failure
 * prints fast-check's seed and path; replay it with `PROPERTY_SEED=<seed> PROPERTY_PATH=<path> npm run test:properties`.
 */
import fc from "fast-check";
import { EJSON, ObjectId } from "bson";
import { parseCleanupPlan } from "../../lib/cleanupPlan";
import { runFunction, createUser, startBuiltApp, SYSTEM_USER, userOf, type Harness } from "../helpers/builtApp";

const DEFAULT_RUNS = 300;
const RUNS = Number(process.env.PROPERTY_RUNS ?? DEFAULT_RUNS);
const SEED = process.env.PROPERTY_SEED === undefined ? undefined : Number(process.env.PROPERTY_SEED);
const PATH = process.env.PROPERTY_PATH;

/**
 * The departing user and two others; none has an account, so the account step answers "alreadyGone".
 * In the batch property, A and B are orphans the sweep cleans together, and C is a live user (its
 * id is set once the emulator has made the account, before any case is generated).
 */
const USERS: Record<"A" | "B" | "C", string> = { A: "65f0c0de00000000000000a1", B: "65f0c0de00000000000000b2", C: "65f0c0de00000000000000c3" };
type Who = keyof typeof USERS | "guest" | "none";
/** Whose entries the cleanup removes: A alone, or A and B in the sweep's batch. */
let departing = new Set<string>([USERS.A]);

/** Owner path segments; set/unset use other names ("label", "email", "title", "secret"), so no path overlaps the owner field. */
const SEGMENTS = ["owner", "by", "team", "members"];
const PLACEHOLDER = "deleted-user";

type Doc = Record<string, unknown>;

// ------------------------------------------------------------------------------------------------
// Generators

const idValue: fc.Arbitrary<unknown> = fc
  .record({ who: fc.constantFrom<Who>("A", "A", "B", "C", "guest", "none"), asObjectId: fc.boolean() })
  .map(({ who, asObjectId }) => {
    if (who === "guest") return "guest";
    if (who === "none") return null;
    return asObjectId ? new ObjectId(USERS[who]) : USERS[who];
  });

/** `{ a: { b: value } }` for the segments ["a", "b"]. */
function nest(segments: string[], value: unknown): Doc {
  return segments.reduceRight<Doc>((inner, segment, i) => (i === segments.length - 1 ? { [segment]: value } : { [segment]: inner }), {});
}

/** One document for an owner path: a scalar, an array of ids, or an array of subdocuments at some prefix, or no owner. */
function documentFor(segments: string[]): fc.Arbitrary<Doc> {
  const extras = { title: "a title", secret: "a secret", mentions: [USERS.A] };
  const shapes: Array<fc.Arbitrary<Doc>> = [
    idValue.map((v) => ({ ...extras, ...nest(segments, v) })),
    fc.array(idValue, { minLength: 1, maxLength: 4 }).map((ids) => ({ ...extras, ...nest(segments, ids) })),
    fc.constant({ ...extras }),
  ];
  for (let k = 1; k < segments.length; k++) {
    const element = fc.oneof(
      idValue.map((v) => ({ ...nest(segments.slice(k), v), label: "Ann", email: "ann@example.com" })),
      fc.constant({ label: "a guest without an id" }),
    );
    shapes.push(fc.array(element, { minLength: 1, maxLength: 3 }).map((elements) => ({ ...extras, ...nest(segments.slice(0, k), elements) })));
  }
  return fc.oneof(...shapes);
}

interface Case {
  rules: Array<Record<string, unknown>>;
  collections: Doc[][];
}

function ruleFor(collection: string, segments: string[]): fc.Arbitrary<Record<string, unknown>> {
  const ownerField = segments.join(".");
  const base = { collection, ownerField };
  const prefixes = segments.slice(0, -1).map((_, k) => segments.slice(0, k + 1).join("."));
  const setCandidates = ["title", ...prefixes.map((p) => `${p}.label`)];
  const unsetCandidates = ["secret", ...prefixes.map((p) => `${p}.email`)];
  const anonymize = fc
    .record({
      set: fc.subarray(setCandidates),
      unset: fc.subarray(unsetCandidates),
      placeholder: fc.boolean(),
    })
    .filter(({ set, unset, placeholder }) => set.length + unset.length > 0 || placeholder)
    .map(({ set, unset, placeholder }) => {
      const values: Record<string, unknown> = Object.fromEntries(set.map((p) => [p, "Deleted"]));
      if (placeholder) values[ownerField] = PLACEHOLDER;
      return { ...base, action: "anonymize", set: values, unset };
    });
  return fc.oneof(fc.constant({ ...base, action: "delete" }), anonymize);
}

const cases: fc.Arbitrary<Case> = fc
  .array(fc.array(fc.constantFrom(...SEGMENTS), { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 3 })
  .chain((paths) =>
    fc.record({
      rules: fc.tuple(...paths.map((segments, i) => ruleFor(`c${i}`, segments))),
      collections: fc.tuple(...paths.map((segments) => fc.array(documentFor(segments), { minLength: 1, maxLength: 8 }))),
    }),
  );

// ------------------------------------------------------------------------------------------------
// The model: what a rule owes each document

const isA = (value: unknown) => (typeof value === "string" && departing.has(value)) || (value instanceof ObjectId && departing.has(value.toHexString()));

function get(doc: unknown, path: string[]): unknown {
  let value = doc;
  for (const segment of path) value = value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Doc)[segment] : undefined;
  return value;
}

/** Where a document keeps its owner entries: the array position (k) if any, and the entries. */
function entriesOf(doc: Doc, segments: string[]): { k?: number; entries: unknown[] } {
  for (let k = 1; k < segments.length; k++) {
    const array = get(doc, segments.slice(0, k));
    if (Array.isArray(array)) return { k, entries: array.map((element) => get(element, segments.slice(k))) };
  }
  const value = get(doc, segments);
  return { entries: Array.isArray(value) ? value : value === undefined ? [] : [value] };
}

type Ownership = "alone" | "shared" | "not";

function ownership(doc: Doc, segments: string[]): Ownership {
  const { entries } = entriesOf(doc, segments);
  if (!entries.some(isA)) return "not";
  return entries.every(isA) ? "alone" : "shared";
}

/** Every value reachable at the path, through arrays, as MongoDB's dotted paths reach them. */
function reachable(value: unknown, path: string[]): unknown[] {
  if (Array.isArray(value)) return value.flatMap((item) => (path.length === 0 ? [item] : reachable(item, path)));
  if (path.length === 0) return [value];
  if (value === null || typeof value !== "object") return [];
  return reachable((value as Doc)[path[0]], path.slice(1));
}

function setPath(doc: Doc, path: string[], value: unknown): void {
  let target = doc;
  for (const segment of path.slice(0, -1)) {
    if (target[segment] === null || typeof target[segment] !== "object") target[segment] = {};
    target = target[segment] as Doc;
  }
  target[path[path.length - 1]] = value;
}

function unsetPath(doc: Doc, path: string[]): void {
  const parent = get(doc, path.slice(0, -1));
  if (parent !== null && typeof parent === "object" && !Array.isArray(parent)) delete (parent as Doc)[path[path.length - 1]];
}

/**
 * The rule's set and unset, on the document (or, with `under`, on one element below that prefix);
 * the owner field removed too unless `keepOwner` (or set gives it a placeholder).
 */
function anonymized(target: Doc, rule: Record<string, unknown>, under?: string, keepOwner = false): Doc {
  const copy = EJSON.deserialize(EJSON.serialize(target, { relaxed: false }), { relaxed: false }) as Doc;
  const relative = (path: string) => (under === undefined ? path : path.startsWith(`${under}.`) ? path.slice(under.length + 1) : undefined);
  const set = rule.set as Record<string, unknown>;
  const ownerField = rule.ownerField as string;
  const removeOwner = !keepOwner && set[ownerField] === undefined;
  for (const path of (rule.unset as string[]).concat(removeOwner ? [ownerField] : [])) {
    const rel = relative(path);
    if (rel !== undefined) unsetPath(copy, rel.split("."));
  }
  for (const [path, value] of Object.entries(set)) {
    const rel = relative(path);
    if (rel !== undefined) setPath(copy, rel.split("."), value);
  }
  return copy;
}

/** What a shared document must look like afterwards: only A's entries changed. */
function detached(doc: Doc, rule: Record<string, unknown>, segments: string[]): Doc {
  const copy = EJSON.deserialize(EJSON.serialize(doc, { relaxed: false }), { relaxed: false }) as Doc;
  const { k } = entriesOf(copy, segments);
  if (k === undefined) {
    setPath(copy, segments, (get(copy, segments) as unknown[]).filter((id) => !isA(id)));
    return copy;
  }
  const arrayPath = segments.slice(0, k);
  const elements = get(copy, arrayPath) as Doc[];
  const own = (element: Doc) => isA(get(element, segments.slice(k)));
  const next =
    rule.action === "delete" ? elements.filter((e) => !own(e)) : elements.map((e) => (own(e) ? anonymized(e, rule, arrayPath.join(".")) : e));
  setPath(copy, arrayPath, next);
  return copy;
}

/** Documents A owned alone, after an anonymize rule: the action on the whole document, own elements included. */
function anonymizedAlone(doc: Doc, rule: Record<string, unknown>, segments: string[]): Doc {
  const { k } = entriesOf(doc, segments);
  if (k === undefined) return anonymized(doc, rule);
  const arrayPath = segments.slice(0, k).join(".");
  const documentLevel = { ...rule, set: filterKeys(rule.set as Doc, (p) => !p.startsWith(`${arrayPath}.`)), unset: (rule.unset as string[]).filter((p) => !p.startsWith(`${arrayPath}.`)) };
  const withDocumentPaths = anonymized(doc, documentLevel, undefined, true);
  const elements = (get(doc, segments.slice(0, k)) as Doc[]).map((e) => anonymized(e, rule, arrayPath));
  setPath(withDocumentPaths, segments.slice(0, k), elements);
  return withDocumentPaths;
}

function filterKeys(object: Doc, keep: (key: string) => boolean): Doc {
  return Object.fromEntries(Object.entries(object).filter(([key]) => keep(key)));
}

const canonical = (value: unknown) => EJSON.stringify(value, { relaxed: false });
const plain = (value: unknown) => JSON.parse(canonical(value));

// ------------------------------------------------------------------------------------------------

let h: Harness;
let caseNumber = 0;

beforeAll(async () => {
  h = await startBuiltApp();
  USERS.C = await createUser(h.emulator);
});
afterAll(async () => {
  await h.emulator.close();
});

type Mode = "self" | "sweep";

/** The built function that removes the departing owners: A's self-deletion, or the sweep's batch of A and B. */
async function cleanUp(mode: Mode): Promise<{ result?: unknown; error?: Error }> {
  if (mode === "self") return runFunction(h.emulator, "deleteCurrentUser", userOf(USERS.A));
  return runFunction(h.emulator, "sweepOrphanedUserData", SYSTEM_USER, [], "system");
}

async function checkCase(c: Case, mode: Mode = "self"): Promise<void> {
  departing = new Set(mode === "self" ? [USERS.A] : [USERS.A, USERS.B]);
  const database = `prop${++caseNumber}`;
  const rules = c.rules.map((rule): Record<string, unknown> & { ownerField: string } => ({ database, ...rule, ownerField: String(rule.ownerField) }));
  expect(parseCleanupPlan(rules).problems).toEqual([]);
  h.emulator.runtime.setValue("userDataCleanup", rules);
  c.collections.forEach((docs, i) => h.emulator.store.insertMany(database, `c${i}`, docs.map((doc, n) => ({ _id: n, ...doc }))));
  const snapshot = () => c.collections.map((_, i) => h.emulator.store.documents(database, `c${i}`));
  const before = snapshot();

  const first = await cleanUp(mode);
  expect(first.error).toBeUndefined();
  let aloneInAll = 0;
  let sharedInAll = 0;
  const after = snapshot();

  rules.forEach((rule, i) => {
    const segments = rule.ownerField.split(".");
    const afterById = new Map(after[i].map((doc) => [doc._id, doc]));
    let alone = 0;
    let shared = 0;
    for (const doc of after[i]) {
      // No field the plan covers still holds A's id.
      expect(reachable(doc, segments).filter(isA)).toEqual([]);
    }
    for (const doc of before[i]) {
      const now = afterById.get(doc._id);
      const owned = ownership(doc, segments);
      if (owned === "not") {
        expect(canonical(now)).toBe(canonical(doc));
      } else if (owned === "shared") {
        shared += 1;
        expect(plain(now)).toEqual(plain(detached(doc, rule, segments)));
      } else {
        alone += 1;
        if (rule.action === "delete") expect(now).toBeUndefined();
        else expect(plain(now)).toEqual(plain(anonymizedAlone(doc, rule, segments)));
      }
    }
    if (mode === "self") expect((first.result as { cleanup: unknown[] }).cleanup[i]).toMatchObject({ documents: alone, detached: shared });
    aloneInAll += alone;
    sharedInAll += shared;
  });
  // The sweep reports its batches' totals: A and B (those the case mentions) are its only orphans, C is live.
  if (mode === "sweep") {
    expect(first.result).toMatchObject({ complete: true, documents: aloneInAll, detached: sharedInAll });
    expect((first.result as { orphans: number }).orphans).toBeLessThanOrEqual(2);
    if (aloneInAll + sharedInAll > 0) expect((first.result as { orphans: number }).orphans).toBeGreaterThanOrEqual(1);
  }

  const second = await cleanUp(mode);
  expect(second.error).toBeUndefined();
  expect(snapshot().map(canonical)).toEqual(after.map(canonical));
}

it(`cleanup of one user's data over generated shapes (${RUNS} cases)`, async () => {
  await fc.assert(fc.asyncProperty(cases, (c) => checkCase(c, "self")), { numRuns: RUNS, seed: SEED, path: PATH, endOnFailure: PATH !== undefined });
}, 30_000 + RUNS * 500);

const BATCH_RUNS = Math.max(1, Math.ceil(RUNS / 3));
it(`cleanup of two orphans' data in one sweep batch over generated shapes (${BATCH_RUNS} cases): what they owned together gets the action, a live user's share is kept`, async () => {
  await fc.assert(fc.asyncProperty(cases, (c) => checkCase(c, "sweep")), { numRuns: BATCH_RUNS, seed: SEED, path: PATH, endOnFailure: PATH !== undefined });
}, 30_000 + BATCH_RUNS * 1000);
