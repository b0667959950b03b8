/**
 * `context.services.get(<data source>)` inside a worker: a client that describes each call and
 * sends it to the main thread, where the document store, the fault plan and persistence live.
 * Names are checked at once, as the real client does; arguments are snapshotted (encoded) when
 * the call is made; a cursor collects its modifiers and runs as one call on its first read.
 */
import { checkDbName, checkNames } from "../../data/names";
import { CURSOR_METHODS, CURSOR_MODIFIERS, PROMISE_METHODS, type DataCall } from "../protocol";
import { encodeArguments } from "../values";

/** How the client reaches the execution it belongs to. */
export interface DataChannel {
  /** Counts one async operation; throws once the execution has ended or used up its operations. */
  count(what: string): void;
  /** Runs one call on the main thread. */
  send(call: DataCall): Promise<unknown>;
}


export function dataServiceClient(channel: DataChannel) {
  return {
    db(dbName: string) {
      checkDbName(dbName);
      return {
        collection(collectionName: string) {
          checkNames(dbName, collectionName);
          return collectionClient(dbName, collectionName, channel);
        },
      };
    },
  };
}

/** Runs `start` as an async operation: whatever it throws (the limit, an argument EJSON cannot carry) is the rejection. */
function operation<T>(start: () => Promise<T>): Promise<T> {
  try {
    return start();
  } catch (error) {
    return Promise.reject(error);
  }
}

function collectionClient(db: string, collection: string, channel: DataChannel): Record<string, unknown> {
  const client: Record<string, unknown> = {};
  for (const method of PROMISE_METHODS) {
    client[method] = (...args: unknown[]) =>
      operation(() => {
        channel.count(`context.services ${method} on ${db}.${collection}`);
        return channel.send({ db, collection, method, args: encodeArguments(args) });
      });
  }
  for (const method of CURSOR_METHODS) {
    client[method] = (...args: unknown[]) => cursorClient({ db, collection, method, args: encodeArguments(args), cursor: [] }, channel);
  }
  return client;
}

/** A cursor: modifiers are recorded until the first next()/toArray(), which fetches every result at once. */
function cursorClient(call: DataCall & { cursor: NonNullable<DataCall["cursor"]> }, channel: DataChannel) {
  let fetched: Promise<unknown[]> | undefined;
  // Every read is an async operation of its own, even one served from what was already fetched.
  const read = <T>(name: string, take: (docs: unknown[]) => T): Promise<T> =>
    operation(() => {
      channel.count(`context.services ${call.method}().${name} on ${call.db}.${call.collection}`);
      fetched ??= channel.send(call) as Promise<unknown[]>;
      return fetched.then(take);
    });
  const cursor: Record<string, unknown> = {
    next: () => read("next", (docs) => docs.shift()),
    toArray: () => read("toArray", (docs) => docs.splice(0)),
  };
  for (const modifier of CURSOR_MODIFIERS) {
    cursor[modifier] = (...args: unknown[]) => {
      if (fetched) throw new Error(`${call.method}().${modifier} on ${call.db}.${call.collection}: cannot be called after the cursor has started returning documents`);
      call.cursor.push({ method: modifier, args: encodeArguments(args) });
      return cursor;
    };
  }
  return cursor;
}
