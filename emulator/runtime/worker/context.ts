/**
 * The `context` global of one function call inside a worker. Every async operation it offers
 * (a data call, an HTTP request, `functions.execute`) is counted against the execution and refused
 * once the execution has ended.
 */
import { createContextHttp, type ContextHttp, type HttpRequestArgs } from "../http";
import type { RuntimeAppInfo, RuntimeUser } from "../types";
import { dataServiceClient } from "./dataClient";
import type { Execution } from "./execution";

const http = createContextHttp();
const HTTP_METHODS = ["get", "post", "put", "patch", "delete", "head"] as const;

export function buildContext(
  execution: Execution,
  app: { values: Record<string, unknown>; appInfo: RuntimeAppInfo },
  user: RuntimeUser,
  asSystem: boolean,
) {
  // The bundle's own value names the linked data source; App Services' default otherwise.
  const dataSourceName = typeof app.values.dataSourceName === "string" ? app.values.dataSourceName : "mongodb-atlas";
  return {
    // "References to context.user always resolve to the authenticated user that called a function
    // if there was one, even if the function runs as a system function"; with no such caller
    // (trigger, scheduled run) it is the system user, "which has no id or other associated data"
    // (docs-app-services source/functions.txt, "User and System Functions"). So context.user.data
    // in a system function is the caller's data, or {} for the system user (the page does not say
    // whether the empty field is there at all; the emulator keeps it, as it always has).
    user: structuredClone(user),
    app: { ...app.appInfo },
    values: { get: (valueName: string) => cloneOrUndefined(app.values[valueName]) },
    http: countedHttp(execution),
    services: {
      // "Gets a service client for the specified service or undefined if no such service exists"
      // (docs-app-services source/functions/context.txt, context.services.get()).
      get: (serviceName: string) =>
        serviceName === dataSourceName
          ? dataServiceClient({ count: (what) => execution.countOperation(what), send: (call) => execution.data(call) })
          : undefined,
    },
    functions: { execute: (name: string, ...args: unknown[]) => execution.execute(name, args, asSystem) },
    // "true if the function is running as a system user and false otherwise"
    // (docs-app-services source/functions/context.txt, context.runningAsSystem()): a function
    // configured run_as_system, one executed by such a function, or one with no caller.
    runningAsSystem: () => asSystem,
  };
}

function countedHttp(execution: Execution): ContextHttp {
  const counted = {} as ContextHttp;
  for (const method of HTTP_METHODS) {
    counted[method] = (args: HttpRequestArgs) => {
      try {
        execution.countOperation(`context.http.${method}`);
      } catch (error) {
        return Promise.reject(error);
      }
      return http[method](args);
    };
  }
  return counted;
}

function cloneOrUndefined(value: unknown): unknown {
  return value === undefined ? undefined : structuredClone(value);
}
