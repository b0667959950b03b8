/**
 * The owners the cleanup plan's collections mention, as one stream of distinct lowercase hex ids in
 * ascending order, read page by page: each rule keeps at most one page of ids in memory, whatever
 * the number of owners. A page is one aggregate per rule: owner ids after the resume point, stored
 * as lower-case hex strings or ObjectIds (the forms the cleanup matches: cleanupOperations.ts
 * ownerIdForms), through arrays of ids or of subdocuments. Strings and
 * ObjectIds are paged side by side ($facet), because MongoDB orders them apart (by BSON type); the
 * page is trusted only up to the smaller last id of a full side, and the next page starts there.
 */
import type { CleanupRule } from "./cleanupPlan";
import type { DataSource } from "./cleanup";
import { HEX_ID_PATTERN, ZERO_ID } from "./ids";
import type { OperationBudget } from "./operationBudget";

/** Owner ids per rule per page: memory stays at this many ids per rule (about 100 KB), and a page costs one operation. */
export const OWNER_PAGE_SIZE = 2000;


export type Peeked =
  /** The smallest owner not yet taken; `readAt` is the number of owner pages read when it was seen. */
  | { kind: "owner"; id: string; readAt: number }
  | { kind: "end" }
  | { kind: "outOfBudget" };

export interface OwnerStream {
  peek(): Promise<Peeked>;
  /** Moves past the owner peek() returned. */
  take(): void;
  /** Owner pages read so far (a clock for "was this owner read before that user page?"). */
  pagesRead(): number;
  /** Up to `n` distinct owners already in memory, from the one peek() returned on, ascending; reads nothing. */
  upcoming(n: number): string[];
}

interface RuleCursor {
  rule: CleanupRule;
  ids: string[];
  /** The page number each id in `ids` came from. */
  readAt: number;
  /** The next page starts after this id; undefined once the rule has no more. */
  next: string | undefined;
}

export function ownerStream(data: DataSource, rules: CleanupRule[], after: string | undefined, budget: OperationBudget): OwnerStream {
  const cursors: RuleCursor[] = rules.map((rule) => ({ rule, ids: [], readAt: 0, next: after ?? ZERO_ID }));
  let pages = 0;
  let head: string | undefined;

  async function refill(cursor: RuleCursor): Promise<void> {
    const page = await readOwnerPage(data, cursor.rule, cursor.next as string, OWNER_PAGE_SIZE);
    pages += 1;
    cursor.ids = page.ids;
    cursor.readAt = pages;
    cursor.next = page.bound;
  }

  return {
    pagesRead: () => pages,
    async peek() {
      const empty = cursors.filter((c) => c.ids.length === 0 && c.next !== undefined);
      for (let i = 0; i < empty.length; i++) if (!budget.claim(1)) return { kind: "outOfBudget" };
      await Promise.all(empty.map(refill));
      // A refilled page can come back empty only when the rule has no more owners (refill moved `next` on).
      const again = cursors.filter((c) => c.ids.length === 0 && c.next !== undefined);
      if (again.length > 0) return this.peek();
      let id: string | undefined;
      let readAt = 0;
      for (const c of cursors) {
        if (c.ids.length === 0) continue;
        if (id === undefined || c.ids[0] < id) {
          id = c.ids[0];
          readAt = c.readAt;
        } else if (c.ids[0] === id && c.readAt > readAt) readAt = c.readAt;
      }
      head = id;
      return id === undefined ? { kind: "end" } : { kind: "owner", id, readAt };
    },
    take() {
      for (const c of cursors) if (c.ids.length > 0 && c.ids[0] === head) c.ids.shift();
    },
    upcoming(n) {
      return mergeUpcoming(cursors.map((c) => c.ids), n);
    },
  };
}

/** The first `n` distinct ids of ascending lists, merged. */
function mergeUpcoming(lists: string[][], n: number): string[] {
  const at = lists.map(() => 0);
  const out: string[] = [];
  while (out.length < n) {
    let smallest: string | undefined;
    for (let i = 0; i < lists.length; i++) {
      const id = lists[i][at[i]];
      if (id !== undefined && (smallest === undefined || id < smallest)) smallest = id;
    }
    if (smallest === undefined) break;
    out.push(smallest);
    for (let i = 0; i < lists.length; i++) if (lists[i][at[i]] === smallest) at[i] += 1;
  }
  return out;
}

/** One rule's next owner ids after `after`, ascending, and where the next page starts (undefined: no more). */
async function readOwnerPage(data: DataSource, rule: CleanupRule, after: string, pageSize: number): Promise<{ ids: string[]; bound: string | undefined }> {
  const collection = data.db(rule.database).collection(rule.collection);
  const [facets] = await collection.aggregate(ownerPagePipeline(rule.ownerField, after, pageSize)).toArray();
  const strings = idsOf((facets?.strings ?? []) as unknown[]);
  const objectIds = idsOf((facets?.objectIds ?? []) as unknown[]);
  // A full side may have more beyond its last id: the page is complete only up to there.
  let bound: string | undefined;
  if (strings.length === pageSize) bound = strings[strings.length - 1];
  if (objectIds.length === pageSize && (bound === undefined || objectIds[objectIds.length - 1] < bound)) bound = objectIds[objectIds.length - 1];
  const merged = mergeDistinct(strings, objectIds).filter((id) => bound === undefined || id <= bound);
  return { ids: merged, bound };
}

/**
 * The first $match only narrows the scan (an index on the owner field serves it). Only lower-case
 * hex strings are listed: the cleanup matches an owner string exactly, so an upper-case one listed
 * here would be reported orphaned every run and never cleaned. Arrays are unwound one level (an owner field holding
 * ids, or running through an array of subdocuments); deeper nesting is not a supported shape.
 */
export function ownerPagePipeline(ownerField: string, after: string, limit: number): object[] {
  const afterObjectId = new BSON.ObjectId(after);
  return [
    { $match: { $or: [{ [ownerField]: { $gt: after } }, { [ownerField]: { $gt: afterObjectId } }] } },
    { $project: { _id: 0, owner: `$${ownerField}` } },
    { $unwind: "$owner" },
    {
      $facet: {
        strings: [
          { $match: { owner: { $type: "string" } } },
          // Two stages, not one { $gt, $regex }: EJSON reads an object holding $regex as a legacy
          // regular expression, and the $gt in it is lost.
          { $match: { owner: { $gt: after } } },
          { $match: { owner: { $regex: HEX_ID_PATTERN } } },
          { $group: { _id: "$owner" } },
          { $sort: { _id: 1 } },
          { $limit: limit },
        ],
        // $gt with an ObjectId matches ObjectIds only (MongoDB compares within one BSON type).
        objectIds: [{ $match: { owner: { $gt: afterObjectId } } }, { $group: { _id: "$owner" } }, { $sort: { _id: 1 } }, { $limit: limit }],
      },
    },
  ];
}

function idsOf(groups: unknown[]): string[] {
  const ids: string[] = [];
  for (const group of groups) {
    const id = (group as { _id?: unknown } | null)?._id;
    if (typeof id === "string") ids.push(id);
    else if (isObjectId(id)) ids.push(id.toHexString().toLowerCase());
  }
  return ids;
}

/** Duck-typed: an ObjectId from another realm or bson copy fails instanceof. */
function isObjectId(value: unknown): value is { toHexString(): string } {
  return typeof value === "object" && value !== null && (value as { _bsontype?: unknown })._bsontype === "ObjectId";
}

function mergeDistinct(a: string[], b: string[]): string[] {
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const next = j >= b.length || (i < a.length && a[i] <= b[j]) ? a[i++] : b[j++];
    if (out.length === 0 || out[out.length - 1] !== next) out.push(next);
  }
  return out;
}

/**
 * How many distinct owners one rule still has after `after` (ids stored both as a string and an
 * ObjectId count twice): for a run's progress line.
 */
export async function countOwnersAfter(data: DataSource, rule: CleanupRule, after: string): Promise<number> {
  const pipeline = ownerPagePipeline(rule.ownerField, after, 1) as Array<{ $facet?: Record<string, object[]> }>;
  const facet = pipeline[pipeline.length - 1].$facet as Record<string, object[]>;
  // Same stages, the $limit replaced by a $count.
  const counted = { strings: [...facet.strings.slice(0, -2), { $count: "n" }], objectIds: [...facet.objectIds.slice(0, -2), { $count: "n" }] };
  const [facets] = await data.db(rule.database).collection(rule.collection).aggregate([...pipeline.slice(0, -1), { $facet: counted }]).toArray();
  const n = (side: unknown) => ((side as Array<{ n?: unknown }> | undefined)?.[0]?.n as number | undefined) ?? 0;
  return n(facets?.strings) + n(facets?.objectIds);
}
