/**
 * `POST /emulator/triggers/<name>/run`: runs a scheduled trigger's function now, as the system
 * user, exactly as its schedule would (what `npm run trigger` calls). Emulator-only, outside both
 * APIs, and guarded like the Admin API: an Admin API access token (the emulator's own key pair).
 */
import { EJSON } from "bson";
import type { IncomingMessage } from "node:http";
import { messageOf } from "../../lib/errors";
import type { EmulatorState } from "../accounts/accountState";
import type { TriggerDefinition } from "../runtime/appDirectory";
import { SYSTEM_USER } from "../runtime/types";
import { authenticateRequest } from "./auth";
import { runAndLogTrigger } from "../scheduler";
import { HttpError, type Reply } from "./reply";
import { Router, methodNotAllowedError, notFoundError } from "./router";
import type { FunctionCaller } from "./clientApi";

export const TRIGGER_RUN_PREFIX = "/emulator/triggers/";
/** One route; the Router gives it the same 404 and 405 answers as both APIs. */
const routes = new Router<"run">().add("POST", `${TRIGGER_RUN_PREFIX}:name/run`, "run");

export interface TriggerRouteOptions {
  state: EmulatorState;
  triggers(): TriggerDefinition[];
  runtime(): FunctionCaller;
  log(line: string): void;
}

export function createTriggerRoute(options: TriggerRouteOptions): { handle(req: IncomingMessage, path: string): Promise<Reply> } {
  async function handle(req: IncomingMessage, path: string): Promise<Reply> {
    const method = req.method ?? "";
    const match = routes.match(method, path);
    if (match.kind === "notFound") throw notFoundError(method, path);
    if (match.kind === "wrongMethod") throw methodNotAllowedError(method, match.allowed);
    await authenticateRequest(options.state, req, "admin-access");
    const name = match.params.name;
    const triggers = options.triggers();
    // By trigger name, or by the function it runs (`npm run trigger -- purgePendingUsers`).
    const trigger = triggers.find((t) => t.name === name) ?? triggers.find((t) => t.function_name === name);
    if (!trigger) {
      throw new HttpError(404, `no scheduled trigger named ${JSON.stringify(name.slice(0, 100))}; the app has: ${triggers.map((t) => t.name).join(", ") || "none"}`, "TriggerNotFound");
    }
    try {
      const execution = await runAndLogTrigger(trigger, options.runtime(), SYSTEM_USER, options.log, "run now (npm run trigger)");
      const result: unknown = execution.ejson === undefined ? null : EJSON.parse(execution.ejson, { relaxed: false });
      return { kind: "text", status: 200, text: EJSON.stringify({ trigger: trigger.name, function: trigger.function_name, result }, { relaxed: true }) };
    } catch (error) {
      throw new HttpError(400, messageOf(error), "FunctionExecutionError");
    }
  }
  return { handle };
}
