/**
 * The emulator's in-memory stand-in for App Services' linked cluster: namespaces ("db.collection")
 * of documents, `_id` generation and uniqueness, snapshots for the data file, change listeners.
 */
import { messageOf } from "../../lib/errors";
import { EJSON, ObjectId } from "bson";
import { asNewDocument } from "./arguments";
import { duplicateKeyError } from "./errors";
import { checkNames } from "./names";
import { copyOf, fromCaller, idKey, isPlainObject, parseCanonicalEjson, type Document } from "./wire";


/** Namespace contents, kept out of the class's public surface so only this module can read or replace them. */
const contents = new WeakMap<DocumentStore, Map<string, Document[]>>();

function storageOf(store: DocumentStore): Map<string, Document[]> {
  const map = contents.get(store);
  if (!map) throw new Error("DocumentStore: not constructed through its constructor");
  return map;
}

/** The stored array. Callers must not mutate it nor the documents in it: writes replace both. */
export function readNamespace(store: DocumentStore, namespace: string): readonly Document[] {
  return storageOf(store).get(namespace) ?? [];
}

/** Who hears of each committed write (the emulator's persistence). */
const changeListeners = new WeakMap<DocumentStore, Set<() => void>>();

export function commitNamespace(store: DocumentStore, namespace: string, docs: Document[]): void {
  storageOf(store).set(namespace, docs);
  changeListeners.get(store)?.forEach((listener) => listener());
}

/**
 * Appends documents, giving each an `_id` first when it has none (as the drivers do for a missing or
 * null `_id`). Throws E11000 on a clash with the working set or within the batch.
 */
export function insertInto(working: Document[], docs: readonly Document[], namespace: string): unknown[] {
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
export function withIdFirst(doc: Document, id: unknown): Document {
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
          value = parseCanonicalEjson(JSON.stringify(doc));
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
