/**
 * A FunctionRuntime over in-memory function sources, with its own store, for the suites that test
 * the runtime (or what drives it, like the scheduler) without an HTTP server. Every runtime started
 * here is closed after the importing suite (each has its own worker threads).
 */
import { FaultPlan } from "../../emulator/faults";
import type { LoadedApp } from "../../emulator/runtime/appDirectory";
import { FunctionRuntime } from "../../emulator/runtime/functionRuntime";
import { createMongoDbService } from "../../emulator/data/service";
import { DocumentStore } from "../../emulator/data/store";

export interface RuntimeOptions {
  values?: Record<string, unknown>;
  timeoutMs?: number;
  /** Functions marked private. */
  private?: string[];
  /** Functions marked run_as_system. */
  system?: string[];
  /** The app's data_sources/<name>/ folders (the runtime serves its data service under these and "mongodb-atlas"). */
  dataSources?: string[];
}

const started: FunctionRuntime[] = [];
afterAll(() => Promise.all(started.splice(0).map((runtime) => runtime.close())));

export function runtimeWith(sources: Record<string, string>, options: RuntimeOptions = {}): { runtime: FunctionRuntime; store: DocumentStore } {
  const store = new DocumentStore();
  const app: LoadedApp = {
    dir: "(memory)",
    name: "runtime-test",
    values: options.values ?? {},
    triggers: [],
    dataSources: options.dataSources,
    functions: new Map(
      Object.entries(sources).map(([name, source]) => [
        name,
        { source, config: { name, private: options.private?.includes(name) ?? false, run_as_system: options.system?.includes(name) ?? false, disable_arg_logs: false } },
      ]),
    ),
  };
  const runtime = new FunctionRuntime({
    app,
    appInfo: { id: "a", clientAppId: "c", name: "n", projectId: "p", deployment: { model: "GLOBAL", providerRegion: "r" }, lastDeployed: "", hostingUri: "" },
    data: createMongoDbService(store, new FaultPlan()),
    timeoutMs: options.timeoutMs,
  });
  started.push(runtime);
  return { runtime, store };
}
