/**
 * Runs built App Services function files: each call in a fresh vm context that holds only the
 * App Services globals (context, EJSON, BSON, console and a predeclared `exports`), within the
 * runtime's time limit. The limit is kept three ways, because no one way covers all code: vm's
 * timeout for synchronous code, a timer for the awaited result, and services that refuse every
 * call once the limit has passed, so a function cut off cannot go on writing.
 */
import * as bson from "bson";
import vm from "node:vm";
import { messageOf } from "../../lib/errors";
import type { LoadedApp } from "./appDirectory";
import { createContextHttp, TextBinary } from "./http";
import type { MongoDbService } from "../data/service";
import type { CallOrigin, FunctionConfig, RuntimeAppInfo, RuntimeUser } from "./types";

export const DEFAULT_TIMEOUT_MS = 300_000;

/** The `name` of each error call() throws; the client API maps them to App Services' answers. */
export const RUNTIME_ERRORS = {
  notFound: "FunctionNotFoundError",
  notCallable: "FunctionNotCallableError",
  timeout: "FunctionTimeoutError",
  execution: "FunctionExecutionError",
} as const;

export type RuntimeErrorName = (typeof RUNTIME_ERRORS)[keyof typeof RUNTIME_ERRORS];

export interface RuntimeConsole {
  log(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

export interface FunctionRuntimeOptions {
  app: LoadedApp;
  appInfo: RuntimeAppInfo;
  data: MongoDbService;
  timeoutMs?: number;
  console?: RuntimeConsole;
}

class RuntimeError extends Error {
  constructor(
    override readonly name: RuntimeErrorName,
    message: string,
  ) {
    super(message);
  }
}

/** The runtime's error name of anything call() threw, or undefined for anything else. */
export function runtimeErrorName(error: unknown): RuntimeErrorName | undefined {
  const name = (error as { name?: unknown } | null)?.name;
  return Object.values(RUNTIME_ERRORS).find((n) => n === name);
}

/** The runtime's BSON global: bson's, with App Services' Binary#text(). */
const BSON_GLOBAL = Object.freeze({ ...bson, Binary: TextBinary });

/** Calls the entry point from inside the context, so vm's timeout bounds its synchronous part. */
const INVOKE = new vm.Script(
  "(() => { const args = __appServicesCallArgs; delete globalThis.__appServicesCallArgs; return exports.apply(undefined, args); })()",
  { filename: "app-services-runtime" },
);

export class FunctionRuntime {
  private readonly scripts = new Map<string, vm.Script>();
  private readonly http = createContextHttp();

  constructor(private readonly options: FunctionRuntimeOptions) {}

  get timeoutMs(): number {
    return this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** Changes a value for the calls that follow, as editing a value in App Services does. */
  setValue(name: string, value: unknown): void {
    this.options.app.values[name] = value;
  }

  /** Calls a function as `user`. Clients cannot call private functions. */
  async call(name: string, args: unknown[], user: RuntimeUser, origin: CallOrigin): Promise<unknown> {
    const entry = this.options.app.functions.get(name);
    if (!entry) throw new RuntimeError(RUNTIME_ERRORS.notFound, `function not found: '${name}'`);
    if (origin === "client" && entry.config.private) {
      throw new RuntimeError(RUNTIME_ERRORS.notCallable, `function '${name}' is private and cannot be called by a client`);
    }
    const deadline = Date.now() + this.timeoutMs;
    const expired = () => Date.now() >= deadline;
    const tooLong = () => new RuntimeError(RUNTIME_ERRORS.timeout, `function '${name}' exceeded the time limit of ${this.timeoutMs / 1000} seconds`);
    const sandbox = this.load(name, entry.source, user, entry.config, expired);

    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(tooLong()), this.timeoutMs);
    });
    const run = async () => {
      try {
        (sandbox as Record<string, unknown>).__appServicesCallArgs = args;
        return await INVOKE.runInContext(sandbox, { timeout: this.timeoutMs });
      } catch (error) {
        // Whatever fails once the limit has passed (vm's timeout, a refused service call) is the limit.
        if (expired() || (error as { code?: unknown } | null)?.code === "ERR_SCRIPT_EXECUTION_TIMEOUT") throw tooLong();
        throw new RuntimeError(RUNTIME_ERRORS.execution, messageOf(error));
      }
    };
    try {
      return await Promise.race([run(), limit]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Evaluates the compiled file in a fresh context, checking that it assigns a function to `exports`. */
  private load(name: string, source: string, user: RuntimeUser, config: FunctionConfig, expired: () => boolean): vm.Context {
    let script = this.scripts.get(name);
    if (!script) {
      script = new vm.Script(source, { filename: `functions/${name}.js` });
      this.scripts.set(name, script);
    }
    const sandbox = vm.createContext({
      exports: undefined,
      context: this.buildContext(user, config, expired),
      EJSON: bson.EJSON,
      BSON: BSON_GLOBAL,
      console: this.options.console ?? console,
    });
    try {
      script.runInContext(sandbox, { timeout: 1000 });
    } catch (error) {
      throw new RuntimeError(RUNTIME_ERRORS.execution, `function '${name}' failed to load: ${messageOf(error)}`);
    }
    if (typeof (sandbox as { exports?: unknown }).exports !== "function") {
      throw new RuntimeError(RUNTIME_ERRORS.execution, `function '${name}' does not assign a function to exports`);
    }
    return sandbox;
  }

  private buildContext(user: RuntimeUser, config: FunctionConfig, expired: () => boolean) {
    const { app, appInfo, data } = this.options;
    // The bundle's own value names the linked data source; App Services' default otherwise.
    const dataSourceName = typeof app.values.dataSourceName === "string" ? app.values.dataSourceName : "mongodb-atlas";
    return {
      user: structuredClone(user),
      app: { ...appInfo },
      values: { get: (valueName: string) => structuredCloneOrUndefined(app.values[valueName]) },
      http: untilDeadline(this.http, expired, "context.http"),
      services: {
        get: (serviceName: string) => {
          if (serviceName !== dataSourceName) throw new Error(`service not found: '${serviceName}'`);
          return untilDeadline(data, expired, `service '${serviceName}'`);
        },
      },
      // Runs another function in the caller's context; private functions are allowed.
      functions: { execute: (fn: string, ...args: unknown[]) => this.call(fn, args, user, "system") },
      runningAsSystem: () => config.run_as_system || user.type === "system",
    };
  }
}

/**
 * A view of a service (and of the objects its methods return: databases, collections, cursors)
 * whose every method refuses once `expired()`: App Services stops a function at its limit, so
 * nothing it started may still read or write afterwards.
 */
function untilDeadline<T extends object>(target: T, expired: () => boolean, what: string): T {
  return new Proxy(target, {
    get(object, key) {
      const value: unknown = Reflect.get(object, key);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        if (expired()) throw new Error(`${what}: the function has passed its time limit and was stopped`);
        const result: unknown = value.apply(object, args);
        const chainable = typeof result === "object" && result !== null && typeof (result as { then?: unknown }).then !== "function";
        return chainable ? untilDeadline(result, expired, what) : result;
      };
    },
  });
}

function structuredCloneOrUndefined(value: unknown): unknown {
  return value === undefined ? undefined : structuredClone(value);
}
