/** The data service's API as App Services functions see it (source/functions/mongodb/api.txt). */
import type { SortSpec } from "./arguments";
import type { Document } from "./wire";

export type { Document } from "./wire";
export type { SortSpec } from "./arguments";

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
