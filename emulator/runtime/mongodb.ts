/**
 * The emulator's in-memory stand-in for App Services' linked cluster:
 * `context.services.get("mongodb-atlas").db(name).collection(name)`.
 *
 * mingo does the MongoDB query language (filters, update operators, projection, sort, aggregation).
 * This module adds what mingo knows nothing about: namespaces, `_id` generation and uniqueness,
 * upserts, App Services' result shapes and limits, injected faults, and the realm boundary (the
 * functions run in a node:vm context, so their arguments carry that context's prototypes).
 */
import { messageOf } from "../../lib/errors";
import { BSONRegExp, Double, EJSON, Int32, Long, ObjectId } from "bson";
import { Aggregator, Query, updateOne as mingoUpdateOne } from "mingo";
import type { Modifier, PipelineStage } from "mingo/updater";
import type { FaultPlan } from "../faults";
import { resolveArrayFilters } from "./arrayFilters";

export type Document = Record<string, unknown>;
/** `{ field: 1 | -1 }`, applied in key order. */
export type SortSpec = Record<string, 1 | -1>;

/** App Services returns at most this many documents from one query (source/functions.txt). */
export const MAX_FIND_DOCUMENTS = 50_000;

/** MongoDB rejects documents nested deeper than this; it also catches circular arguments. */
const MAX_NESTING = 100;

/**
 * Options for every mingo call. Scripts are off because the emulator, like the wire, never ships
 * JavaScript functions to the data service (functions in arguments are rejected before this point).
 */
const MINGO_OPTIONS = { scriptEnabled: false } as const;

// ---------------------------------------------------------------------------------------------
// Errors

/** An error this module raised on purpose: its message already names the call, so it is never re-wrapped. */
class DataServiceError extends Error {}

function serviceError(method: string, namespace: string, problem: string): DataServiceError {
  return new DataServiceError(`${method} on ${namespace}: ${problem}`);
}


function duplicateKeyError(namespace: string, id: unknown): DataServiceError {
  // Same wording as the server, so code that matches on "E11000" behaves as in production.
  return new DataServiceError(
    `E11000 duplicate key error collection: ${namespace} index: _id_ dup key: { _id: ${describeValue(id)} }`,
  );
}

function describeValue(value: unknown): string {
  if (value instanceof ObjectId) return `ObjectId('${value.toHexString()}')`;
  return EJSON.stringify(value, { relaxed: true });
}

// ---------------------------------------------------------------------------------------------
// Crossing the realm boundary

/**
 * Copies a value from any realm into fresh host-realm values the way the wire does: through
 * canonical EJSON. Afterwards mingo's checks work (it compares `constructor`s and uses
 * `instanceof Date`, both of which fail across realms), and the caller keeps no reference into the store.
 *
 * `EJSON.deserialize` with `relaxed: false` yields Int32/Double/Long wrappers and BSONRegExp, which
 * mingo would compare as opaque objects; `relaxed: true` would unwrap them but silently round
 * int64 values beyond 2^53. So: deserialize canonically, then unwrap what is safe to unwrap.
 */
function viaWire(value: unknown): unknown {
  return unwrapBsonValues(EJSON.deserialize(EJSON.serialize(value, { relaxed: false }), { relaxed: false }));
}

/** Turns freshly deserialized wrappers into plain JS values, in place (the input is a private copy). */
function unwrapBsonValues(value: unknown): unknown {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = unwrapBsonValues(value[i]);
    return value;
  }
  if (value === null || typeof value !== "object") return value;
  if (value instanceof Int32 || value instanceof Double) return value.valueOf();
  if (value instanceof Long) {
    const asNumber = value.toNumber();
    return Number.isSafeInteger(asNumber) ? asNumber : value; // keep exact int64 values exact
  }
  if (value instanceof BSONRegExp) return toNativeRegExp(value);
  if (isPlainObject(value)) {
    for (const key of Object.keys(value)) value[key] = unwrapBsonValues(value[key]);
  }
  return value;
}

/** `/x/i` and `{ $regex: "x", $options: "i" }` both arrive as BSONRegExp; mingo understands only RegExp. */
function toNativeRegExp(regex: BSONRegExp): RegExp | BSONRegExp {
  if (!/^[imsu]*$/.test(regex.options)) return regex; // PCRE-only flags (x, l): keep the BSON value
  try {
    return new RegExp(regex.pattern, regex.options);
  } catch {
    return regex; // a PCRE pattern JavaScript cannot compile
  }
}

function isPlainObject(value: unknown): value is Document {
  if (value === null || typeof value !== "object") return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Rejects what the wire would silently drop or choke on. A function would vanish in EJSON, which
 * turns `{ $where: fn }` into `{}`, a filter that matches every document.
 */
function assertSendable(value: unknown, path: string, ancestors: Set<object>): void {
  if (typeof value === "function") throw new Error(`a function (at ${path}) cannot be sent to the data service`);
  if (value === null || typeof value !== "object") return;
  if ("_bsontype" in value || ArrayBuffer.isView(value)) return; // BSON values and binary data are leaves
  if (ancestors.has(value)) throw new Error(`circular reference at ${path}`);
  if (ancestors.size >= MAX_NESTING) throw new Error(`nesting deeper than ${MAX_NESTING} levels at ${path}`);
  ancestors.add(value);
  for (const [key, child] of Object.entries(value)) assertSendable(child, `${path}.${key}`, ancestors);
  ancestors.delete(value);
}

/** An argument from the caller (any realm), as host-realm values. `what` names it in errors. */
function fromCaller(value: unknown, what: string): unknown {
  try {
    assertSendable(value, what, new Set());
    return viaWire(value);
  } catch (error) {
    throw new Error(`invalid ${what}: ${messageOf(error)}`);
  }
}

/** A deep copy of a stored value: what callers get, so they never hold a reference into the store. */
function copyOf<T>(value: T): T {
  return viaWire(value) as T;
}

// ---------------------------------------------------------------------------------------------
// Argument parsing (values are host-realm by now)

function asFilter(value: unknown, what: string): Document {
  if (value === undefined || value === null) return {};
  if (!isPlainObject(value)) throw new Error(`the ${what} must be an object`);
  return value;
}

function asOptionalDocument(value: unknown, what: string): Document | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) throw new Error(`the ${what} must be an object`);
  return value;
}

function asSort(value: unknown, what: string): SortSpec | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) throw new Error(`${what} must be an object like { field: 1 | -1 }`);
  for (const [field, direction] of Object.entries(value)) {
    if (direction !== 1 && direction !== -1) {
      throw new Error(`${what} for "${field}" must be 1 or -1 (got ${describeValue(direction)})`);
    }
  }
  return Object.keys(value).length > 0 ? (value as SortSpec) : undefined;
}

/** An update is either a document of update operators or an aggregation pipeline (MongoDB 4.2+). */
type ParsedUpdate = Document | PipelineStage[];

function asUpdate(value: unknown): ParsedUpdate {
  if (Array.isArray(value)) {
    if (value.length === 0 || !value.every(isPlainObject)) {
      throw new Error("an update pipeline must be a non-empty array of stage objects");
    }
    return value as PipelineStage[];
  }
  if (!isPlainObject(value) || Object.keys(value).length === 0) {
    throw new Error("the update must be a non-empty object of update operators, like { $set: { ... } }");
  }
  const plainField = Object.keys(value).find((key) => !key.startsWith("$"));
  if (plainField !== undefined) {
    throw new Error(
      `the update may contain only update operators, found field "${plainField}" (to replace a whole document use findOneAndReplace or a replaceOne bulk operation)`,
    );
  }
  return value;
}

function asReplacement(value: unknown): Document {
  if (!isPlainObject(value)) throw new Error("the replacement must be an object");
  const operator = Object.keys(value).find((key) => key.startsWith("$"));
  if (operator !== undefined) {
    throw new Error(`the replacement must not contain update operators (found "${operator}"); use an update method`);
  }
  return value;
}

function asNewDocument(value: unknown, what: string): Document {
  if (!isPlainObject(value)) throw new Error(`${what} must be an object`);
  return value;
}

function asArrayFilters(value: unknown): Document[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every(isPlainObject)) throw new Error("options.arrayFilters must be an array of objects");
  return value;
}

function asBoolean(value: unknown, what: string): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== "boolean") throw new Error(`${what} must be a boolean`);
  return value;
}

/** Options the caller passed, after checking that every one of them is supported. */
function checkOptions(value: unknown, supported: readonly string[]): Document {
  if (value === undefined || value === null) return {};
  if (!isPlainObject(value)) throw new Error("options must be an object");
  for (const key of Object.keys(value)) {
    if (key === "session") throw new Error("transactions (options.session) are not supported by the emulator");
    if (!supported.includes(key)) {
      throw new Error(`option "${key}" is not supported (supported: ${supported.join(", ") || "none"})`);
    }
  }
  return value;
}

function checkCount(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isInteger(value)) throw new Error(`${what} must be an integer`);
  return value;
}

// ---------------------------------------------------------------------------------------------
// The store

/** Namespace contents, kept out of the class's public surface so only this module can read or replace them. */
const contents = new WeakMap<DocumentStore, Map<string, Document[]>>();

function storageOf(store: DocumentStore): Map<string, Document[]> {
  const map = contents.get(store);
  if (!map) throw new Error("DocumentStore: not constructed through its constructor");
  return map;
}

/** The stored array. Callers must not mutate it nor the documents in it: writes replace both. */
function readNamespace(store: DocumentStore, namespace: string): readonly Document[] {
  return storageOf(store).get(namespace) ?? [];
}

/** Who hears of each committed write (the emulator's persistence). */
const changeListeners = new WeakMap<DocumentStore, Set<() => void>>();

function commitNamespace(store: DocumentStore, namespace: string, docs: Document[]): void {
  storageOf(store).set(namespace, docs);
  changeListeners.get(store)?.forEach((listener) => listener());
}

const INVALID_DB_NAME = /[/\\. "$\0]/;

function checkDbName(db: unknown): string {
  if (typeof db !== "string" || db.length === 0 || INVALID_DB_NAME.test(db)) {
    throw new Error(`invalid database name ${JSON.stringify(db)}: it must be a non-empty string without / \\ . " $ or spaces`);
  }
  return db;
}

/** The namespace "db.collection" (collection names may contain dots; database names may not). */
function checkNames(db: unknown, collection: unknown): string {
  checkDbName(db);
  if (typeof collection !== "string" || collection.length === 0 || /[$\0]/.test(collection)) {
    throw new Error(`invalid collection name ${JSON.stringify(collection)}: it must be a non-empty string without $`);
  }
  return `${db}.${collection}`;
}

/** MongoDB's identity for `_id` values: same BSON type and value (so "abc…" never equals ObjectId("abc…")). */
function idKey(id: unknown): string {
  return EJSON.stringify(id, { relaxed: false });
}

/**
 * Appends documents, giving each an `_id` first when it has none (as the drivers do for a missing or
 * null `_id`). Throws E11000 on a clash with the working set or within the batch.
 */
function insertInto(working: Document[], docs: readonly Document[], namespace: string): unknown[] {
  const taken = new Set(working.map((doc) => idKey(doc._id)));
  return docs.map((doc) => {
    const withId = withIdFirst(doc, doc._id ?? new ObjectId());
    const key = idKey(withId._id);
    if (taken.has(key)) throw duplicateKeyError(namespace, withId._id);
    taken.add(key);
    working.push(withId);
    return withId._id;
  });
}

/** The server stores `_id` as the first field. */
function withIdFirst(doc: Document, id: unknown): Document {
  if (Array.isArray(id)) throw new Error("an _id cannot be an array");
  const { _id: _ignored, ...rest } = doc;
  return { _id: id, ...rest };
}

export class DocumentStore {
  constructor() {
    contents.set(this, new Map());
  }

  /** Calls `listener` after every committed write; returns a function that unsubscribes. */
  onChange(listener: () => void): () => void {
    const listeners = changeListeners.get(this) ?? new Set<() => void>();
    changeListeners.set(this, listeners);
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  /** Rebuilds a store from `toEJSON()`'s output (parsed from disk). */
  static fromEJSON(snapshot: unknown): DocumentStore {
    const fail = (problem: string): never => {
      throw new Error(`DocumentStore.fromEJSON: malformed snapshot: ${problem}`);
    };
    if (!isPlainObject(snapshot)) {
      return fail(`expected an object mapping "db.collection" to arrays of documents, got ${Array.isArray(snapshot) ? "an array" : typeof snapshot}`);
    }
    const store = new DocumentStore();
    for (const [namespace, docs] of Object.entries(snapshot)) {
      const dot = namespace.indexOf(".");
      try {
        if (dot <= 0) throw new Error("expected the form db.collection");
        checkNames(namespace.slice(0, dot), namespace.slice(dot + 1));
      } catch (error) {
        fail(`bad namespace ${JSON.stringify(namespace)}: ${messageOf(error)}`);
      }
      if (!Array.isArray(docs)) fail(`${namespace}: expected an array of documents`);
      const parsed = (docs as unknown[]).map((doc, index) => {
        if (!isPlainObject(doc)) fail(`${namespace}[${index}]: expected a document object`);
        let value: unknown;
        try {
          value = unwrapBsonValues(EJSON.deserialize(doc as Document, { relaxed: false }));
        } catch (error) {
          fail(`${namespace}[${index}]: ${messageOf(error)}`);
        }
        if (!isPlainObject(value) || !("_id" in value)) fail(`${namespace}[${index}]: the document has no _id`);
        return value as Document;
      });
      const working: Document[] = [];
      try {
        insertInto(working, parsed, namespace);
      } catch (error) {
        fail(messageOf(error));
      }
      commitNamespace(store, namespace, working);
    }
    return store;
  }

  /** Canonical EJSON (types preserved: ObjectId, Date, Int32 vs Double...), ready for JSON.stringify. */
  toEJSON(): Record<string, unknown[]> {
    const snapshot: Record<string, unknown[]> = {};
    for (const namespace of this.namespaces()) {
      snapshot[namespace] = readNamespace(this, namespace).map((doc) => EJSON.serialize(doc, { relaxed: false }));
    }
    return snapshot;
  }

  /** Every namespace a write has created, sorted; a namespace stays after its last document is deleted, like a collection. */
  namespaces(): string[] {
    return [...storageOf(this).keys()].sort();
  }

  /** Deep copies of a collection's documents in natural (insertion) order. */
  documents(db: string, collection: string): Document[] {
    return readNamespace(this, checkNames(db, collection)).map((doc) => copyOf(doc));
  }

  /** Seeds documents (from any realm); adds an ObjectId `_id` when missing; throws E11000 on a duplicate `_id`. */
  insertMany(db: string, collection: string, docs: Document[]): void {
    const namespace = checkNames(db, collection);
    const incoming = fromCaller(docs, "documents");
    if (!Array.isArray(incoming)) throw new Error("DocumentStore.insertMany: documents must be an array");
    const prepared = incoming.map((doc, index) => asNewDocument(doc, `DocumentStore.insertMany: documents[${index}]`));
    const working = [...readNamespace(this, namespace)];
    insertInto(working, prepared, namespace);
    commitNamespace(this, namespace, working);
  }
}

// ---------------------------------------------------------------------------------------------
// Query helpers over mingo

function matcher(filter: Document): (doc: Document) => boolean {
  const query = new Query(filter, MINGO_OPTIONS);
  return (doc) => query.test(doc);
}

function sortDocuments(docs: Document[], sort: SortSpec): Document[] {
  return new Query({}, MINGO_OPTIONS).find<Document>(docs).sort(sort).all();
}

function project(doc: Document, projection: Document | undefined): Document {
  if (!projection || Object.keys(projection).length === 0) return doc;
  return idFirst(new Query({}, MINGO_OPTIONS).find<Document>([doc], projection).all()[0] ?? {});
}

/** mingo's projection emits _id after the projected fields; the server keeps it first. */
function idFirst(doc: Document): Document {
  return "_id" in doc ? withIdFirst(doc, doc._id) : doc;
}

/** Indexes of all matches, in natural order. */
function allMatches(docs: readonly Document[], filter: Document): number[] {
  const test = matcher(filter);
  const indexes: number[] = [];
  docs.forEach((doc, index) => {
    if (test(doc)) indexes.push(index);
  });
  return indexes;
}

/** Index of the first match in `sort` order (natural order without one), or -1. */
function firstMatch(docs: readonly Document[], filter: Document, sort: SortSpec | undefined): number {
  if (!sort) return docs.findIndex(matcher(filter));
  const matches = allMatches(docs, filter);
  if (matches.length <= 1) return matches[0] ?? -1;
  const first = sortDocuments(matches.map((index) => docs[index]), sort)[0];
  // mingo's cursor hands back the very objects it was given (no cloning by default).
  return docs.indexOf(first);
}

// ---------------------------------------------------------------------------------------------
// Write operations on a working copy of a namespace (the caller commits it afterwards)

interface UpdateArgs {
  filter: Document;
  update: ParsedUpdate;
  upsert: boolean;
  arrayFilters?: Document[];
}

interface WriteOutcome {
  matchedCount: number;
  modifiedCount: number;
  upsertedId?: unknown;
  /** The first affected document before and after the write, for findOneAnd*. */
  before: Document | null;
  after: Document | null;
}

/** mingo has no $setOnInsert: drop it for updates of existing documents, fold it into $set for upserts. */
function splitSetOnInsert(update: ParsedUpdate, inserting: boolean): ParsedUpdate {
  if (Array.isArray(update) || !("$setOnInsert" in update)) return update;
  const { $setOnInsert, ...rest } = update;
  if (!inserting) return rest;
  const onInsert = asOptionalDocument($setOnInsert, "$setOnInsert") ?? {};
  const set = asOptionalDocument(rest.$set, "$set") ?? {};
  const clash = Object.keys(onInsert).find((path) => path in set);
  if (clash !== undefined) throw new Error(`updating the path '${clash}' would create a conflict at '${clash}'`);
  return { ...rest, $set: { ...set, ...onInsert } };
}

/** Applies an update to a copy of `doc`; `condition` lets the positional `$` operator find its element. */
function updatedCopy(doc: Document, update: ParsedUpdate, condition: Document, arrayFilters: Document[] | undefined) {
  const docs = [copyOf(doc)];
  // mingo refuses sibling paths under one array filter, which MongoDB allows: see arrayFilters.ts.
  const resolved = resolveArrayFilters(docs[0], update, arrayFilters, MINGO_OPTIONS);
  if (resolved && Object.keys(resolved).length === 0) return { doc, modified: false };
  const modifier = (resolved ?? update) as Modifier<Document> | PipelineStage[];
  // cloneMode "deep": one update applied to many documents must not leave them sharing sub-objects.
  const result = mingoUpdateOne(docs, condition, modifier, { arrayFilters: resolved ? undefined : arrayFilters, cloneMode: "deep" }, MINGO_OPTIONS);
  return { doc: docs[0], modified: result.modifiedCount > 0 };
}

function assertSameId(before: Document, after: Document): void {
  if (idKey(before._id) !== idKey(after._id)) {
    throw new Error("performing an update on the path '_id' would modify the immutable field '_id'");
  }
}

/** Equality conditions of a filter (`{ a: 1 }`, `{ a: { $eq: 1 } }`, inside `$and`): the fields an upsert starts from. */
function equalityFields(filter: Document): Array<[string, unknown]> {
  const fields: Array<[string, unknown]> = [];
  for (const [key, value] of Object.entries(filter)) {
    if (key === "$and" && Array.isArray(value)) {
      for (const clause of value) if (isPlainObject(clause)) fields.push(...equalityFields(clause));
    } else if (key.startsWith("$") || value instanceof RegExp || value instanceof BSONRegExp) {
      continue; // other operators and regexes say nothing definite about the new document
    } else if (isPlainObject(value) && Object.keys(value).some((k) => k.startsWith("$"))) {
      if ("$eq" in value) fields.push([key, value.$eq]);
    } else {
      fields.push([key, value]);
    }
  }
  return fields;
}

/** The document an upsert inserts: the filter's equality fields, then the update applied to them. */
function upsertDocument(args: UpdateArgs): Document {
  const fields = equalityFields(args.filter);
  // mingo's $set refuses the path _id (it guards _id's immutability), so a pinned _id goes in directly.
  const pinnedId = fields.find(([path]) => path === "_id");
  let doc: Document = pinnedId ? { _id: pinnedId[1] } : {};
  const others = fields.filter(([path]) => path !== "_id");
  if (others.length > 0) doc = updatedCopy(doc, { $set: Object.fromEntries(others) }, {}, undefined).doc;
  return updatedCopy(doc, splitSetOnInsert(args.update, true), {}, args.arrayFilters).doc;
}

function applyUpdate(working: Document[], namespace: string, args: UpdateArgs, target: number[]): WriteOutcome {
  if (target.length === 0) {
    if (!args.upsert) return { matchedCount: 0, modifiedCount: 0, before: null, after: null };
    const [upsertedId] = insertInto(working, [upsertDocument(args)], namespace);
    return { matchedCount: 0, modifiedCount: 0, upsertedId, before: null, after: working[working.length - 1] };
  }
  const update = splitSetOnInsert(args.update, false);
  const before = working[target[0]];
  let modifiedCount = 0;
  for (const index of target) {
    const original = working[index];
    const result = updatedCopy(original, update, args.filter, args.arrayFilters);
    if (result.modified) {
      assertSameId(original, result.doc);
      working[index] = result.doc;
      modifiedCount += 1;
    }
  }
  return { matchedCount: target.length, modifiedCount, before, after: working[target[0]] };
}

interface ReplaceArgs {
  filter: Document;
  replacement: Document;
  upsert: boolean;
}

function canonical(doc: Document): string {
  return EJSON.stringify(doc, { relaxed: false });
}

function applyReplace(working: Document[], namespace: string, args: ReplaceArgs, index: number): WriteOutcome {
  if (index < 0) {
    if (!args.upsert) return { matchedCount: 0, modifiedCount: 0, before: null, after: null };
    // Like the server: the replacement's own _id, else an _id the filter pins down, else a new one.
    const pinnedId = equalityFields(args.filter).find(([path]) => path === "_id");
    const doc = "_id" in args.replacement || !pinnedId ? args.replacement : withIdFirst(args.replacement, pinnedId[1]);
    const [upsertedId] = insertInto(working, [doc], namespace);
    return { matchedCount: 0, modifiedCount: 0, upsertedId, before: null, after: working[working.length - 1] };
  }
  const before = working[index];
  if ("_id" in args.replacement && idKey(args.replacement._id) !== idKey(before._id)) {
    throw new Error("the replacement would modify the immutable field '_id'");
  }
  const after = withIdFirst(args.replacement, before._id);
  const modified = canonical(after) !== canonical(before);
  if (modified) working[index] = after;
  return { matchedCount: 1, modifiedCount: modified ? 1 : 0, before, after: working[index] };
}

/** Removes the documents at `target` in place; returns them. */
function applyDelete(working: Document[], target: number[]): Document[] {
  const doomed = new Set(target);
  const removed = target.map((index) => working[index]);
  let kept = 0;
  for (let i = 0; i < working.length; i++) if (!doomed.has(i)) working[kept++] = working[i];
  working.length = kept;
  return removed;
}

function targetOf(index: number): number[] {
  return index < 0 ? [] : [index];
}

// ---------------------------------------------------------------------------------------------
// bulkWrite operations

type BulkOperation =
  | { kind: "insertOne"; document: Document }
  | { kind: "updateOne" | "updateMany"; args: UpdateArgs }
  | { kind: "replaceOne"; args: ReplaceArgs }
  | { kind: "deleteOne" | "deleteMany"; filter: Document };

const BULK_KINDS = ["insertOne", "updateOne", "updateMany", "replaceOne", "deleteOne", "deleteMany"] as const;

function checkFields(body: Document, where: string, required: readonly string[], optional: readonly string[]): void {
  for (const key of required) if (!(key in body)) throw new Error(`${where} needs "${key}"`);
  const unknown = Object.keys(body).find((key) => !required.includes(key) && !optional.includes(key));
  if (unknown !== undefined) throw new Error(`${where}: field "${unknown}" is not supported`);
}

function parseBulkOperation(raw: unknown, index: number): BulkOperation {
  const where = `operations[${index}]`;
  if (!isPlainObject(raw) || Object.keys(raw).length !== 1) {
    throw new Error(`${where} must be an object with exactly one key, one of ${BULK_KINDS.join(", ")}`);
  }
  const [kind, body] = Object.entries(raw)[0];
  if (!isPlainObject(body)) throw new Error(`${where}.${kind} must be an object`);
  const at = `${where}.${kind}`;
  switch (kind) {
    case "insertOne":
      checkFields(body, at, ["document"], []);
      return { kind, document: asNewDocument(body.document, `${at}.document`) };
    case "updateOne":
    case "updateMany":
      checkFields(body, at, ["filter", "update"], ["upsert", "arrayFilters"]);
      return {
        kind,
        args: {
          filter: asFilter(body.filter, `${at}.filter`),
          update: asUpdate(body.update),
          upsert: asBoolean(body.upsert, `${at}.upsert`),
          arrayFilters: asArrayFilters(body.arrayFilters),
        },
      };
    case "replaceOne":
      checkFields(body, at, ["filter", "replacement"], ["upsert"]);
      return {
        kind,
        args: {
          filter: asFilter(body.filter, `${at}.filter`),
          replacement: asReplacement(body.replacement),
          upsert: asBoolean(body.upsert, `${at}.upsert`),
        },
      };
    case "deleteOne":
    case "deleteMany":
      checkFields(body, at, ["filter"], []);
      return { kind, filter: asFilter(body.filter, `${at}.filter`) };
    default:
      throw new Error(`${where}: unsupported operation "${kind}" (supported: ${BULK_KINDS.join(", ")})`);
  }
}

function applyBulkOperation(working: Document[], namespace: string, op: BulkOperation): void {
  switch (op.kind) {
    case "insertOne":
      insertInto(working, [op.document], namespace);
      return;
    case "updateOne":
      applyUpdate(working, namespace, op.args, targetOf(firstMatch(working, op.args.filter, undefined)));
      return;
    case "updateMany":
      applyUpdate(working, namespace, op.args, allMatches(working, op.args.filter));
      return;
    case "replaceOne":
      applyReplace(working, namespace, op.args, firstMatch(working, op.args.filter, undefined));
      return;
    case "deleteOne":
      applyDelete(working, targetOf(firstMatch(working, op.filter, undefined)));
      return;
    case "deleteMany":
      applyDelete(working, allMatches(working, op.filter));
      return;
  }
}

// ---------------------------------------------------------------------------------------------
// Cursors

export interface MongoCursor {
  /** find cursors only: App Services' aggregation cursors offer next(), toArray() and skip(). */
  sort(spec: SortSpec): MongoCursor;
  skip(n: number): MongoCursor;
  /** find cursors only. 0 means no limit; a negative n means |n| (as in MongoDB). */
  limit(n: number): MongoCursor;
  /** The next document, or undefined once the cursor is exhausted. */
  next(): Promise<Document | undefined>;
  /** The remaining documents. */
  toArray(): Promise<Document[]>;
}

interface CursorModifiers {
  sort?: SortSpec;
  skip: number;
  limit: number;
}

type CursorKind = "find" | "aggregate";

/** Collects modifiers synchronously; the query runs (with latency and faults) on the first next()/toArray(). */
class Cursor implements MongoCursor {
  private readonly modifiers: CursorModifiers = { skip: 0, limit: 0 };
  private results: Promise<Document[]> | undefined;

  constructor(
    private readonly kind: CursorKind,
    private readonly namespace: string,
    private readonly fetch: (modifiers: CursorModifiers) => Promise<Document[]>,
  ) {}

  sort(spec: SortSpec): MongoCursor {
    this.modify("sort", () => {
      if (this.kind === "aggregate") throw new Error("aggregation cursors have no sort(); add a $sort stage");
      this.modifiers.sort = asSort(fromCaller(spec, "sort"), "the sort");
    });
    return this;
  }

  skip(n: number): MongoCursor {
    this.modify("skip", () => {
      const count = checkCount(n, "skip(n): n");
      if (count < 0) throw new Error("skip(n): n must not be negative");
      this.modifiers.skip = count;
    });
    return this;
  }

  limit(n: number): MongoCursor {
    this.modify("limit", () => {
      if (this.kind === "aggregate") throw new Error("aggregation cursors have no limit(); add a $limit stage");
      this.modifiers.limit = Math.abs(checkCount(n, "limit(n): n"));
    });
    return this;
  }

  next(): Promise<Document | undefined> {
    return this.load().then((buffer) => buffer.shift());
  }

  toArray(): Promise<Document[]> {
    return this.load().then((buffer) => buffer.splice(0));
  }

  private load(): Promise<Document[]> {
    this.results ??= this.fetch({ ...this.modifiers });
    return this.results;
  }

  private modify(name: string, apply: () => void): void {
    try {
      if (this.results) throw new Error("cannot be called after the cursor has started returning documents");
      apply();
    } catch (error) {
      throw serviceError(`${this.kind}().${name}`, this.namespace, messageOf(error));
    }
  }
}

function findDocuments(docs: readonly Document[], filter: Document, projection: Document | undefined, modifiers: CursorModifiers): Document[] {
  const limit = modifiers.limit > 0 ? Math.min(modifiers.limit, MAX_FIND_DOCUMENTS) : MAX_FIND_DOCUMENTS;
  // mingo applies sort, then skip, then limit, then the projection: MongoDB's order.
  const cursor = new Query(filter, MINGO_OPTIONS).find<Document>(docs, projection ?? {});
  if (modifiers.sort) cursor.sort(modifiers.sort);
  const found = cursor.skip(modifiers.skip).limit(limit).all();
  return projection ? found.map(idFirst) : found;
}

/** Stages that write to other collections: mingo would write into a copy, so they would silently do nothing. */
const UNSUPPORTED_STAGES = ["$out", "$merge"];

function asPipeline(value: unknown): Document[] {
  if (!Array.isArray(value) || !value.every(isPlainObject)) throw new Error("the pipeline must be an array of stage objects");
  value.forEach((stage: Document, index) => {
    const keys = Object.keys(stage);
    if (keys.length !== 1) throw new Error(`pipeline[${index}] must have exactly one stage operator`);
    if (UNSUPPORTED_STAGES.includes(keys[0])) throw new Error(`stage ${keys[0]} is not supported by the emulator`);
  });
  return value;
}

// ---------------------------------------------------------------------------------------------
// The collection handle

export interface InsertOneResult {
  insertedId: unknown;
}
export interface InsertManyResult {
  insertedIds: unknown[];
}
export interface UpdateResult {
  matchedCount: number;
  modifiedCount: number;
  /** Present only when an upsert inserted a document. */
  upsertedId?: unknown;
}
export interface DeleteResult {
  deletedCount: number;
}
/** An update-operator document (`{ $set: ... }`) or an aggregation pipeline. */
export type UpdateSpec = Document | Document[];
export interface UpdateOptions {
  upsert?: boolean;
  arrayFilters?: Document[];
}
export interface FindOneAndModifyOptions {
  upsert?: boolean;
  returnNewDocument?: boolean;
  sort?: SortSpec;
  projection?: Document;
}
export type BulkWriteOperation =
  | { insertOne: { document: Document } }
  | { updateOne: { filter: Document; update: UpdateSpec; upsert?: boolean; arrayFilters?: Document[] } }
  | { updateMany: { filter: Document; update: UpdateSpec; upsert?: boolean; arrayFilters?: Document[] } }
  | { replaceOne: { filter: Document; replacement: Document; upsert?: boolean } }
  | { deleteOne: { filter: Document } }
  | { deleteMany: { filter: Document } };

/** `db(name).collection(name)` as App Services functions see it (source/functions/mongodb/api.txt). */
export interface MongoCollection {
  find(query?: Document, projection?: Document, options?: Document): MongoCursor;
  findOne(query?: Document, projection?: Document, options?: { sort?: SortSpec }): Promise<Document | null>;
  insertOne(document: Document): Promise<InsertOneResult>;
  insertMany(documents: Document[]): Promise<InsertManyResult>;
  updateOne(filter: Document, update: UpdateSpec, options?: UpdateOptions): Promise<UpdateResult>;
  updateMany(filter: Document, update: UpdateSpec, options?: UpdateOptions): Promise<UpdateResult>;
  deleteOne(filter: Document, options?: Document): Promise<DeleteResult>;
  deleteMany(filter: Document, options?: Document): Promise<DeleteResult>;
  count(query?: Document, options?: Document): Promise<number>;
  countDocuments(query?: Document, options?: Document): Promise<number>;
  distinct(field: string, query?: Document, options?: Document): Promise<unknown[]>;
  aggregate(pipeline: Document[], options?: Document): MongoCursor;
  findOneAndUpdate(filter: Document, update: UpdateSpec, options?: FindOneAndModifyOptions): Promise<Document | null>;
  findOneAndReplace(filter: Document, replacement: Document, options?: FindOneAndModifyOptions): Promise<Document | null>;
  findOneAndDelete(filter: Document, options?: { sort?: SortSpec; projection?: Document }): Promise<Document | null>;
  /** Resolves to null, as in App Services. The whole batch applies, or (on any error) none of it. */
  bulkWrite(operations: BulkWriteOperation[], options?: { ordered?: boolean; bypassDocumentValidation?: boolean }): Promise<null>;
}

/** Runs `fn` now and returns a thunk that replays its value or its error later. */
function settle<A>(fn: () => A): () => A {
  try {
    const value = fn();
    return () => value;
  } catch (error) {
    return () => {
      throw error;
    };
  }
}

/**
 * `{ owner: user.id }` with `user.id` undefined would travel as null (matching every document with no
 * owner) or be dropped (matching every document): either way a delete or update would hit far more
 * than meant. The emulator refuses it; pass null explicitly to match null or missing fields.
 */
function assertNoUndefined(value: unknown, path: string, depth = 0): void {
  if (value === null || typeof value !== "object" || "_bsontype" in value || depth > MAX_NESTING) return;
  for (const [key, child] of Object.entries(value)) {
    if (child === undefined) {
      throw new Error(`invalid filter: ${path}.${key} is undefined (pass null to match null or missing fields)`);
    }
    assertNoUndefined(child, `${path}.${key}`, depth + 1);
  }
}

/** The same check for the filters inside raw bulkWrite operations. */
function assertBulkFiltersDefined(operations: unknown): void {
  if (!Array.isArray(operations)) return;
  operations.forEach((op: unknown, index) => {
    if (op === null || typeof op !== "object") return;
    for (const [kind, body] of Object.entries(op)) {
      if (body !== null && typeof body === "object" && "filter" in body) {
        assertNoUndefined(body.filter, `operations[${index}].${kind}.filter`);
      }
    }
  });
}

/** A filter that must be given: `deleteMany()` with no filter is far more likely a bug than a wish to empty the collection. */
function requiredFilter(value: unknown): Document {
  assertNoUndefined(value, "filter");
  const filter = fromCaller(value, "filter");
  if (filter === undefined || filter === null) throw new Error("a filter is required (pass {} to match every document)");
  return asFilter(filter, "filter");
}

function optionalFilter(value: unknown): Document {
  assertNoUndefined(value, "filter");
  return asFilter(fromCaller(value, "filter"), "filter");
}

function updateResult(outcome: WriteOutcome): UpdateResult {
  const { matchedCount, modifiedCount, upsertedId } = outcome;
  return upsertedId === undefined ? { matchedCount, modifiedCount } : { matchedCount, modifiedCount, upsertedId };
}

const UPDATE_OPTIONS = ["upsert", "arrayFilters"];

class Collection implements MongoCollection {
  private readonly namespace: string;

  constructor(
    private readonly store: DocumentStore,
    private readonly faults: FaultPlan,
    private readonly dbName: string,
    collectionName: string,
  ) {
    this.namespace = checkNames(dbName, collectionName);
  }

  find(query?: Document, projection?: Document, options?: Document): MongoCursor {
    const args = settle(() => {
      checkOptions(fromCaller(options, "options"), []);
      return { filter: optionalFilter(query), projection: asOptionalDocument(fromCaller(projection, "projection"), "projection") };
    });
    return new Cursor("find", this.namespace, (modifiers) =>
      this.read("find", args, (docs, { filter, projection }) => findDocuments(docs, filter, projection, modifiers)),
    );
  }

  findOne(query?: Document, projection?: Document, options?: { sort?: SortSpec }): Promise<Document | null> {
    const args = settle(() => {
      const opts = checkOptions(fromCaller(options, "options"), ["sort"]);
      return {
        filter: optionalFilter(query),
        projection: asOptionalDocument(fromCaller(projection, "projection"), "projection"),
        sort: asSort(opts.sort, "options.sort"),
      };
    });
    return this.read("findOne", args, (docs, { filter, projection, sort }) => {
      const index = firstMatch(docs, filter, sort);
      return index < 0 ? null : project(docs[index], projection);
    });
  }

  insertOne(document: Document): Promise<InsertOneResult> {
    const args = settle(() => asNewDocument(fromCaller(document, "document"), "the document"));
    return this.write("insertOne", args, (working, doc) => {
      const [insertedId] = insertInto(working, [doc], this.namespace);
      return { insertedId };
    });
  }

  insertMany(documents: Document[]): Promise<InsertManyResult> {
    const args = settle(() => {
      const docs = fromCaller(documents, "documents");
      if (!Array.isArray(docs) || docs.length === 0) throw new Error("documents must be a non-empty array");
      return docs.map((doc, index) => asNewDocument(doc, `documents[${index}]`));
    });
    return this.write("insertMany", args, (working, docs) => ({ insertedIds: insertInto(working, docs, this.namespace) }));
  }

  updateOne(filter: Document, update: UpdateSpec, options?: UpdateOptions): Promise<UpdateResult> {
    const args = settle(() => this.updateArgs(filter, update, checkOptions(fromCaller(options, "options"), UPDATE_OPTIONS)));
    return this.write("updateOne", args, (working, parsed) =>
      updateResult(applyUpdate(working, this.namespace, parsed, targetOf(firstMatch(working, parsed.filter, undefined)))),
    );
  }

  updateMany(filter: Document, update: UpdateSpec, options?: UpdateOptions): Promise<UpdateResult> {
    const args = settle(() => this.updateArgs(filter, update, checkOptions(fromCaller(options, "options"), UPDATE_OPTIONS)));
    return this.write("updateMany", args, (working, parsed) =>
      updateResult(applyUpdate(working, this.namespace, parsed, allMatches(working, parsed.filter))),
    );
  }

  deleteOne(filter: Document, options?: Document): Promise<DeleteResult> {
    const args = settle(() => this.deleteArgs(filter, options));
    return this.write("deleteOne", args, (working, parsed) => ({
      deletedCount: applyDelete(working, targetOf(firstMatch(working, parsed, undefined))).length,
    }));
  }

  deleteMany(filter: Document, options?: Document): Promise<DeleteResult> {
    const args = settle(() => this.deleteArgs(filter, options));
    return this.write("deleteMany", args, (working, parsed) => ({
      deletedCount: applyDelete(working, allMatches(working, parsed)).length,
    }));
  }

  count(query?: Document, options?: Document): Promise<number> {
    return this.countMatches("count", query, options);
  }

  countDocuments(query?: Document, options?: Document): Promise<number> {
    return this.countMatches("countDocuments", query, options);
  }

  distinct(field: string, query?: Document, options?: Document): Promise<unknown[]> {
    const args = settle(() => {
      checkOptions(fromCaller(options, "options"), []);
      if (typeof field !== "string" || field.length === 0 || field.startsWith("$")) {
        throw new Error("field must be a non-empty field path such as \"status\" or \"meta.owner\"");
      }
      return { field, filter: optionalFilter(query) };
    });
    return this.read("distinct", args, (docs, parsed) => distinctValues(docs, parsed.field, parsed.filter));
  }

  aggregate(pipeline: Document[], options?: Document): MongoCursor {
    const args = settle(() => {
      checkOptions(fromCaller(options, "options"), []);
      return asPipeline(fromCaller(pipeline, "pipeline"));
    });
    return new Cursor("aggregate", this.namespace, (modifiers) =>
      this.read("aggregate", args, (docs, stages) => this.runPipeline(docs, stages).slice(modifiers.skip)),
    );
  }

  findOneAndUpdate(filter: Document, update: UpdateSpec, options?: FindOneAndModifyOptions): Promise<Document | null> {
    const args = settle(() => {
      const opts = checkOptions(fromCaller(options, "options"), ["upsert", "returnNewDocument", "sort", "projection", "arrayFilters"]);
      return { ...this.updateArgs(filter, update, opts), ...this.returnOptions(opts) };
    });
    return this.write("findOneAndUpdate", args, (working, parsed) => {
      const outcome = applyUpdate(working, this.namespace, parsed, targetOf(firstMatch(working, parsed.filter, parsed.sort)));
      return this.returned(outcome, parsed);
    });
  }

  findOneAndReplace(filter: Document, replacement: Document, options?: FindOneAndModifyOptions): Promise<Document | null> {
    const args = settle(() => {
      const opts = checkOptions(fromCaller(options, "options"), ["upsert", "returnNewDocument", "sort", "projection"]);
      return {
        filter: requiredFilter(filter),
        replacement: asReplacement(fromCaller(replacement, "replacement")),
        upsert: asBoolean(opts.upsert, "options.upsert"),
        ...this.returnOptions(opts),
      };
    });
    return this.write("findOneAndReplace", args, (working, parsed) => {
      const outcome = applyReplace(working, this.namespace, parsed, firstMatch(working, parsed.filter, parsed.sort));
      return this.returned(outcome, parsed);
    });
  }

  findOneAndDelete(filter: Document, options?: { sort?: SortSpec; projection?: Document }): Promise<Document | null> {
    const args = settle(() => {
      const opts = checkOptions(fromCaller(options, "options"), ["sort", "projection"]);
      return { filter: requiredFilter(filter), ...this.returnOptions(opts) };
    });
    return this.write("findOneAndDelete", args, (working, parsed) => {
      const [deleted] = applyDelete(working, targetOf(firstMatch(working, parsed.filter, parsed.sort)));
      return deleted === undefined ? null : project(deleted, parsed.projection);
    });
  }

  bulkWrite(operations: BulkWriteOperation[], options?: { ordered?: boolean; bypassDocumentValidation?: boolean }): Promise<null> {
    const args = settle(() => {
      // `ordered` changes nothing here: the batch is all-or-nothing (MongoDB would keep the writes before a failure).
      // There is no schema validation to bypass.
      const opts = checkOptions(fromCaller(options, "options"), ["ordered", "bypassDocumentValidation"]);
      asBoolean(opts.ordered, "options.ordered");
      asBoolean(opts.bypassDocumentValidation, "options.bypassDocumentValidation");
      assertBulkFiltersDefined(operations);
      const ops = fromCaller(operations, "operations");
      if (!Array.isArray(ops) || ops.length === 0) throw new Error("operations must be a non-empty array");
      return ops.map(parseBulkOperation);
    });
    return this.write("bulkWrite", args, (working, ops) => {
      for (const op of ops) applyBulkOperation(working, this.namespace, op);
      return null;
    });
  }

  // --- call machinery ---------------------------------------------------------------------

  /**
   * Every call: arguments were snapshotted when the caller made it (`args`), then latency, then the
   * injected fault, then the work, synchronously, so no other call can interleave with it.
   */
  private async call<A, R>(method: string, args: () => A, run: (parsed: A) => R): Promise<R> {
    await this.faults.delay();
    const fault = this.faults.take(`data:${method}:${this.namespace}`);
    if (fault === "status500") {
      throw serviceError(method, this.namespace, "the data service failed with an injected server error (HTTP 500)");
    }
    if (fault === "drop") {
      throw serviceError(method, this.namespace, "the connection to the data service was lost (injected network drop)");
    }
    try {
      return run(args());
    } catch (error) {
      if (error instanceof DataServiceError) throw error;
      throw serviceError(method, this.namespace, messageOf(error));
    }
  }

  /** A read over the stored documents; the result is deep-copied. */
  private read<A, R>(method: string, args: () => A, run: (docs: readonly Document[], parsed: A) => R): Promise<R> {
    return this.call(method, args, (parsed) => copyOf(run(readNamespace(this.store, this.namespace), parsed)));
  }

  /**
   * A write: computed on a copy of the namespace's document list (stored documents are replaced,
   * never mutated), committed only if the whole call succeeds. The result is deep-copied.
   */
  private write<A, R>(method: string, args: () => A, run: (working: Document[], parsed: A) => R): Promise<R> {
    return this.call(method, args, (parsed) => {
      const stored = readNamespace(this.store, this.namespace);
      const working = [...stored];
      const result = copyOf(run(working, parsed));
      const changed = working.length !== stored.length || working.some((doc, i) => doc !== stored[i]);
      if (changed) commitNamespace(this.store, this.namespace, working);
      return result;
    });
  }

  private countMatches(method: string, query: unknown, options: unknown): Promise<number> {
    const args = settle(() => {
      checkOptions(fromCaller(options, "options"), []);
      return optionalFilter(query);
    });
    return this.read(method, args, (docs, filter) => allMatches(docs, filter).length);
  }

  /** `opts`: options already checked against the method's supported list. */
  private updateArgs(filter: unknown, update: unknown, opts: Document): UpdateArgs {
    return {
      filter: requiredFilter(filter),
      update: asUpdate(fromCaller(update, "update")),
      upsert: asBoolean(opts.upsert, "options.upsert"),
      arrayFilters: asArrayFilters(opts.arrayFilters),
    };
  }

  private deleteArgs(filter: unknown, options: unknown): Document {
    checkOptions(fromCaller(options, "options"), []);
    return requiredFilter(filter);
  }

  private returnOptions(opts: Document) {
    return {
      returnNewDocument: asBoolean(opts.returnNewDocument, "options.returnNewDocument"),
      sort: asSort(opts.sort, "options.sort"),
      projection: asOptionalDocument(opts.projection, "options.projection"),
    };
  }

  private returned(outcome: WriteOutcome, parsed: { returnNewDocument: boolean; projection?: Document }): Document | null {
    const doc = parsed.returnNewDocument ? outcome.after : outcome.before;
    return doc === null ? null : project(doc, parsed.projection);
  }

  private runPipeline(docs: readonly Document[], stages: Document[]): Document[] {
    // mingo may modify its input in place (processingMode CLONE_OFF), so it only ever sees copies.
    // $lookup, $graphLookup and $unionWith resolve other collections of the same database.
    const aggregator = new Aggregator(stages, {
      ...MINGO_OPTIONS,
      collectionResolver: (name) => readNamespace(this.store, checkNames(this.dbName, name)).map((doc) => copyOf(doc)),
    });
    return aggregator.run<Document>(docs.map((doc) => copyOf(doc)));
  }
}

function distinctValues(docs: readonly Document[], field: string, filter: Document): unknown[] {
  const projected = new Aggregator([{ $match: filter }, { $project: { _id: 0, value: `$${field}` } }], MINGO_OPTIONS).run<Document>([...docs]);
  const seen = new Map<string, unknown>();
  for (const { value } of projected) {
    // Like MongoDB, an array contributes its elements.
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item !== undefined) seen.set(idKey(item), item);
    }
  }
  return [...seen.values()];
}

// ---------------------------------------------------------------------------------------------
// The service

export interface MongoDbService {
  db(name: string): { collection(name: string): MongoCollection };
}

/** The object behind `context.services.get("mongodb-atlas")`. */
export function createMongoDbService(store: DocumentStore, faults: FaultPlan): MongoDbService {
  return {
    db: (dbName: string) => {
      checkDbName(dbName);
      return { collection: (collectionName: string) => new Collection(store, faults, dbName, collectionName) };
    },
  };
}
