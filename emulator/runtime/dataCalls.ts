/**
 * Runs, on the main thread, a data call a worker described: the same MongoDbService the
 * emulator's tests and seeds use, so latency, injected faults and persistence apply as before.
 */
import type { MongoDbService } from "../data/service";
import type { MongoCursor } from "../data/types";
import { CURSOR_METHODS, CURSOR_MODIFIERS, PROMISE_METHODS, type DataCall } from "./protocol";
import { decodeArguments, encodeResult } from "./values";

const PROMISES: ReadonlySet<string> = new Set(PROMISE_METHODS);
const CURSORS: ReadonlySet<string> = new Set(CURSOR_METHODS);
const MODIFIERS: ReadonlySet<string> = new Set(CURSOR_MODIFIERS);

type Invocable = Record<string, (...args: unknown[]) => unknown>;

export async function runDataCall(data: MongoDbService, call: DataCall): Promise<string | undefined> {
  const collection = data.db(call.db).collection(call.collection) as unknown as Invocable;
  const args = decodeArguments(call.args);
  if (CURSORS.has(call.method)) {
    let cursor = collection[call.method](...args) as MongoCursor;
    for (const step of call.cursor ?? []) {
      if (!MODIFIERS.has(step.method)) throw new Error(`${call.method}(): unknown cursor method ${JSON.stringify(step.method)}`);
      cursor = (cursor as unknown as Invocable)[step.method](...decodeArguments(step.args)) as MongoCursor;
    }
    return encodeResult(await cursor.toArray());
  }
  if (!PROMISES.has(call.method)) throw new Error(`collection.${call.method} is not a function`);
  return encodeResult(await collection[call.method](...args));
}
