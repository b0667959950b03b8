/**
 * A user's data, as the cleanup plan sees it, in pages: per rule, the documents the user owns
 * alone (whole) and the shared ones reduced to their `_id` and the user's own entries, so nobody
 * else's data ever leaves. Reads only, with the same shapes the deletion writes with.
 */
import { ownedDocumentQueries, ownerIdForms, type SharedQuery } from "./cleanupOperations";
import { describeRule, isPlainObject, type CleanupRule } from "./cleanupPlan";
import type { SharedConfig } from "./config";
import { InvalidArgumentError } from "./errors";
import { formatCursor, parseCursor, type ExportPosition } from "./exportCursor";
import { logs } from "./logs";
import type { DataSource } from "./cleanup";

/**
 * A page stops growing at 4 MiB of canonical EJSON, well under the 18 MB a request may carry
 * (docs-app-services source/functions.txt, Constraints; LIMITS.requestBytes in emulator/runtime/rules.ts).
 * One document larger than that still makes a page of its own.
 */
export const PAGE_BYTES = 4 * 1024 * 1024;
/** Documents per read. */
const BATCH = 100;
/** Reads per page, far below the 1000 async operations a call may make. */
const MAX_READS = 40;

type Doc = Record<string, unknown>;

export interface ExportGroup {
  rule: string;
  action: CleanupRule["action"];
  /** Documents the user owns alone, whole. */
  owned: Doc[];
  /** Shared documents: `_id` and the user's own entries only. */
  shared: Doc[];
}

export interface ExportPage {
  userId: string;
  rules: ExportGroup[];
  /** Pass as `after` for the next page; null on the last page. */
  next: string | null;
}

export async function exportPage(fn: string, config: SharedConfig, userId: string, after: unknown): Promise<ExportPage> {
  const rules = config.cleanupRules;
  let at: ExportPosition = parseCursor(fn, after, rules.length);
  const data = context.services.get(config.dataSourceName);
  const groups: ExportGroup[] = [];
  const budget = { bytes: 0, documents: 0, reads: 0 };
  if (at.rule < rules.length && at.part > ownedDocumentQueries(rules[at.rule], userId).shared.length) {
    throw new InvalidArgumentError(`${fn}: "after" names a part that rule ${describeRule(rules[at.rule])} does not have; the plan may have changed since that page. Start again without "after". Nothing was changed.`);
  }
  while (at.rule < rules.length && budget.reads < MAX_READS) {
    const rule = rules[at.rule];
    const queries = ownedDocumentQueries(rule, userId);
    const step = await readPart(data, rule, queries, at, userId, groupFor(groups, rule), budget);
    at = step.done ? nextPart(at, queries.shared.length) : { ...at, skip: step.skip };
    if (step.full) break;
  }
  const next = at.rule < rules.length ? formatCursor(at) : null;
  logs.dataExported(fn, userId, budget.documents, budget.bytes, next !== null);
  return { userId, rules: groups.filter((g) => g.owned.length + g.shared.length > 0), next };
}

function nextPart(at: ExportPosition, sharedParts: number): ExportPosition {
  return at.part < sharedParts ? { rule: at.rule, part: at.part + 1, skip: 0 } : { rule: at.rule + 1, part: 0, skip: 0 };
}

function groupFor(groups: ExportGroup[], rule: CleanupRule): ExportGroup {
  const name = describeRule(rule);
  const last = groups[groups.length - 1];
  if (last && last.rule === name) return last;
  const group: ExportGroup = { rule: name, action: rule.action, owned: [], shared: [] };
  groups.push(group);
  return group;
}

/**
 * One read of one part: adds what fits into the page's budget to the group. `full` when the page
 * is full (the position then stays at the first document left out), `done` when the part is exhausted.
 */
async function readPart(
  data: DataSource,
  rule: CleanupRule,
  queries: ReturnType<typeof ownedDocumentQueries>,
  at: ExportPosition,
  userId: string,
  group: ExportGroup,
  budget: { bytes: number; documents: number; reads: number },
): Promise<{ full: boolean; done: boolean; skip: number }> {
  const collection = data.db(rule.database).collection(rule.collection);
  const shared = at.part === 0 ? undefined : queries.shared[at.part - 1];
  const filter = shared ? shared.filter : queries.alone;
  // A shared document is read with its _id and the array holding the entries only.
  const projection = shared ? { [shared.arrayPath === undefined ? shared.innerPath : shared.arrayPath]: 1 } : undefined;
  budget.reads += 1;
  const batch = await collection.find(filter, projection).sort({ _id: 1 }).skip(at.skip).limit(BATCH).toArray();
  let skip = at.skip;
  for (const doc of batch) {
    const entry = shared ? ownEntriesOnly(doc, shared, userId) : doc;
    const size = utf8Length(EJSON.stringify(entry, { relaxed: false }));
    if (budget.documents > 0 && budget.bytes + size > PAGE_BYTES) return { full: true, done: false, skip };
    (shared ? group.shared : group.owned).push(entry);
    budget.bytes += size;
    budget.documents += 1;
    skip += 1;
  }
  return { full: false, done: batch.length < BATCH, skip };
}

/** `{ _id, participants: [{ id: A, ... }] }`: the array at the shape's path keeps the user's own entries, nothing else. */
export function ownEntriesOnly(doc: Doc, query: SharedQuery, userId: string): Doc {
  const isOwn = ownIdTest(userId);
  const arrayField = query.arrayPath === undefined ? query.innerPath : query.arrayPath;
  const array = valueAt(doc, arrayField);
  const own = Array.isArray(array)
    ? array.filter((entry) => (query.arrayPath === undefined ? isOwn(entry) : isPlainObject(entry) && isOwn(valueAt(entry, query.innerPath))))
    : [];
  const result: Doc = { _id: doc._id };
  setAt(result, arrayField, own);
  return result;
}

/** True for the user's id as a string or as an ObjectId, the forms a rule matches (ownerIdForms). */
function ownIdTest(userId: string): (value: unknown) => boolean {
  const hexForms = ownerIdForms([userId])
    .filter((form) => typeof form !== "string")
    .map((form) => (form as { toHexString(): string }).toHexString());
  return (value) => {
    if (typeof value === "string") return value === userId;
    if (typeof value !== "object" || value === null) return false;
    const hex = (value as { toHexString?: unknown }).toHexString;
    return typeof hex === "function" && hexForms.indexOf(String(hex.call(value))) >= 0;
  };
}

function valueAt(doc: unknown, path: string): unknown {
  let value = doc;
  for (const segment of path.split(".")) {
    if (!isPlainObject(value)) return undefined;
    value = value[segment];
  }
  return value;
}

function setAt(doc: Doc, path: string, value: unknown): void {
  const segments = path.split(".");
  let target = doc;
  for (const segment of segments.slice(0, -1)) {
    const inner: Doc = {};
    target[segment] = inner;
    target = inner;
  }
  target[segments[segments.length - 1]] = value;
}

/** UTF-8 bytes of a string (no TextEncoder in the function runtime). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff) {
      bytes += 4;
      i += 1;
    } else bytes += 3;
  }
  return bytes;
}
