/**
 * One execution inside a worker: the called function and every function it runs through
 * `context.functions.execute`, under one deadline and one count of async operations
 * (source/functions.txt, "Constraints"). Once it has ended (result, error, a limit, or the main
 * thread's abort), everything it still attempts is refused here, and data calls are refused on
 * the main thread as well.
 */
import * as bson from "bson";
import { format } from "node:util";
import { getHeapStatistics } from "node:v8";
import vm from "node:vm";
import { messageOf } from "../../../lib/errors";
import { RUNTIME_ERRORS, RuntimeError, operationLimitMessage, thrownNameOf, stoppedMessage, timeLimitMessage } from "../errors";
import { TextBinary } from "../http";
import type { DataCall, Outcome } from "../protocol";
import { LIMITS } from "../rules";
import type { ContextUser, FlowerbaseAuthConfig, FunctionConfig, Platform, RuntimeAppInfo } from "../types";
import { encodeResult } from "../values";
import { buildContext } from "./context";
import { createRealm } from "./realm";

/** The app as a worker holds it: compiled scripts are kept per app version. */
export interface WorkerAppState {
  version: number;
  functions: Map<string, FunctionEntry>;
  values: Record<string, unknown>;
  appInfo: RuntimeAppInfo;
  platform: Platform;
  flowerbaseAuth?: FlowerbaseAuthConfig;
  /** The linked data sources' names (the app directory's data_sources/<name>/), served besides "mongodb-atlas". */
  dataSources?: string[];
  scripts: Map<string, vm.Script>;
}

type FunctionEntry = { config: FunctionConfig; source: string };

/** What an execution needs from its worker. */
export interface ExecutionHost {
  console(level: "log" | "error", text: string): void;
  data(call: DataCall, ops: number): Promise<unknown>;
  finish(outcome: Outcome): void;
}

/** The runtime's BSON global: bson's, with App Services' Binary#text(). */
const BSON_GLOBAL = Object.freeze({ ...bson, Binary: TextBinary });

/** Calls the entry point from inside the context, so vm's timeout bounds its synchronous part. */
const INVOKE = new vm.Script(
  "(() => { const args = __appServicesCallArgs; delete globalThis.__appServicesCallArgs; return exports.apply(undefined, args); })()",
  { filename: "app-services-runtime" },
);

export class Execution {
  private ops = 0;
  private ended = false;
  /** See Outcome.heapPeakBytes: cheap samples, not a profile. */
  private heapPeakBytes = getHeapStatistics().used_heap_size;

  constructor(
    private readonly app: WorkerAppState,
    private readonly name: string,
    private readonly user: ContextUser,
    private readonly deadline: number,
    private readonly timeoutMs: number,
    private readonly host: ExecutionHost,
  ) {}

  /** Runs the called function; the outcome goes to the host exactly once. */
  async start(args: unknown[]): Promise<void> {
    // FunctionRuntime.run found the name in the very app version this worker holds.
    const entry = this.app.functions.get(this.name)!;
    let result: unknown;
    try {
      result = await this.invoke(this.name, entry, args, entry.config.run_as_system || this.user.type === "system");
    } catch (error) {
      // Whatever fails once the limit has passed (vm's timeout, a refused call) is the limit.
      const timedOut = this.expired() || (isVmTimeout(error) && !(error instanceof RuntimeError));
      if (timedOut) this.finish({ ok: false, error: { name: RUNTIME_ERRORS.timeout, message: messageOf(error) }, ops: this.ops });
      else this.finish({ ok: false, error: { name: RUNTIME_ERRORS.execution, message: messageOf(error), thrownName: thrownNameOf(error) }, ops: this.ops });
      return;
    }
    try {
      this.finish({ ok: true, value: encodeResult(result), ops: this.ops });
    } catch (error) {
      const message = `function '${this.name}' returned a value that cannot be sent as EJSON: ${messageOf(error)}`;
      this.finish({ ok: false, error: { name: RUNTIME_ERRORS.execution, message }, ops: this.ops });
    }
  }

  /** The main thread gave up on this execution (its time limit): refuse everything from now on. */
  abort(): void {
    this.ended = true;
  }

  /** Counts one async operation; the one past the limit ends the whole execution, even if the function catches it. */
  countOperation(what: string): void {
    this.assertRunning(what);
    this.ops += 1;
    if (this.ops > LIMITS.asyncOperations) {
      const error = new RuntimeError(RUNTIME_ERRORS.execution, operationLimitMessage(this.name, what), this.ops);
      this.finish({ ok: false, error: { name: error.name, message: error.message }, ops: this.ops });
      throw error;
    }
  }

  assertRunning(what: string): void {
    if (this.ended || Date.now() >= this.deadline) throw new Error(stoppedMessage(what));
  }

  async data(call: DataCall): Promise<unknown> {
    try {
      return await this.host.data(call, this.ops);
    } finally {
      this.sampleHeap();
    }
  }

  private sampleHeap(): void {
    this.heapPeakBytes = Math.max(this.heapPeakBytes, getHeapStatistics().used_heap_size);
  }

  console(level: "log" | "error", args: unknown[]): void {
    if (!this.ended) this.host.console(level, format(...args));
  }

  /**
   * `context.functions.execute`: another function in this execution, as the same user, private
   * ones included. It runs as system when it says so or when its caller does: "If the function was
   * called from another function then it inherits the execution user from that function"
   * (docs-app-services source/functions.txt, "Configure User Authentication").
   */
  execute(name: string, args: unknown[], callerAsSystem: boolean): Promise<unknown> {
    this.countOperation("context.functions.execute");
    const entry = this.app.functions.get(name);
    if (!entry) return Promise.reject(new RuntimeError(RUNTIME_ERRORS.notFound, `function not found: '${name}'`));
    return this.invoke(name, entry, args, callerAsSystem || entry.config.run_as_system).catch((error: unknown) => {
      throw error instanceof RuntimeError ? error : new RuntimeError(RUNTIME_ERRORS.execution, messageOf(error), 0, thrownNameOf(error));
    });
  }

  private async invoke(name: string, entry: FunctionEntry, args: unknown[], asSystem: boolean): Promise<unknown> {
    const sandbox = this.load(name, entry, asSystem);
    (sandbox as Record<string, unknown>).__appServicesCallArgs = args;
    return await INVOKE.runInContext(sandbox, { timeout: this.remainingMs() });
  }

  /** Evaluates the compiled file in a fresh realm, checking that it assigns a function to `exports`. */
  private load(name: string, entry: FunctionEntry, asSystem: boolean): vm.Context {
    let script = this.app.scripts.get(name);
    if (!script) {
      script = new vm.Script(entry.source, { filename: `functions/${name}.js` });
      this.app.scripts.set(name, script);
    }
    const sandbox = createRealm({
      context: buildContext(this, this.app, this.user, asSystem),
      EJSON: bson.EJSON,
      BSON: BSON_GLOBAL,
      console: this.realmConsole(),
    });
    try {
      script.runInContext(sandbox, { timeout: Math.min(1000, this.remainingMs()) });
    } catch (error) {
      if (this.expired()) throw new RuntimeError(RUNTIME_ERRORS.timeout, timeLimitMessage(this.name, this.timeoutMs));
      throw new RuntimeError(RUNTIME_ERRORS.execution, `function '${name}' failed to load: ${messageOf(error)}`);
    }
    if (typeof (sandbox as { exports?: unknown }).exports !== "function") {
      throw new RuntimeError(RUNTIME_ERRORS.execution, `function '${name}' does not assign a function to exports`);
    }
    return sandbox;
  }

  private realmConsole() {
    const log = (...args: unknown[]) => this.console("log", args);
    const error = (...args: unknown[]) => this.console("error", args);
    return { log, info: log, debug: log, warn: error, error };
  }

  private finish(outcome: Outcome): void {
    if (this.ended) return;
    this.ended = true;
    this.sampleHeap();
    outcome = { ...outcome, heapPeakBytes: this.heapPeakBytes };
    if (!outcome.ok && outcome.error.name === RUNTIME_ERRORS.timeout) {
      outcome = { ...outcome, error: { name: RUNTIME_ERRORS.timeout, message: timeLimitMessage(this.name, this.timeoutMs) } };
    }
    this.host.finish(outcome);
  }

  private expired(): boolean {
    return Date.now() >= this.deadline;
  }

  private remainingMs(): number {
    return Math.max(1, this.deadline - Date.now());
  }
}

function isVmTimeout(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === "ERR_SCRIPT_EXECUTION_TIMEOUT";
}
