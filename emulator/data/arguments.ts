/**
 * Checking a data-service call's arguments (host-realm values by now, see wire.ts): every bad
 * argument is refused with a message that names it and says what would be accepted.
 */
import type { PipelineStage } from "mingo/updater";
import { MAX_NESTING, describeValue, fromCaller, isPlainObject, type Document } from "./wire";

/** `{ field: 1 | -1 }`, applied in key order. */
export type SortSpec = Record<string, 1 | -1>;


export function asFilter(value: unknown, what: string): Document {
  if (value === undefined || value === null) return {};
  if (!isPlainObject(value)) throw new Error(`the ${what} must be an object`);
  return value;
}

export function asOptionalDocument(value: unknown, what: string): Document | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) throw new Error(`the ${what} must be an object`);
  return value;
}

export function asSort(value: unknown, what: string): SortSpec | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) throw new Error(`${what} must be an object like { field: 1 | -1 }`);
  for (const [field, direction] of Object.entries(value)) {
    if (direction !== 1 && direction !== -1) {
      throw new Error(`${what} for "${field}" must be 1 or -1 (got ${describeValue(direction)})`);
    }
  }
  return Object.keys(value).length > 0 ? (value as SortSpec) : undefined;
}

/** An update is either a document of update operators or an aggregation pipeline (MongoDB 4.2+). */
export type ParsedUpdate = Document | PipelineStage[];

export function asUpdate(value: unknown): ParsedUpdate {
  if (Array.isArray(value)) {
    if (value.length === 0 || !value.every(isPlainObject)) {
      throw new Error("an update pipeline must be a non-empty array of stage objects");
    }
    return value as PipelineStage[];
  }
  if (!isPlainObject(value) || Object.keys(value).length === 0) {
    throw new Error("the update must be a non-empty object of update operators, like { $set: { ... } }");
  }
  const plainField = Object.keys(value).find((key) => !key.startsWith("$"));
  if (plainField !== undefined) {
    throw new Error(
      `the update may contain only update operators, found field "${plainField}" (to replace a whole document use findOneAndReplace or a replaceOne bulk operation)`,
    );
  }
  return value;
}

export function asReplacement(value: unknown): Document {
  if (!isPlainObject(value)) throw new Error("the replacement must be an object");
  const operator = Object.keys(value).find((key) => key.startsWith("$"));
  if (operator !== undefined) {
    throw new Error(`the replacement must not contain update operators (found "${operator}"); use an update method`);
  }
  return value;
}

export function asNewDocument(value: unknown, what: string): Document {
  if (!isPlainObject(value)) throw new Error(`${what} must be an object`);
  return value;
}

export function asArrayFilters(value: unknown): Document[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every(isPlainObject)) throw new Error("options.arrayFilters must be an array of objects");
  return value;
}

export function asBoolean(value: unknown, what: string): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== "boolean") throw new Error(`${what} must be a boolean`);
  return value;
}

/** Options the caller passed, after checking that every one of them is supported. */
export function checkOptions(value: unknown, supported: readonly string[]): Document {
  if (value === undefined || value === null) return {};
  if (!isPlainObject(value)) throw new Error("options must be an object");
  for (const key of Object.keys(value)) {
    if (key === "session") throw new Error("transactions (options.session) are not supported by the emulator");
    if (!supported.includes(key)) {
      throw new Error(`option "${key}" is not supported (supported: ${supported.join(", ") || "none"})`);
    }
  }
  return value;
}

export function checkCount(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isInteger(value)) throw new Error(`${what} must be an integer`);
  return value;
}

/** Stages that write to other collections: mingo would write into a copy, so they would silently do nothing. */
const UNSUPPORTED_STAGES = ["$out", "$merge"];

export function asPipeline(value: unknown): Document[] {
  if (!Array.isArray(value) || !value.every(isPlainObject)) throw new Error("the pipeline must be an array of stage objects");
  value.forEach((stage: Document, index) => {
    const keys = Object.keys(stage);
    if (keys.length !== 1) throw new Error(`pipeline[${index}] must have exactly one stage operator`);
    if (UNSUPPORTED_STAGES.includes(keys[0])) throw new Error(`stage ${keys[0]} is not supported by the emulator`);
  });
  return value;
}

/** Runs `fn` now and returns a thunk that replays its value or its error later. */
export function settle<A>(fn: () => A): () => A {
  try {
    const value = fn();
    return () => value;
  } catch (error) {
    return () => {
      throw error;
    };
  }
}

/**
 * `{ owner: user.id }` with `user.id` undefined would travel as null (matching every document with no
 * owner) or be dropped (matching every document): either way a delete or update would hit far more
 * than meant. The emulator refuses it; pass null explicitly to match null or missing fields.
 */
function assertNoUndefined(value: unknown, path: string, depth = 0): void {
  if (value === null || typeof value !== "object" || "_bsontype" in value || depth > MAX_NESTING) return;
  for (const [key, child] of Object.entries(value)) {
    if (child === undefined) {
      throw new Error(`invalid filter: ${path}.${key} is undefined (pass null to match null or missing fields)`);
    }
    assertNoUndefined(child, `${path}.${key}`, depth + 1);
  }
}

/** The same check for the filters inside raw bulkWrite operations. */
export function assertBulkFiltersDefined(operations: unknown): void {
  if (!Array.isArray(operations)) return;
  operations.forEach((op: unknown, index) => {
    if (op === null || typeof op !== "object") return;
    for (const [kind, body] of Object.entries(op)) {
      if (body !== null && typeof body === "object" && "filter" in body) {
        assertNoUndefined(body.filter, `operations[${index}].${kind}.filter`);
      }
    }
  });
}

/** A filter that must be given: `deleteMany()` with no filter is far more likely a bug than a wish to empty the collection. */
export function requiredFilter(value: unknown): Document {
  assertNoUndefined(value, "filter");
  const filter = fromCaller(value, "filter");
  if (filter === undefined || filter === null) throw new Error("a filter is required (pass {} to match every document)");
  return asFilter(filter, "filter");
}

export function optionalFilter(value: unknown): Document {
  assertNoUndefined(value, "filter");
  return asFilter(fromCaller(value, "filter"), "filter");
}
