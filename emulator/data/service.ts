/** The object behind `context.services.get("mongodb-atlas")`, on the emulator's main thread. */
import type { FaultPlan } from "../faults";
import { Collection } from "./collection";
import { checkDbName } from "./names";
import type { DocumentStore } from "./store";
import type { MongoCollection } from "./types";


export interface MongoDbService {
  db(name: string): { collection(name: string): MongoCollection };
}

/** The object behind `context.services.get("mongodb-atlas")`. */
export function createMongoDbService(store: DocumentStore, faults: FaultPlan): MongoDbService {
  return {
    db: (dbName: string) => {
      checkDbName(dbName);
      return { collection: (collectionName: string) => new Collection(store, faults, dbName, collectionName) };
    },
  };
}
