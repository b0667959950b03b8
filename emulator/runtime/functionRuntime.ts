/**
 * Runs built App Services function files: each call in a fresh vm context that holds only the
 * App Services globals (context, EJSON, BSON, console and a predeclared `exports`), with the
 * runtime's time limit around the awaited result.
 */
import { messageOf } from "../../lib/errors";
import * as bson from "bson";
import vm from "node:vm";
import type { LoadedApp } from "./appDirectory";
import { createContextHttp, TextBinary, type ContextHttp } from "./http";
import type { MongoDbService } from "./mongodb";
import type { CallOrigin, FunctionConfig, RuntimeAppInfo, RuntimeUser } from "./types";

export const DEFAULT_TIMEOUT_MS = 300_000;

export interface RuntimeConsole {
  log(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

export interface FunctionRuntimeOptions {
  app: LoadedApp;
  appInfo: RuntimeAppInfo;
  data: MongoDbService;
  /** The linked data source's service name; default "mongodb-atlas". */
  dataSourceName?: string;
  timeoutMs?: number;
  console?: RuntimeConsole;
  http?: ContextHttp;
}

class RuntimeError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

const notFound = (name: string) => new RuntimeError("FunctionNotFoundError", `function not found: '${name}'`);

/** The runtime's BSON global: bson's, with App Services' Binary#text(). */
const BSON_GLOBAL = Object.freeze({ ...bson, Binary: TextBinary });

export class FunctionRuntime {
  private readonly scripts = new Map<string, vm.Script>();
  private readonly http: ContextHttp;

  constructor(private readonly options: FunctionRuntimeOptions) {
    this.http = options.http ?? createContextHttp();
  }

  get timeoutMs(): number {
    return this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** Changes a value for the calls that follow, as editing a value in App Services does. */
  setValue(name: string, value: unknown): void {
    this.options.app.values[name] = value;
  }

  functionConfig(name: string): FunctionConfig | undefined {
    return this.options.app.functions.get(name)?.config;
  }

  /** Calls a function as `user`. Clients cannot call private functions. */
  async call(name: string, args: unknown[], user: RuntimeUser, origin: CallOrigin): Promise<unknown> {
    const entry = this.options.app.functions.get(name);
    if (!entry) throw notFound(name);
    if (origin === "client" && entry.config.private) {
      throw new RuntimeError("FunctionNotCallableError", `function '${name}' is private and cannot be called by a client`);
    }
    const main = this.load(name, entry.source, user, entry.config);
    return this.withTimeout(name, async () => {
      try {
        return await main(...args);
      } catch (error) {
        throw new RuntimeError("FunctionExecutionError", messageOf(error));
      }
    });
  }

  /** Evaluates the compiled file in a fresh context and returns what it assigned to `exports`. */
  private load(name: string, source: string, user: RuntimeUser, config: FunctionConfig): (...args: unknown[]) => Promise<unknown> {
    let script = this.scripts.get(name);
    if (!script) {
      script = new vm.Script(source, { filename: `functions/${name}.js` });
      this.scripts.set(name, script);
    }
    const sandbox = vm.createContext({
      exports: undefined,
      context: this.buildContext(user, config),
      EJSON: bson.EJSON,
      BSON: BSON_GLOBAL,
      console: this.options.console ?? console,
    });
    try {
      script.runInContext(sandbox, { timeout: 1000 });
    } catch (error) {
      throw new RuntimeError("FunctionExecutionError", `function '${name}' failed to load: ${messageOf(error)}`);
    }
    const main = (sandbox as { exports?: unknown }).exports;
    if (typeof main !== "function") throw new RuntimeError("FunctionExecutionError", `function '${name}' does not assign a function to exports`);
    return main as (...args: unknown[]) => Promise<unknown>;
  }

  private buildContext(user: RuntimeUser, config: FunctionConfig) {
    const { app, appInfo, data } = this.options;
    const dataSourceName = this.options.dataSourceName ?? "mongodb-atlas";
    return {
      user: structuredClone(user),
      app: { ...appInfo },
      values: { get: (valueName: string) => structuredCloneOrUndefined(app.values[valueName]) },
      http: this.http,
      services: {
        get: (serviceName: string) => {
          if (serviceName !== dataSourceName) throw new Error(`service not found: '${serviceName}'`);
          return data;
        },
      },
      // Runs another function in the caller's context; private functions are allowed.
      functions: { execute: (fn: string, ...args: unknown[]) => this.call(fn, args, user, "system") },
      runningAsSystem: () => config.run_as_system || user.type === "system",
    };
  }

  private async withTimeout<T>(name: string, run: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new RuntimeError("FunctionTimeoutError", `function '${name}' exceeded the time limit of ${this.timeoutMs / 1000} seconds`)),
        this.timeoutMs,
      );
    });
    try {
      return await Promise.race([run(), limit]);
    } finally {
      clearTimeout(timer);
    }
  }
}

function structuredCloneOrUndefined(value: unknown): unknown {
  return value === undefined ? undefined : structuredClone(value);
}

