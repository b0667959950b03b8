/**
 * Reading with mingo, which does MongoDB's query language (filters, projection, sort,
 * aggregation) over plain objects, in the server's order and with its `_id`-first documents.
 */
import { Aggregator, Query } from "mingo";
import type { SortSpec } from "./arguments";
import { withIdFirst } from "./store";
import { idKey, type Document } from "./wire";

/** A cursor's modifiers, applied when it runs. */
export interface CursorModifiers {
  sort?: SortSpec;
  skip: number;
  limit: number;
}

/** App Services returns at most this many documents from one query (source/functions.txt). */
export const MAX_FIND_DOCUMENTS = 50_000;

/**
 * Options for every mingo call. Scripts are off because the emulator, like the wire, never ships
 * JavaScript functions to the data service (functions in arguments are rejected before this point).
 */
export const MINGO_OPTIONS = { scriptEnabled: false } as const;


function matcher(filter: Document): (doc: Document) => boolean {
  const query = new Query(filter, MINGO_OPTIONS);
  return (doc) => query.test(doc);
}

function sortDocuments(docs: Document[], sort: SortSpec): Document[] {
  return new Query({}, MINGO_OPTIONS).find<Document>(docs).sort(sort).all();
}

export function project(doc: Document, projection: Document | undefined): Document {
  if (!projection || Object.keys(projection).length === 0) return doc;
  return idFirst(new Query({}, MINGO_OPTIONS).find<Document>([doc], projection).all()[0] ?? {});
}

/** mingo's projection emits _id after the projected fields; the server keeps it first. */
function idFirst(doc: Document): Document {
  return "_id" in doc ? withIdFirst(doc, doc._id) : doc;
}

/** Indexes of all matches, in natural order. */
export function allMatches(docs: readonly Document[], filter: Document): number[] {
  const test = matcher(filter);
  const indexes: number[] = [];
  docs.forEach((doc, index) => {
    if (test(doc)) indexes.push(index);
  });
  return indexes;
}

/** Index of the first match in `sort` order (natural order without one), or -1. */
export function firstMatch(docs: readonly Document[], filter: Document, sort: SortSpec | undefined): number {
  if (!sort) return docs.findIndex(matcher(filter));
  const matches = allMatches(docs, filter);
  if (matches.length <= 1) return matches[0] ?? -1;
  const first = sortDocuments(matches.map((index) => docs[index]), sort)[0];
  // mingo's cursor hands back the very objects it was given (no cloning by default).
  return docs.indexOf(first);
}

export function findDocuments(docs: readonly Document[], filter: Document, projection: Document | undefined, modifiers: CursorModifiers): Document[] {
  const limit = modifiers.limit > 0 ? Math.min(modifiers.limit, MAX_FIND_DOCUMENTS) : MAX_FIND_DOCUMENTS;
  // mingo applies sort, then skip, then limit, then the projection: MongoDB's order.
  const cursor = new Query(filter, MINGO_OPTIONS).find<Document>(docs, projection ?? {});
  if (modifiers.sort) cursor.sort(modifiers.sort);
  const found = cursor.skip(modifiers.skip).limit(limit).all();
  return projection ? found.map(idFirst) : found;
}

export function distinctValues(docs: readonly Document[], field: string, filter: Document): unknown[] {
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
