/**
 * Values crossing into and out of the data service the way the wire carries them: through
 * canonical EJSON. Callers hand in values from any realm (a function's vm context, a worker's
 * decoded message); the store only ever holds fresh host-realm copies.
 */
import { messageOf } from "../../lib/errors";
import { BSONRegExp, Double, EJSON, Int32, Long, ObjectId } from "bson";

export type Document = Record<string, unknown>;

/** MongoDB rejects documents nested deeper than this; it also catches circular arguments. */
export const MAX_NESTING = 100;

export function describeValue(value: unknown): string {
  if (value instanceof ObjectId) return `ObjectId('${value.toHexString()}')`;
  return EJSON.stringify(value, { relaxed: true });
}


/**
 * Copies a value from any realm into fresh host-realm values the way the wire does: through
 * canonical EJSON. Afterwards mingo's checks work (it compares `constructor`s and uses
 * `instanceof Date`, both of which fail across realms), and the caller keeps no reference into the store.
 *
 * `EJSON.deserialize` with `relaxed: false` yields Int32/Double/Long wrappers and BSONRegExp, which
 * mingo would compare as opaque objects; `relaxed: true` would unwrap them but silently round
 * int64 values beyond 2^53. So: deserialize canonically, then unwrap what is safe to unwrap.
 */
function viaWire(value: unknown): unknown {
  return parseCanonicalEjson(EJSON.stringify(value, { relaxed: false }));
}

/**
 * Canonical EJSON text to fresh plain values: Int32/Double as numbers, int64 as a number when
 * exact (else kept as Long), BSON regular expressions as RegExp where JavaScript can run them.
 * Every way in (a caller's argument, a value from the other thread, the state file) goes through here.
 */
export function parseCanonicalEjson(text: string): unknown {
  return unwrapBsonValues(EJSON.parse(text, { relaxed: false }));
}

/** Turns freshly deserialized wrappers into plain JS values, in place (the input is a private copy). */
function unwrapBsonValues(value: unknown): unknown {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = unwrapBsonValues(value[i]);
    return value;
  }
  if (value === null || typeof value !== "object") return value;
  if (value instanceof Int32 || value instanceof Double) return value.valueOf();
  if (value instanceof Long) {
    const asNumber = value.toNumber();
    return Number.isSafeInteger(asNumber) ? asNumber : value; // keep exact int64 values exact
  }
  if (value instanceof BSONRegExp) return toNativeRegExp(value);
  if (isPlainObject(value)) {
    for (const key of Object.keys(value)) value[key] = unwrapBsonValues(value[key]);
  }
  return value;
}

/** `/x/i` and `{ $regex: "x", $options: "i" }` both arrive as BSONRegExp; mingo understands only RegExp. */
function toNativeRegExp(regex: BSONRegExp): RegExp | BSONRegExp {
  if (!/^[imsu]*$/.test(regex.options)) return regex; // PCRE-only flags (x, l): keep the BSON value
  try {
    return new RegExp(regex.pattern, regex.options);
  } catch {
    return regex; // a PCRE pattern JavaScript cannot compile
  }
}

export function isPlainObject(value: unknown): value is Document {
  if (value === null || typeof value !== "object") return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Rejects what the wire would silently drop or choke on. A function would vanish in EJSON, which
 * turns `{ $where: fn }` into `{}`, a filter that matches every document.
 */
function assertSendable(value: unknown, path: string, ancestors: Set<object>): void {
  if (typeof value === "function") throw new Error(`a function (at ${path}) cannot be sent to the data service`);
  if (value === null || typeof value !== "object") return;
  if ("_bsontype" in value || ArrayBuffer.isView(value)) return; // BSON values and binary data are leaves
  if (ancestors.has(value)) throw new Error(`circular reference at ${path}`);
  if (ancestors.size >= MAX_NESTING) throw new Error(`nesting deeper than ${MAX_NESTING} levels at ${path}`);
  ancestors.add(value);
  for (const [key, child] of Object.entries(value)) assertSendable(child, `${path}.${key}`, ancestors);
  ancestors.delete(value);
}

/** An argument from the caller (any realm), as host-realm values. `what` names it in errors. */
export function fromCaller(value: unknown, what: string): unknown {
  try {
    assertSendable(value, what, new Set());
    return viaWire(value);
  } catch (error) {
    throw new Error(`invalid ${what}: ${messageOf(error)}`);
  }
}

/** A deep copy of a stored value: what callers get, so they never hold a reference into the store. */
export function copyOf<T>(value: T): T {
  return viaWire(value) as T;
}

/** MongoDB's identity for `_id` values: same BSON type and value (so "abc…" never equals ObjectId("abc…")). */
export function idKey(id: unknown): string {
  return EJSON.stringify(id, { relaxed: false });
}
