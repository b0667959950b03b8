/**
 * The globals the App Services function runtime provides (../shared/docs/app-services.md).
 * Only types: nothing here is bundled. bson is imported as a type so it never lands in a function file.
 */
import type * as bson from "bson";

declare global {
  interface AppServicesHttpRequest {
    url: string;
    headers?: Record<string, string[]>;
    body?: string;
    encodeBodyAsJSON?: boolean;
  }

  interface AppServicesHttpResponse {
    status?: string;
    statusCode: number;
    contentLength?: number;
    headers?: Record<string, string[]>;
    body?: { text(): string };
  }

  interface AppServicesHttp {
    get(request: AppServicesHttpRequest): Promise<AppServicesHttpResponse>;
    post(request: AppServicesHttpRequest): Promise<AppServicesHttpResponse>;
    put(request: AppServicesHttpRequest): Promise<AppServicesHttpResponse>;
    patch(request: AppServicesHttpRequest): Promise<AppServicesHttpResponse>;
    delete(request: AppServicesHttpRequest): Promise<AppServicesHttpResponse>;
  }

  interface AppServicesUser {
    id?: string;
    type: "normal" | "server" | "system";
    data?: Record<string, unknown>;
    custom_data?: Record<string, unknown>;
    identities?: Array<{ id: string; provider_type: string; data?: unknown }>;
  }

  interface AppServicesCursor<T> {
    toArray(): Promise<T[]>;
    sort(spec: Record<string, 1 | -1>): AppServicesCursor<T>;
    limit(n: number): AppServicesCursor<T>;
    skip(n: number): AppServicesCursor<T>;
  }

  interface AppServicesCollection {
    find(query?: object, projection?: object): AppServicesCursor<Record<string, unknown>>;
    findOne(query?: object, projection?: object): Promise<Record<string, unknown> | null>;
    insertOne(doc: object): Promise<{ insertedId: unknown }>;
    updateOne(filter: object, update: object, options?: { upsert?: boolean }): Promise<{ matchedCount: number; modifiedCount: number }>;
    /** arrayFilters as in MongoDB's updateMany (the realm SDKs' MongoDB.UpdateOptions carry it too). */
    updateMany(filter: object, update: object, options?: { upsert?: boolean; arrayFilters?: object[] }): Promise<{ matchedCount: number; modifiedCount: number }>;
    deleteOne(filter: object): Promise<{ deletedCount: number }>;
    deleteMany(filter: object): Promise<{ deletedCount: number }>;
    aggregate(pipeline: object[]): AppServicesCursor<Record<string, unknown>>;
  }

  interface AppServicesContext {
    user: AppServicesUser;
    app: { id: string; clientAppId: string; name: string; projectId: string };
    values: { get(name: string): unknown };
    http: AppServicesHttp;
    services: { get(name: string): { db(name: string): { collection(name: string): AppServicesCollection } } };
    functions: { execute(name: string, ...args: unknown[]): Promise<unknown> };
    runningAsSystem(): boolean;
  }

  const context: AppServicesContext;
  const EJSON: typeof bson.EJSON;
  const BSON: typeof bson;
}

export {};
