/**
 * `context` as Flowerbase builds it (flowerforce/flowerbase packages/flowerbase/src/utils/context/helpers.ts:154-240):
 * request, user, environment, values, utils, services, http, https, functions; no `app`, no
 * `runningAsSystem`. Values are environment strings (helpers.ts:213-215); services.get knows only
 * api, aws, auth and mongodb-atlas (services/index.ts:6-11), and an unknown name gives undefined
 * (helpers.ts:154-169, the error is caught and logged).
 */
import { ObjectId } from "bson";
import type { ContextHttp } from "../http";
import type { ContextUser, FlowerbaseAuthConfig } from "../types";
import { encodeArguments } from "../values";
import { dataService, type ContextApp } from "./contextServices";
import type { Execution } from "./execution";

export function flowerbaseContext(execution: Execution, app: ContextApp, user: ContextUser, asSystem: boolean, http: ContextHttp) {
  return {
    request: { remoteIPAddress: "127.0.0.1", requestHeaders: {}, service: "", action: "" },
    user: flowerbaseUser(user),
    environment: { tag: "development" },
    values: { get: (name: string) => (typeof app.values[name] === "string" ? app.values[name] : undefined) },
    utils: {},
    services: {
      get(name: string): unknown {
        if (name === "mongodb-atlas") return dataService(execution);
        if (name === "auth" && app.flowerbaseAuth) return authService(execution, app.flowerbaseAuth, asSystem);
        return undefined;
      },
    },
    http,
    https: http,
    // The same user, and the caller's run_as_system (helpers.ts:222-238).
    functions: { execute: (name: string, ...args: unknown[]) => execution.execute(name, args, asSystem) },
  };
}

/** A client call's user gets `_id: ObjectId(id)` (features/functions/controller.ts:440); a trigger's stays `{}`. */
function flowerbaseUser(user: ContextUser): Record<string, unknown> {
  const copy = structuredClone(user) as Record<string, unknown>;
  if (typeof copy.id === "string" && ObjectId.isValid(copy.id)) copy._id = new ObjectId(copy.id);
  return copy;
}

/**
 * emailPasswordAuth.deleteUser (services/auth/index.ts:5-12; shared/handleUserDeletion.ts:13-64): only
 * when run as system; by `_id` (an ObjectId when the id parses as one), else by email; whatever the
 * status; nothing else deleted. registerUser is not offered: the bundle does not use it.
 */
function authService(execution: Execution, auth: FlowerbaseAuthConfig, asSystem: boolean) {
  return {
    emailPasswordAuth: {
      async deleteUser(target: { id?: unknown; email?: unknown } = {}) {
        if (!asSystem) throw new Error("only run_as_system");
        if (!target.id && !target.email) throw new Error("Missing user identifier");
        execution.countOperation("auth.emailPasswordAuth.deleteUser");
        const id = typeof target.id === "string" && ObjectId.isValid(target.id) ? new ObjectId(target.id) : target.id;
        const query = target.id ? { _id: id } : { email: target.email };
        return execution.data({ db: auth.database, collection: auth.collection, method: "deleteOne", args: encodeArguments([query]) });
      },
    },
  };
}
