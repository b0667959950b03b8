/**
 * The cleanup plan: which documents belong to a user and what to do with them when the account goes.
 * Read from the value `userDataCleanup`, validated in full before anything is touched.
 */

export interface DeleteRule {
  database: string;
  collection: string;
  /** Dotted path of the field that holds the owner's user id, as a string or an ObjectId. */
  ownerField: string;
  action: "delete";
}

export interface AnonymizeRule {
  database: string;
  collection: string;
  ownerField: string;
  action: "anonymize";
  /** Fields to replace, with their replacement values. */
  set: Record<string, unknown>;
  /** Fields to remove. The owner field is always removed unless `set` replaces it. */
  unset: string[];
}

export type CleanupRule = DeleteRule | AnonymizeRule;

const COMMON_KEYS = ["database", "collection", "ownerField", "action"];
const ANONYMIZE_KEYS = [...COMMON_KEYS, "set", "unset"];

/** A short name for a rule in messages and receipts: "app.posts by author.id". */
export function describeRule(rule: CleanupRule): string {
  return `${rule.database}.${rule.collection} by ${rule.ownerField}`;
}

/**
 * Validates the raw value and returns the rules, or the list of problems (each naming the rule).
 * An absent, null or empty plan means no cleanup.
 */
export function parseCleanupPlan(raw: unknown): { rules: CleanupRule[]; problems: string[] } {
  if (raw === undefined || raw === null) return { rules: [], problems: [] };
  if (!Array.isArray(raw)) {
    return { rules: [], problems: [`userDataCleanup must be a JSON array of rules, got ${typeName(raw)}.`] };
  }
  const rules: CleanupRule[] = [];
  const problems: string[] = [];
  raw.forEach((entry: unknown, index: number) => {
    const label = `userDataCleanup[${index}]`;
    const result = parseRule(entry);
    if (typeof result === "string") problems.push(`${label}: ${result}`);
    else rules.push(result);
  });
  const seen = new Set<string>();
  for (const rule of rules) {
    const key = `${rule.database}.${rule.collection}|${rule.ownerField}`;
    if (seen.has(key)) problems.push(`userDataCleanup: two rules cover ${describeRule(rule)}; keep one.`);
    seen.add(key);
  }
  return { rules, problems };
}

function parseRule(entry: unknown): CleanupRule | string {
  if (!isPlainObject(entry)) return `must be an object like { "database", "collection", "ownerField", "action" }, got ${typeName(entry)}.`;
  const { database, collection, ownerField, action } = entry;
  // Unknown keys first: a misspelled "owner_field" should be named as such, not as a missing ownerField.
  const allowed = action === "delete" ? COMMON_KEYS : ANONYMIZE_KEYS;
  const unknown = Object.keys(entry).filter((k) => !allowed.includes(k));
  if (unknown.length) {
    return `unknown key${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => JSON.stringify(k)).join(", ")}${action === "delete" ? ' for action "delete"' : ""}; allowed: ${allowed.join(", ")}.`;
  }
  if (!isName(database)) return `"database" must be a non-empty string without ${REFUSED_IN_NAMES}, or ".".`;
  if (!isName(collection, true) || String(collection).startsWith("system.")) {
    return `"collection" must be a non-empty string without ${REFUSED_IN_NAMES}, that does not start with "system.".`;
  }
  const ownerProblem = fieldPathProblem(ownerField, "ownerField", true);
  if (ownerProblem) return `(${database}.${collection}) ${ownerProblem}`;
  const where = `(${database}.${collection})`;
  if (action !== "delete" && action !== "anonymize") {
    return `${where} "action" must be "delete" or "anonymize", got ${JSON.stringify(action)}.`;
  }
  if (action === "delete") return { database, collection: collection as string, ownerField: ownerField as string, action };
  return parseAnonymize(where, database, collection as string, ownerField as string, entry.set, entry.unset);
}

function parseAnonymize(
  where: string,
  database: string,
  collection: string,
  ownerField: string,
  rawSet: unknown,
  rawUnset: unknown,
): AnonymizeRule | string {
  if (ownerField === "_id" || ownerField.startsWith("_id.")) {
    return `${where} an "anonymize" rule cannot use "_id" as the owner field, because _id cannot be removed; use "delete", or name the field that holds the owner id.`;
  }
  const set = rawSet === undefined ? {} : rawSet;
  const unset = rawUnset === undefined ? [] : rawUnset;
  if (!isPlainObject(set)) return `${where} "set" must be an object of { "field.path": replacement }.`;
  if (!Array.isArray(unset) || !unset.every((f) => typeof f === "string")) return `${where} "unset" must be an array of field paths.`;
  const paths = [...Object.keys(set), ...unset];
  for (const path of paths) {
    const problem = fieldPathProblem(path, "field");
    if (problem) return `${where} ${problem}`;
  }
  for (let i = 0; i < paths.length; i++) {
    for (let j = i + 1; j < paths.length; j++) {
      if (overlaps(paths[i], paths[j])) return `${where} fields ${JSON.stringify(paths[i])} and ${JSON.stringify(paths[j])} overlap; list each field once.`;
    }
  }
  if (paths.length === 0) {
    return `${where} an "anonymize" rule needs "set" or "unset" listing the personal fields to replace or remove (the owner field is always removed).`;
  }
  const ownerCovered = paths.some((p) => overlaps(p, ownerField));
  if (ownerCovered && !hasOwn(set, ownerField)) {
    return `${where} "${ownerField}" is the owner field: it is removed anyway; to keep a placeholder, name it in "set" only.`;
  }
  return { database, collection, ownerField, action: "anonymize", set, unset: unset as string[] };
}

/** True when one path is the other or contains it ("a" and "a.b"). */
function overlaps(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}.`) || b.startsWith(`${a}.`);
}

/**
 * Segments that name an object's prototype machinery rather than a stored field: "__proto__" once
 * passed validation and matched every document (issue 10), so a path holding one is refused.
 */
const RESERVED_SEGMENTS = ["__proto__", "constructor", "prototype"];

/** Why a field path is not a plain dotted path of stored fields, or undefined when it is. */
function fieldPathProblem(path: unknown, label: string, allowId = false): string | undefined {
  if (typeof path !== "string" || path.length === 0) return `${label} must be a non-empty field path such as "owner_id" or "meta.owner".`;
  const segments = path.split(".");
  if (segments.some((part) => part.length === 0 || part.startsWith("$"))) {
    return `${label} ${JSON.stringify(path)} is not a plain field path: no empty segments, no segment starting with "$".`;
  }
  const reserved = segments.find((part) => RESERVED_SEGMENTS.includes(part));
  if (reserved !== undefined) {
    return `${label} ${JSON.stringify(path)} is not a plain field path: the segment ${JSON.stringify(reserved)} is refused (${RESERVED_SEGMENTS.join(", ")} name JavaScript object internals, not stored fields); rename the field.`;
  }
  if (!allowId && (path === "_id" || path.startsWith("_id."))) return `${label} cannot be "_id": documents keep their _id.`;
  return undefined;
}

/** What isName refuses in any name, as the error messages say it. */
const REFUSED_IN_NAMES = '"$", "/", "\\", a double quote or white space';

function isName(value: unknown, allowDots = false): value is string {
  return typeof value === "string" && value.length > 0 && !/[$/\\\s"]/.test(value) && (allowDots || !value.includes("."));
}

/** An own key only: `in` would also find inherited names such as "constructor". */
export function hasOwn(object: Record<string, unknown>, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(object, key);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}
