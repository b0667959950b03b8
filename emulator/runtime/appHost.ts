/**
 * The running app: the app directory as last loaded, `context.app`, and the function runtime for
 * it, on one pool of worker threads that outlives reloads. reload() swaps the app for the calls
 * that follow; calls in flight finish on the app they started with.
 */
import type { MongoDbService } from "../data/service";
import { loadAppDirectory, type LoadedApp, type LoadOptions } from "./appDirectory";
import { FunctionRuntime, type RuntimeConsole } from "./functionRuntime";
import type { FlowerbaseAuthConfig, RuntimeAppInfo } from "./types";
import { WorkerPool } from "./workerPool";

export interface AppChanges {
  added: string[];
  changed: string[];
  removed: string[];
}

export interface AppHostOptions {
  appDir: string;
  load: LoadOptions;
  /** `context.app` without `name` and `lastDeployed`, which come from the app and the clock. */
  appInfo: Omit<RuntimeAppInfo, "name" | "lastDeployed">;
  now(): number;
  data: MongoDbService;
  timeoutMs?: number;
  console?: RuntimeConsole;
  flowerbaseAuth?: FlowerbaseAuthConfig;
}

export class AppHost {
  private readonly pool = new WorkerPool();
  private currentApp: LoadedApp;
  private currentInfo: RuntimeAppInfo;
  private currentRuntime: FunctionRuntime;

  /** Loads the app directory; throws (AppDirectoryError) when it cannot be read. */
  constructor(private readonly options: AppHostOptions) {
    this.currentApp = loadAppDirectory(options.appDir, options.load);
    this.currentInfo = this.infoFor(this.currentApp);
    this.currentRuntime = this.runtimeFor(this.currentApp);
    void this.pool.start(); // warm the workers while the emulator finishes starting
  }

  get app(): LoadedApp {
    return this.currentApp;
  }

  get appInfo(): RuntimeAppInfo {
    return this.currentInfo;
  }

  get runtime(): FunctionRuntime {
    return this.currentRuntime;
  }

  /** Reads the app directory again (after a rebuild); returns what changed, function by function. */
  reload(): AppChanges {
    const previous = this.currentApp.functions;
    this.currentApp = loadAppDirectory(this.options.appDir, this.options.load);
    this.currentInfo = this.infoFor(this.currentApp);
    this.currentRuntime = this.runtimeFor(this.currentApp);
    const names = (m: Map<string, unknown>) => [...m.keys()];
    const functions = this.currentApp.functions;
    return {
      added: names(functions).filter((n) => !previous.has(n)),
      changed: names(functions).filter((n) => previous.has(n) && previous.get(n)?.source !== functions.get(n)?.source),
      removed: names(previous).filter((n) => !functions.has(n)),
    };
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  private infoFor(app: LoadedApp): RuntimeAppInfo {
    return { ...this.options.appInfo, name: app.name, lastDeployed: new Date(this.options.now()).toISOString() };
  }

  private runtimeFor(app: LoadedApp): FunctionRuntime {
    const { data, timeoutMs, console, flowerbaseAuth } = this.options;
    // The platform the app directory was loaded for is the one its functions run on.
    return new FunctionRuntime({ app, appInfo: this.currentInfo, data, timeoutMs, console, pool: this.pool, platform: this.options.load.platform, flowerbaseAuth });
  }
}
