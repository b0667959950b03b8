/**
 * The operation and time budget of one scheduled run. App Services stops an execution at 1000
 * async operations (docs-app-services source/functions.txt, Constraints; emulator/runtime/rules.ts
 * LIMITS.asyncOperations) and 300 s. A run counts what it issues exactly as the runtime does:
 * one per `context.services` data call that returns a promise (a cursor counts once, when its
 * toArray() runs) and one per `context.http` request. The run's code uses only the counted
 * `services` and `http` this module hands out.
 *
 * Planning works by claims: before a step starts, the run claims the most operations it can issue
 * (a page read: 1; a batch cleanup: its rules' operations); a claim is refused once it would cut
 * into the reserve kept for closing the run (saving the resume point, closing the Admin API
 * session, a progress count) or once the time budget is spent. The counted services refuse, with
 * an OperationBudgetError, any operation past the budget itself, so a planning mistake fails the
 * run loudly instead of letting the runtime kill it half-way.
 */
import { OperationBudgetError } from "./errors";
import type { Budget } from "./batch";

type Services = AppServicesContext["services"];
type Database = ReturnType<ReturnType<Services["get"]>["db"]>;

export interface OperationBudget extends Budget {
  /** `context.http`, counted. */
  readonly http: AppServicesHttp;
  /** `context.services`, counted. */
  readonly services: Services;
  /** Operations issued so far. */
  used(): number;
  /** The whole budget. */
  limit(): number;
  /** Claims `n` operations for a step about to start; false (nothing claimed) when the plan or the time is spent. */
  claim(n: number): boolean;
  /** Claims `n` operations of the closing reserve; false when the reserve has too few left. */
  claimReserve(n: number): boolean;
  /** True once the time budget is spent (spent() is also true once no step of one operation can be claimed). */
  outOfTime(): boolean;
}

export interface OperationBudgetOptions {
  operations: number;
  seconds: number;
  /** Operations kept back for closing the run. */
  reserve: number;
  http: AppServicesHttp;
  services: Services;
  now?: () => number;
}

export function operationBudget(options: OperationBudgetOptions): OperationBudget {
  const now = options.now ?? Date.now;
  const deadline = now() + options.seconds * 1000;
  const limit = options.operations;
  const planLimit = limit - options.reserve;
  let used = 0;
  let claimed = 0;
  let reserveClaimed = 0;

  const count = (what: string): void => {
    if (used >= limit) throw new OperationBudgetError(`A scheduled run would exceed its operation budget of ${limit} with ${what}: this is a planning bug; the run stops here and the next one resumes.`);
    used += 1;
  };
  const outOfTime = () => now() >= deadline;

  const budget: OperationBudget = {
    http: countedHttp(options.http, count),
    services: countedServices(options.services, count),
    used: () => used,
    limit: () => limit,
    outOfTime,
    spent: () => outOfTime() || claimed + 1 > planLimit,
    claim(n) {
      if (outOfTime() || claimed + n > planLimit) return false;
      claimed += n;
      return true;
    },
    claimReserve(n) {
      if (reserveClaimed + n > options.reserve) return false;
      reserveClaimed += n;
      return true;
    },
  };
  return budget;
}

function countedHttp(http: AppServicesHttp, count: (what: string) => void): AppServicesHttp {
  // async: a refused operation is a rejection like any other failure, never a synchronous throw.
  const method = (name: keyof AppServicesHttp) => async (request: AppServicesHttpRequest) => {
    count(`an HTTP ${name.toUpperCase()}`);
    return http[name](request);
  };
  return { get: method("get"), post: method("post"), put: method("put"), patch: method("patch"), delete: method("delete") };
}

function countedServices(services: Services, count: (what: string) => void): Services {
  return {
    get(serviceName) {
      const service = services.get(serviceName);
      return { db: (dbName) => countedDatabase(service.db(dbName), count) };
    },
  };
}

function countedDatabase(db: Database, count: (what: string) => void): Database {
  return {
    collection(name) {
      const collection = db.collection(name);
      const call = <A extends unknown[], R>(method: string, run: (...args: A) => Promise<R>) =>
        async (...args: A): Promise<R> => {
          count(`${method} on ${name}`);
          return run(...args);
        };
      return {
        find: (query, projection) => countedCursor(collection.find(query, projection), `find on ${name}`, count),
        aggregate: (pipeline) => countedCursor(collection.aggregate(pipeline), `aggregate on ${name}`, count),
        findOne: call("findOne", (query?: object, projection?: object) => collection.findOne(query, projection)),
        insertOne: call("insertOne", (doc: object) => collection.insertOne(doc)),
        updateOne: call("updateOne", (filter: object, update: object, options?: { upsert?: boolean }) => collection.updateOne(filter, update, options)),
        updateMany: call("updateMany", (filter: object, update: object, options?: { upsert?: boolean; arrayFilters?: object[] }) =>
          collection.updateMany(filter, update, options),
        ),
        deleteOne: call("deleteOne", (filter: object) => collection.deleteOne(filter)),
        deleteMany: call("deleteMany", (filter: object) => collection.deleteMany(filter)),
      };
    },
  };
}

/** A cursor is built without a request; its toArray() is the one operation. */
function countedCursor<T>(cursor: AppServicesCursor<T>, what: string, count: (what: string) => void): AppServicesCursor<T> {
  return {
    async toArray() {
      count(what);
      return cursor.toArray();
    },
    sort: (spec) => countedCursor(cursor.sort(spec), what, count),
    limit: (n) => countedCursor(cursor.limit(n), what, count),
    skip: (n) => countedCursor(cursor.skip(n), what, count),
  };
}
