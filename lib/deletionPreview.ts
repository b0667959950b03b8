/**
 * What deleting an account would do, without doing any of it: per rule, how many documents would
 * be deleted, anonymized or detached, counted with the very filters the deletion writes with
 * (cleanupOperations.ts), one read per rule; and whether the deletion can run now, which takes a
 * valid configuration and a user store that answers as the deletion's first step would (on App
 * Services an Admin API that accepts the key: a login, then its logout; on Flowerbase the caller
 * found in the configured user collection).
 */
import { ownedDocumentQueries } from "./cleanupOperations";
import { describeRule, type CleanupRule } from "./cleanupPlan";
import { openUserStore } from "./openUserStore";
import type { PlatformConfig } from "./platform";
import { messageOf } from "./errors";
import { logs } from "./logs";
import type { DataSource } from "./cleanup";

export interface RulePreview {
  rule: string;
  action: CleanupRule["action"];
  /** Documents the user owns alone that a "delete" rule would delete. */
  deleted: number;
  /** Documents the user owns alone that an "anonymize" rule would anonymize. */
  anonymized: number;
  /** Shared documents the user would only be removed from. */
  detached: number;
}

export interface DeletionPreview {
  userId: string;
  /** True when the configuration is valid and the Admin API accepted the key just now. */
  canDeleteNow: boolean;
  /** Why not, when canDeleteNow is false. */
  reason?: string;
  cleanup: RulePreview[];
}

/** A preview when the configuration itself is invalid: nothing can be counted against a plan that failed validation. */
export function invalidConfigPreview(fn: string, userId: string, message: string): DeletionPreview {
  logs.previewed(fn, userId, false, 0);
  return { userId, canDeleteNow: false, reason: message, cleanup: [] };
}

export async function previewDeletion(fn: string, platform: PlatformConfig, userId: string): Promise<DeletionPreview> {
  const { config } = platform;
  const data = context.services.get(config.dataSourceName);
  // Reads and the store check change nothing, so they all go at once.
  const [cleanup, readiness] = await Promise.all([
    Promise.all(config.cleanupRules.map((rule) => previewRule(data, rule, userId))),
    storeReadiness(fn, platform, userId),
  ]);
  const preview: DeletionPreview = { userId, canDeleteNow: readiness === undefined, cleanup };
  if (readiness !== undefined) preview.reason = readiness;
  logs.previewed(fn, userId, preview.canDeleteNow, cleanup.reduce((sum, r) => sum + r.deleted + r.anonymized + r.detached, 0));
  return preview;
}

/** The deletion's first step, verifying the user store, then its close; undefined when that worked, else why not. */
async function storeReadiness(fn: string, platform: PlatformConfig, userId: string): Promise<string | undefined> {
  try {
    const store = openUserStore(fn, platform);
    try {
      await store.verify(userId);
    } finally {
      await store.close();
    }
    return undefined;
  } catch (error) {
    return messageOf(error);
  }
}

/** One aggregate per rule: the union of the rule's filters, split into the two counts the receipt reports. */
async function previewRule(data: DataSource, rule: CleanupRule, userId: string): Promise<RulePreview> {
  // The same filters the deletion's operations write with (cleanupOperations.ts).
  const queries = ownedDocumentQueries(rule, userId);
  const owned = queries.alone;
  const shared = queries.shared.length === 0 ? undefined : queries.shared.length === 1 ? queries.shared[0].filter : { $or: queries.shared.map((q) => q.filter) };
  const facets: Record<string, object[]> = { documents: [{ $match: owned }, { $count: "n" }] };
  if (shared) facets.detached = [{ $match: shared }, { $count: "n" }];
  const union = shared ? { $or: [owned, shared] } : owned;
  const collection = data.db(rule.database).collection(rule.collection);
  const [counts] = await collection.aggregate([{ $match: union }, { $facet: facets }]).toArray();
  const documents = countOf(counts, "documents");
  return {
    rule: describeRule(rule),
    action: rule.action,
    deleted: rule.action === "delete" ? documents : 0,
    anonymized: rule.action === "anonymize" ? documents : 0,
    detached: countOf(counts, "detached"),
  };
}

/** `{ documents: [{ n: 3 }] }` → 3; a facet with no match is an empty array. */
function countOf(counts: Record<string, unknown> | undefined, facet: string): number {
  const rows = counts ? counts[facet] : undefined;
  const first = Array.isArray(rows) && rows.length > 0 ? (rows[0] as { n?: unknown }) : undefined;
  return first && typeof first.n === "number" ? first.n : 0;
}
