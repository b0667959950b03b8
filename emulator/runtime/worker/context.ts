/**
 * The `context` global of one function call inside a worker. Every async operation it offers
 * (a data call, an HTTP request, `functions.execute`) is counted against the execution and refused
 * once the execution has ended. The flowerbase profile builds Flowerbase's context instead
 * (flowerbaseContext.ts).
 */
import type { ContextUser } from "../types";
import { countedHttp, dataService, type ContextApp } from "./contextServices";
import type { Execution } from "./execution";
import { flowerbaseContext } from "./flowerbaseContext";

export function buildContext(execution: Execution, app: ContextApp, user: ContextUser, asSystem: boolean) {
  if (app.platform === "flowerbase") return flowerbaseContext(execution, app, user, asSystem, countedHttp(execution));
  // The linked data sources the app directory declares, and App Services' default name: never what
  // the bundle's dataSourceName value says, so a wrong value fails here as it would on App Services.
  const dataSources = ["mongodb-atlas", ...(app.dataSources ?? [])];
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
      get: (serviceName: string) => (dataSources.indexOf(serviceName) >= 0 ? dataService(execution) : undefined),
    },
    functions: { execute: (name: string, ...args: unknown[]) => execution.execute(name, args, asSystem) },
    // "true if the function is running as a system user and false otherwise"
    // (docs-app-services source/functions/context.txt, context.runningAsSystem()): a function
    // configured run_as_system, one executed by such a function, or one with no caller.
    runningAsSystem: () => asSystem,
  };
}

function cloneOrUndefined(value: unknown): unknown {
  return value === undefined ? undefined : structuredClone(value);
}
