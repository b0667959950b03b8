/**
 * Write operations on a working copy of a namespace's documents (the collection commits the copy
 * only when the whole call succeeds): updates with upserts, replacements, deletions.
 */
import { BSONRegExp, EJSON } from "bson";
import { updateOne as mingoUpdateOne } from "mingo";
import type { Modifier, PipelineStage } from "mingo/updater";
import { asArrayFilters, asBoolean, asOptionalDocument, asUpdate, type ParsedUpdate } from "./arguments";
import { MINGO_OPTIONS } from "./query";
import { insertInto, withIdFirst } from "./store";
import { copyOf, idKey, isPlainObject, type Document } from "./wire";
import { resolveArrayFilters } from "./arrayFilters";


export interface UpdateArgs {
  filter: Document;
  update: ParsedUpdate;
  upsert: boolean;
  arrayFilters?: Document[];
}

/**
 * An update's arguments from a checked filter, the update as given and the options object that
 * holds `upsert` and `arrayFilters` (a call's options, or a bulkWrite operation's own body);
 * `at` names that object in errors.
 */
export function updateArgsOf(filter: Document, update: unknown, options: Document, at: string): UpdateArgs {
  return { filter, update: asUpdate(update), upsert: asBoolean(options.upsert, `${at}.upsert`), arrayFilters: asArrayFilters(options.arrayFilters) };
}

export interface WriteOutcome {
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

export function applyUpdate(working: Document[], namespace: string, args: UpdateArgs, target: number[]): WriteOutcome {
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

export interface ReplaceArgs {
  filter: Document;
  replacement: Document;
  upsert: boolean;
}

function canonical(doc: Document): string {
  return EJSON.stringify(doc, { relaxed: false });
}

export function applyReplace(working: Document[], namespace: string, args: ReplaceArgs, index: number): WriteOutcome {
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
export function applyDelete(working: Document[], target: number[]): Document[] {
  const doomed = new Set(target);
  const removed = target.map((index) => working[index]);
  let kept = 0;
  for (let i = 0; i < working.length; i++) if (!doomed.has(i)) working[kept++] = working[i];
  working.length = kept;
  return removed;
}

export function targetOf(index: number): number[] {
  return index < 0 ? [] : [index];
}
