/** Database and collection names, checked as MongoDB checks them (shared by the worker-side client and the store). */

const INVALID_DB_NAME = /[/\\. "$\0]/;

export function checkDbName(db: unknown): string {
  if (typeof db !== "string" || db.length === 0 || INVALID_DB_NAME.test(db)) {
    throw new Error(`invalid database name ${JSON.stringify(db)}: it must be a non-empty string without / \\ . " $ or spaces`);
  }
  return db;
}

/** The namespace "db.collection" (collection names may contain dots; database names may not). */
export function checkNames(db: unknown, collection: unknown): string {
  checkDbName(db);
  if (typeof collection !== "string" || collection.length === 0 || /[$\0]/.test(collection)) {
    throw new Error(`invalid collection name ${JSON.stringify(collection)}: it must be a non-empty string without $`);
  }
  return `${db}.${collection}`;
}
