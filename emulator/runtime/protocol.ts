/**
 * The messages between the emulator's main thread and the worker threads that run functions.
 * Every value in them is a string of canonical EJSON (values.ts) or plain JSON-safe data.
 */
import type { RuntimeErrorName } from "./errors";
import type { ContextUser, FlowerbaseAuthConfig, FunctionConfig, Platform, RuntimeAppInfo } from "./types";

/** What a worker needs of the app: functions, values and `context.app`, under a version number. */
export interface WorkerApp {
  version: number;
  functions: Array<[string, { config: FunctionConfig; source: string }]>;
  values: Record<string, unknown>;
  appInfo: RuntimeAppInfo;
  platform: Platform;
  /** The flowerbase profile: where the auth service deletes users. */
  flowerbaseAuth?: FlowerbaseAuthConfig;
  /** The linked data sources' names (the app directory's data_sources/<name>/), served besides "mongodb-atlas". */
  dataSources?: string[];
}

/** One data-service call, described in the worker and run on the main thread. */
export interface DataCall {
  db: string;
  collection: string;
  method: string;
  /** encodeArguments() of the method's arguments. */
  args: string;
  /** find()/aggregate(): the cursor's modifiers, in the order they were called, then toArray(). */
  cursor?: Array<{ method: string; args: string }>;
}

export interface RunRequest {
  exec: number;
  version: number;
  name: string;
  /** encodeArguments() of the call's arguments. */
  args: string;
  user: ContextUser;
  /** Date.now() at which the time limit passes (both threads share the clock). */
  deadline: number;
  timeoutMs: number;
}

export type ToWorker =
  | { kind: "app"; app: WorkerApp }
  | ({ kind: "run" } & RunRequest)
  | { kind: "reply"; request: number; ok: true; value?: string }
  | { kind: "reply"; request: number; ok: false; message: string }
  | { kind: "abort"; exec: number };

/** The collection methods a function can call: each answers one data call (a promise)... */
export const PROMISE_METHODS = [
  "findOne", "insertOne", "insertMany", "updateOne", "updateMany", "deleteOne", "deleteMany", "count", "countDocuments",
  "distinct", "findOneAndUpdate", "findOneAndReplace", "findOneAndDelete", "bulkWrite",
] as const;
/** ...or a cursor, whose modifiers travel with the call that fetches it. */
export const CURSOR_METHODS = ["find", "aggregate"] as const;
export const CURSOR_MODIFIERS = ["sort", "skip", "limit"] as const;

/**
 * `heapPeakBytes`: the worker isolate's largest used heap seen during the execution (sampled at
 * its start, at each data reply and at its end), which holds the other executions on that worker
 * too; the main thread fills 0 for outcomes it makes itself (time limit, a stopped worker).
 */
export type Outcome =
  | { ok: true; value?: string; ops: number; heapPeakBytes?: number }
  | { ok: false; error: { name: RuntimeErrorName; message: string; thrownName?: string }; ops: number; heapPeakBytes?: number };

export type FromWorker =
  | { kind: "beat" }
  | { kind: "console"; exec: number; level: "log" | "error"; text: string }
  | { kind: "data"; exec: number; request: number; ops: number; call: DataCall }
  | ({ kind: "done"; exec: number } & Outcome)
  | { kind: "aborted"; exec: number };

/** How often an idle or awaiting worker says it is alive; a worker silent for STALL_MS is busy running code. */
export const HEARTBEAT_MS = 50;
