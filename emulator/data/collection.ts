/**
 * `db(name).collection(name)`: every call checks its arguments when it is made, then waits for
 * the injected latency, takes the injected fault, and runs synchronously on the store, so no
 * other call can interleave with it.
 */
import { messageOf } from "../../lib/errors";
import { Aggregator } from "mingo";
import { FAILURE_FAULTS, type FaultPlan } from "../faults";
import {
  asBoolean, asNewDocument, asOptionalDocument, asPipeline, asReplacement, asSort,
  assertBulkFiltersDefined, checkOptions, optionalFilter, requiredFilter, settle,
} from "./arguments";
import { applyBulkOperation, parseBulkOperation } from "./bulk";
import { Cursor } from "./cursor";
import { DataServiceError, serviceError } from "./errors";
import { MINGO_OPTIONS, allMatches, distinctValues, findDocuments, firstMatch, project } from "./query";
import { checkNames } from "./names";
import { DocumentStore, commitNamespace, insertInto, readNamespace } from "./store";
import type {
  BulkWriteOperation, DeleteResult, FindOneAndModifyOptions, InsertManyResult, InsertOneResult, MongoCollection, MongoCursor,
  SortSpec, UpdateOptions, UpdateResult, UpdateSpec,
} from "./types";
import { applyDelete, applyReplace, applyUpdate, targetOf, updateArgsOf, type UpdateArgs, type WriteOutcome } from "./writes";
import { copyOf, fromCaller, type Document } from "./wire";

function updateResult(outcome: WriteOutcome): UpdateResult {
  const { matchedCount, modifiedCount, upsertedId } = outcome;
  return upsertedId === undefined ? { matchedCount, modifiedCount } : { matchedCount, modifiedCount, upsertedId };
}

const UPDATE_OPTIONS = ["upsert", "arrayFilters"];

export class Collection implements MongoCollection {
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
    const fault = this.faults.take(`data:${method}:${this.namespace}`, FAILURE_FAULTS);
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
    return updateArgsOf(requiredFilter(filter), fromCaller(update, "update"), opts, "options");
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
