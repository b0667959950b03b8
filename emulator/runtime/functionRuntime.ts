/**
 * Runs built App Services function files, each execution in a worker thread (workerPool.ts), in
 * a fresh realm holding only the App Services globals with the forbidden members gone
 * (worker/realm.ts), within the runtime's limits (rules.ts): the time limit, enforced from this
 * thread so that even a loop that never yields is stopped, and the async operations.
 */
import { environmentString } from "../../build/flowerbaseEnv";
import type { MongoDbService } from "../data/service";
import type { LoadedApp } from "./appDirectory";
import { runDataCall } from "./dataCalls";
import { RUNTIME_ERRORS, RuntimeError, timeLimitMessage } from "./errors";
import type { WorkerApp } from "./protocol";
import { LIMITS } from "./rules";
import type { CallOrigin, ContextUser, FlowerbaseAuthConfig, Platform, RuntimeAppInfo } from "./types";
import { decodeResult, encodeArguments } from "./values";
import { WorkerPool } from "./workerPool";

export { RUNTIME_ERRORS, runtimeErrorName, thrownNameOf, type RuntimeErrorName } from "./errors";

const DEFAULT_TIMEOUT_MS = LIMITS.timeLimitMs;

export interface RuntimeConsole {
  log(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

export interface FunctionRuntimeOptions {
  app: LoadedApp;
  appInfo: RuntimeAppInfo;
  data: MongoDbService;
  timeoutMs?: number;
  /** Where the functions' console lines go, one formatted line per call; default the process console. */
  console?: RuntimeConsole;
  /** Default "appservices"; "flowerbase" plays Flowerbase's context (no context.app, values as environment strings, the auth service). */
  platform?: Platform;
  flowerbaseAuth?: FlowerbaseAuthConfig;
  /** Shared across reloads by the emulator; a runtime without one starts (and closes) its own. */
  pool?: WorkerPool;
}

/** One finished execution. */
export interface Execution {
  /** The result as canonical EJSON, as a client receives it; undefined when the function returned undefined. */
  ejson: string | undefined;
  /** Async operations it started (data calls, HTTP requests, functions.execute). */
  ops: number;
  /** Its worker's peak used V8 heap (protocol.ts Outcome.heapPeakBytes), to hold against LIMITS.memoryBytes. */
  heapPeakBytes: number;
}

let lastAppVersion = 0;

export class FunctionRuntime {
  private readonly pool: WorkerPool;
  private workerApp: WorkerApp | undefined;

  constructor(private readonly options: FunctionRuntimeOptions) {
    this.pool = options.pool ?? new WorkerPool();
  }

  get timeoutMs(): number {
    return this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** Changes a value for the calls that follow, as editing a value in App Services does. */
  setValue(name: string, value: unknown): void {
    // On Flowerbase a value is an environment variable: a string (JSON for anything else), or unset.
    const flowerbase = this.options.platform === "flowerbase";
    this.options.app.values[name] = flowerbase ? environmentString(value) : value;
    this.workerApp = undefined;
  }

  /** Calls a function as `user` and returns its result. Clients cannot call private functions. */
  async call(name: string, args: unknown[], user: ContextUser, origin: CallOrigin): Promise<unknown> {
    return decodeResult((await this.run(name, args, user, origin)).ejson);
  }

  /** call(), reporting the result as EJSON (left to the caller to decode), its async operations and peak heap; errors carry `ops` too. */
  async run(name: string, args: unknown[], user: ContextUser, origin: CallOrigin): Promise<Execution> {
    const entry = this.options.app.functions.get(name);
    if (!entry) throw new RuntimeError(RUNTIME_ERRORS.notFound, `function not found: '${name}'`);
    // "You can prevent client applications from seeing or calling a function by setting Private to
    // true" (docs-app-services source/functions.txt): the client API answers as for a missing one.
    if (origin === "client" && entry.config.private) {
      throw new RuntimeError(RUNTIME_ERRORS.notCallable, `function '${name}' is private and cannot be called by a client`);
    }
    const outcome = await this.pool.run(
      this.appForWorkers(),
      { name, args: encodeArguments(args), user, timeoutMs: this.timeoutMs },
      {
        console: (level, text) => (this.options.console ?? console)[level](text),
        data: (call) => runDataCall(this.options.data, call),
      },
    );
    if (outcome.ok) return { ejson: outcome.value, ops: outcome.ops, heapPeakBytes: outcome.heapPeakBytes ?? 0 };
    if ("timedOut" in outcome) throw new RuntimeError(RUNTIME_ERRORS.timeout, timeLimitMessage(name, this.timeoutMs), outcome.ops);
    throw new RuntimeError(outcome.error.name, outcome.error.message, outcome.ops, outcome.error.thrownName);
  }

  /** How many worker threads the runtime's pool runs now (read by tests). */
  get workerCount(): number {
    return this.pool.workerCount;
  }

  /** Ends the worker threads, if this runtime started them. */
  async close(): Promise<void> {
    if (!this.options.pool) await this.pool.close();
  }

  /** The app as the workers receive it: a new version after every change, sent to each worker once. */
  private appForWorkers(): WorkerApp {
    this.workerApp ??= {
      version: ++lastAppVersion,
      functions: [...this.options.app.functions.entries()],
      values: this.options.app.values,
      appInfo: this.options.appInfo,
      platform: this.options.platform ?? "appservices",
      flowerbaseAuth: this.options.flowerbaseAuth,
      dataSources: this.options.app.dataSources,
    };
    return this.workerApp;
  }
}
