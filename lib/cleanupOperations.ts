/**
 * The data operations one cleanup rule sends for a set of departing owners (a self-deletion is a set
 * of one; the sweep passes a batch of orphans): a fixed list, decided by the rule alone, so their
 * number never grows with the number of documents or owners. Each operation's filter picks the
 * documents of one owner-field shape on the server, and the shapes never overlap:
 *
 * - value: the owner field holds the id itself, or an array of ids ("members": [A, B]);
 * - elements at P: the owner field runs through an array of subdocuments at the prefix P
 *   ("participants.id" with "participants": [{ id: A }, { id: B }]).
 *
 * In each shape a document is the departing set's alone (every entry is one of theirs: it gets the
 * rule's action) or shared (another entry exists: the set is only detached: their ids pulled, or
 * their own elements pulled or anonymized). An entry without an id, or with any other value, counts
 * as someone else's. Two departing owners who co-own a document thus own it alone together; one who
 * shares it with a live user is only detached from it. Arrays nested in arrays along the owner path are not a supported shape: such
 * documents are never matched, so never touched.
 */
import type { CleanupRule } from "./cleanupPlan";
import { hasOwn } from "./cleanupPlan";
import { isObjectIdHex } from "./ids";

type Filter = Record<string, unknown>;

export interface CleanupOperation {
  kind: "deleteMany" | "updateMany";
  filter: Filter;
  update?: Record<string, Record<string, unknown>>;
  arrayFilters?: Filter[];
  /** In the receipt: the rule's own action ("documents") or a shared document left to its other owners ("detached"). */
  counts: "documents" | "detached";
}

/** The arrayFilters identifier of the departing user's own element. */
const OWN = "own";

/** Each owner id as stored either way: a string, or an ObjectId when it is 24 hex characters. */
export function ownerIdForms(ownerIds: string[]): unknown[] {
  const forms: unknown[] = [];
  for (const ownerId of ownerIds) {
    forms.push(ownerId);
    if (isObjectIdHex(ownerId)) forms.push(new BSON.ObjectId(ownerId));
  }
  return forms;
}

/** The operations for the owners in `ownerIds` (at least one), treated as one departing set. */
export function cleanupOperations(rule: CleanupRule, ownerIds: string[]): CleanupOperation[] {
  if (ownerIds.length === 0) throw new Error("cleanupOperations: no owner ids given");
  const forms = ownerIdForms(ownerIds);
  const shapes = ownerShapes(rule.ownerField, forms);
  if (rule.action === "delete") {
    const alone = shapes.map((s) => s.alone);
    const deleteAlone: CleanupOperation = { kind: "deleteMany", filter: alone.length === 1 ? alone[0] : { $or: alone }, counts: "documents" };
    return [deleteAlone, ...shapes.filter((s) => s.mutable).map(detachByPull)];
  }
  const operations: CleanupOperation[] = [];
  for (const shape of shapes) {
    operations.push(anonymizeAlone(rule, shape));
    if (shape.mutable) operations.push(shape.arrayPath === undefined ? detachByPull(shape) : anonymizeOwnElement(rule, shape));
  }
  return operations;
}

interface OwnerShape {
  /** Where the array of subdocuments is, for the "elements" shape; undefined for "value". */
  arrayPath?: string;
  /** The owner path inside one element (for "elements"), or the whole owner field (for "value"). */
  innerPath: string;
  alone: Filter;
  shared: Filter;
  /** False under _id, which can never be an array nor be changed. */
  mutable: boolean;
  /** The owner id's stored forms. */
  forms: unknown[];
}

/** One "value" shape, then one "elements" shape per proper prefix of the owner field. */
function ownerShapes(ownerField: string, forms: unknown[]): OwnerShape[] {
  const segments = ownerField.split(".");
  const underId = segments[0] === "_id";
  const shapes: OwnerShape[] = [valueShape(ownerField, forms, !underId)];
  if (underId) return shapes;
  for (let k = 1; k < segments.length; k++) {
    shapes.push(elementsShape(segments.slice(0, k).join("."), segments.slice(k).join("."), forms));
  }
  return shapes;
}

function valueShape(field: string, forms: unknown[], mutable: boolean): OwnerShape {
  const onPath: Filter[] = [{ [field]: { $in: forms } }, ...notArrays(properPrefixes(field))];
  return {
    innerPath: field,
    alone: { $and: [...onPath, { [field]: { $not: { $elemMatch: { $nin: forms } } } }] },
    // $elemMatch matches arrays only: an array holding the id and something else.
    shared: { $and: [...onPath, { [field]: { $elemMatch: { $nin: forms } } }] },
    mutable,
    forms,
  };
}

function elementsShape(arrayPath: string, innerPath: string, forms: unknown[]): OwnerShape {
  const onPath: Filter[] = [
    ...notArrays(properPrefixes(arrayPath)),
    { [arrayPath]: { $elemMatch: { [innerPath]: { $in: forms } } } },
    // An element whose owner path runs through another array holding the id is not a supported shape.
    ...[...properPrefixes(innerPath), innerPath].map((p) => ({ [arrayPath]: { $not: { $elemMatch: nestedArrayHolding(p, innerPath, forms) } } })),
  ];
  const otherEntry = { $elemMatch: { [innerPath]: { $nin: forms } } };
  return {
    arrayPath,
    innerPath,
    alone: { $and: [...onPath, { [arrayPath]: { $not: otherEntry } }] },
    shared: { $and: [...onPath, { [arrayPath]: otherEntry }] },
    mutable: true,
    forms,
  };
}

/** An element where `path` is an array and the owner path under it holds the id. */
function nestedArrayHolding(path: string, innerPath: string, forms: unknown[]): Filter {
  if (path === innerPath) return { [innerPath]: { $type: "array", $in: forms } };
  return { [path]: { $type: "array" }, [innerPath]: { $in: forms } };
}

/** Shared documents: the id pulled from an array of ids, or the user's own element from an array of subdocuments. */
function detachByPull(shape: OwnerShape): CleanupOperation {
  const own = { $in: shape.forms };
  const pull = shape.arrayPath === undefined ? { [shape.innerPath]: own } : { [shape.arrayPath]: { [shape.innerPath]: own } };
  return { kind: "updateMany", filter: shape.shared, update: { $pull: pull }, counts: "detached" };
}

/**
 * Documents the user owns alone: the rule's set and unset, and the owner field removed unless set
 * gives it a placeholder. In the "elements" shape, paths under the array apply to the user's own
 * elements (here, every element).
 */
function anonymizeAlone(rule: CleanupRule & { action: "anonymize" }, shape: OwnerShape): CleanupOperation {
  const { set, unset, arrayFilters } = elementPaths(rule, shape, true);
  return { kind: "updateMany", filter: shape.alone, update: updateOf(set, unset), arrayFilters, counts: "documents" };
}

/** Shared documents: set and unset applied to the user's own element alone; nothing else in the document changes. */
function anonymizeOwnElement(rule: CleanupRule & { action: "anonymize" }, shape: OwnerShape): CleanupOperation {
  const { set, unset, arrayFilters } = elementPaths(rule, shape, false);
  return { kind: "updateMany", filter: shape.shared, update: updateOf(set, unset), arrayFilters, counts: "detached" };
}

/**
 * The rule's paths for one shape. Under an array of subdocuments, "participants.email" becomes
 * "participants.$[own].email", with arrayFilters picking the user's elements (MongoDB evaluates
 * them on the document as it was before the update, so removing the owner id in the same update is safe).
 */
function elementPaths(rule: CleanupRule & { action: "anonymize" }, shape: OwnerShape, withDocumentPaths: boolean) {
  const set: Record<string, unknown> = {};
  const unset: Record<string, ""> = {};
  const place = (path: string): string | undefined => {
    if (shape.arrayPath === undefined) return path;
    const prefix = `${shape.arrayPath}.`;
    if (path.startsWith(prefix)) return `${shape.arrayPath}.$[${OWN}].${path.slice(prefix.length)}`;
    return withDocumentPaths ? path : undefined;
  };
  for (const path of Object.keys(rule.set)) {
    const target = place(path);
    if (target !== undefined) set[target] = rule.set[path];
  }
  for (const path of rule.unset) {
    const target = place(path);
    if (target !== undefined) unset[target] = "";
  }
  if (!hasOwn(rule.set, rule.ownerField)) unset[place(rule.ownerField) as string] = "";
  const arrayFilters = shape.arrayPath === undefined ? undefined : [{ [`${OWN}.${shape.innerPath}`]: { $in: shape.forms } }];
  return { set, unset, arrayFilters };
}

function updateOf(set: Record<string, unknown>, unset: Record<string, "">): Record<string, Record<string, unknown>> {
  const update: Record<string, Record<string, unknown>> = {};
  if (Object.keys(set).length > 0) update.$set = set;
  if (Object.keys(unset).length > 0) update.$unset = unset;
  return update;
}

/** "a.b.c" → ["a", "a.b"]. */
function properPrefixes(path: string): string[] {
  const segments = path.split(".");
  const prefixes: string[] = [];
  for (let k = 1; k < segments.length; k++) prefixes.push(segments.slice(0, k).join("."));
  return prefixes;
}

/** Each path is absent or not an array (MongoDB's $type "array" matches an array field itself). */
function notArrays(paths: string[]): Filter[] {
  return paths.map((p) => ({ [p]: { $not: { $type: "array" } } }));
}

/** A shape's shared documents, and where in them the departing user's own entries are. */
export interface SharedQuery {
  filter: Filter;
  /** The array of subdocuments holding the entries ("participants"), or undefined when the owner field is an array of ids. */
  arrayPath?: string;
  /** The owner path inside one element, or the owner field itself (an array of ids). */
  innerPath: string;
}

/**
 * The reads behind preview and export, from the same shapes as the writes above: one filter for
 * the documents the owner has alone, and one per shape that can be shared.
 */
export function ownedDocumentQueries(rule: CleanupRule, ownerId: string): { alone: Filter; shared: SharedQuery[] } {
  const shapes = ownerShapes(rule.ownerField, ownerIdForms([ownerId]));
  const alone = shapes.map((s) => s.alone);
  return {
    alone: alone.length === 1 ? alone[0] : { $or: alone },
    shared: shapes.filter((s) => s.mutable).map((s) => ({ filter: s.shared, arrayPath: s.arrayPath, innerPath: s.innerPath })),
  };
}
