/**
 * Values crossing between the emulator's main thread and a function's worker, as canonical EJSON
 * text: ObjectId, Date, Binary, Long and the other BSON types survive, and neither side ever holds
 * a reference into the other's objects.
 *
 * Arguments keep what EJSON would silently change, so the data service's own checks still see
 * them: `undefined` (EJSON writes null, and `{ owner: undefined }` must be refused, not become a
 * filter on null), functions (dropped by EJSON: `{ $where: fn }` would become `{}`), circular and
 * too deeply nested values (on which EJSON throws without saying where).
 */
import { EJSON } from "bson";
import { MAX_NESTING, isPlainObject, parseCanonicalEjson } from "../data/wire";

const UNDEFINED = "$emulatorUndefined";
const FUNCTION = "$emulatorFunction";
const CIRCULAR = "$emulatorCircular";
const TOO_DEEP = "$emulatorTooDeep";

/** Arguments of a call, for the other thread. */
export function encodeArguments(values: readonly unknown[]): string {
  return EJSON.stringify(mark(values, new Set(), 0), { relaxed: false });
}

/** Arguments as host-realm values of this thread, with the marks turned back into what they stood for. */
export function decodeArguments(text: string): unknown[] {
  const values = restore(decode(text));
  if (!Array.isArray(values)) throw new Error("malformed arguments: expected an array");
  return values;
}

/** A result (of a function or a data call); `undefined` travels as no text at all. */
export function encodeResult(value: unknown): string | undefined {
  return value === undefined ? undefined : EJSON.stringify(value, { relaxed: false });
}

export function decodeResult(text: string | undefined): unknown {
  return text === undefined ? undefined : decode(text);
}

const decode = parseCanonicalEjson;

/** A leaf EJSON serializes itself: BSON values, binary data, and Dates and RegExps from any realm. */
function isLeaf(value: object): boolean {
  if ("_bsontype" in value || ArrayBuffer.isView(value)) return true;
  const tag = Object.prototype.toString.call(value);
  return tag === "[object Date]" || tag === "[object RegExp]";
}

function mark(value: unknown, ancestors: Set<object>, depth: number): unknown {
  if (value === undefined) return { [UNDEFINED]: true };
  if (typeof value === "function") return { [FUNCTION]: true };
  if (value === null || typeof value !== "object" || isLeaf(value)) return value;
  if (ancestors.has(value)) return { [CIRCULAR]: true };
  if (depth > MAX_NESTING) return { [TOO_DEEP]: true };
  ancestors.add(value);
  const copy = Array.isArray(value)
    ? value.map((item) => mark(item, ancestors, depth + 1))
    : Object.fromEntries(Object.entries(value).map(([key, item]) => [key, mark(item, ancestors, depth + 1)]));
  ancestors.delete(value);
  return copy;
}

function restore(value: unknown): unknown {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = restore(value[i]);
    return value;
  }
  if (!isPlainObject(value)) return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && value[keys[0]] === true) {
    switch (keys[0]) {
      case UNDEFINED:
        return undefined;
      case FUNCTION:
        return function unsendable() {};
      case CIRCULAR: {
        const loop: Record<string, unknown> = {};
        loop["(circular)"] = loop;
        return loop;
      }
      case TOO_DEEP:
        return nestedChain(MAX_NESTING + 1);
    }
  }
  for (const key of keys) value[key] = restore(value[key]);
  return value;
}

function nestedChain(levels: number): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  let node = root;
  for (let i = 0; i < levels; i++) node = node.nested = {} as Record<string, unknown>;
  return root;
}
