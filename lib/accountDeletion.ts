/**
 * Deleting an account and everything it owns, in an order where any failure can be retried to
 * completion: log in (so a wrong key touches nothing), clean up, delete the account, clean up once
 * more for anything written meanwhile (while the Admin API session is closed), then record an audit entry.
 */
import type { DeleteOutcome } from "./adminApi";
import { applyPlan, type DataSource, type RuleOutcome } from "./cleanup";
import type { SharedConfig } from "./config";
import { isConfigError, messageOf } from "./errors";
import { logs } from "./logs";
import type { UserStore } from "./userStore";

export interface DeletionReceipt {
  userId: string;
  /** "deleted" now, or "alreadyGone" when an earlier call had deleted the account. */
  account: DeleteOutcome;
  /** Documents handled per rule (deleted or anonymized, and detached from shared ones), both passes added up. */
  cleanup: RuleOutcome[];
  deletedBy: "self" | "admin";
  finishedAt: string;
}

export interface DeletionRequest {
  fn: string;
  config: SharedConfig;
  /** Where the account lives (App Services' Admin API or Flowerbase's collections). */
  store: UserStore;
  userId: string;
  /** "self", or the admin's user id. */
  actor: string;
}

/**
 * Runs one named step; on failure logs it and says in the error which step failed and what to do.
 * A configuration error needs a fix before a retry can help, so it gets that hint instead.
 */
async function step<T>(fn: string, name: string, run: () => Promise<T>, retryHint: string): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const message = messageOf(error);
    logs.stepFailed(fn, name, message);
    const hint = isConfigError(error) ? "Fix the configuration, then call again; nothing else was changed by this step." : retryHint;
    const text = `${fn} stopped at step "${name}": ${message} ${hint}`;
    if (typeof error !== "object" || error === null) throw new Error(text);
    const e = error as { message: string; step?: string };
    e.message = text;
    e.step = name;
    throw e;
  }
}

const RETRY_BEFORE = "Nothing else was changed; calling again completes the deletion.";
const RETRY_AFTER = "The account is already deleted; the scheduled sweepOrphanedUserData (or an admin's deleteUser) removes what is left.";

export async function deleteAccountAndData(request: DeletionRequest): Promise<DeletionReceipt> {
  const { fn, config, store, userId, actor } = request;
  const data = context.services.get(config.dataSourceName);
  logs.deletionStarted(fn, userId, actor);

  // App Services: the Admin API login. Flowerbase: the caller is found in the configured user store.
  await step(fn, store.verifyStep, () => store.verify(actor === "self" ? userId : actor), RETRY_BEFORE);
  const closeSession = () => store.close();
  try {
    const first = await step(fn, "cleanup", () => applyPlan(fn, "first", data, config.cleanupRules, [userId]),
      "Rules that succeeded are done; calling again completes the rest, and the account is kept until then.");
    const account = await step(fn, "deleteAccount", () => store.deleteUser(userId), "The user's data is cleaned up; calling again deletes the account.");
    logs.accountDeleted(fn, userId, account);
    // The user store's work is done: the Admin API logout travels alongside the final pass, not after it.
    void closeSession();
    const final = await step(fn, "finalCleanup", () => applyPlan(fn, "final", data, config.cleanupRules, [userId]), RETRY_AFTER);
    const receipt = receiptOf(userId, account, first, final, actor);
    if (config.auditCollection) {
      const audit = config.auditCollection;
      await step(fn, "audit", () => writeAuditRecord(data, audit, receipt, actor), RETRY_AFTER);
    }
    logs.deletionFinished(fn, userId, total(receipt.cleanup, "documents"), total(receipt.cleanup, "detached"));
    return receipt;
  } finally {
    await closeSession();
  }
}

function receiptOf(userId: string, account: DeleteOutcome, first: RuleOutcome[], final: RuleOutcome[], actor: string): DeletionReceipt {
  return {
    userId,
    account,
    cleanup: first.map((outcome, i) => ({ ...outcome, documents: outcome.documents + final[i].documents, detached: outcome.detached + final[i].detached })),
    deletedBy: actor === "self" ? "self" : "admin",
    finishedAt: new Date().toISOString(),
  };
}

function total(outcomes: RuleOutcome[], key: "documents" | "detached"): number {
  return outcomes.reduce((sum, outcome) => sum + outcome[key], 0);
}

/**
 * One record per deleted user, with one entry per run: upserted by a fixed _id, so a retry adds a
 * run instead of a second record. It holds ids, times and counts, no personal data.
 */
async function writeAuditRecord(
  data: DataSource,
  audit: { database: string; collection: string },
  receipt: DeletionReceipt,
  actor: string,
): Promise<void> {
  const run = { at: new Date(receipt.finishedAt), actor, account: receipt.account, cleanup: receipt.cleanup };
  await data.db(audit.database).collection(audit.collection).updateOne(
    { _id: `deletion:${receipt.userId}` },
    { $set: { userId: receipt.userId, deletedAt: run.at }, $push: { runs: run } },
    { upsert: true },
  );
}
