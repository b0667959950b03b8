/**
 * One interface over the two places users live: App Services (the Admin API) and Flowerbase (its
 * own collections and auth service). The functions open the store the platform calls for
 * (lib/platform.ts) and never ask which one they got.
 */
import type { DeleteOutcome } from "./adminApi";

export type { DeleteOutcome } from "./adminApi";

export interface UserStore {
  /** The deletion's name for verify() in its errors and logs: App Services logs in, Flowerbase looks the caller up. */
  readonly verifyStep: "login" | "userStore";
  /**
   * Fails (a ConfigError) unless the store is the one the functions' callers live in, so a wrong
   * setting touches nothing: App Services logs in with the API key; Flowerbase finds `callerId`.
   */
  verify(callerId?: string): Promise<void>;
  /** Deletes the account and what the platform keeps for it (sessions, and on Flowerbase reset requests and custom data). */
  deleteUser(userId: string): Promise<DeleteOutcome>;
  /** Blocks login and ends every session. */
  disableUser(userId: string): Promise<void>;
  /** Lets a disabled user log in again. */
  enableUser(userId: string): Promise<void>;
  /** Ends every session; the user can log in again. */
  logoutUser(userId: string): Promise<void>;
  /** Deletes an unconfirmed email/password registration only; never a confirmed account. */
  deletePendingUser(email: string): Promise<DeleteOutcome>;
  /** Ends what the store holds open (the Admin API session); best effort, never rejects. */
  close(): Promise<void>;
}

/** A pending registration as the scheduled purge sees it (never its email: that stays in the store). */
export interface StalePendingUser {
  id: string;
  createdAt: Date;
}

/**
 * What purgePendingUsers and sweepOrphanedUserData use on Flowerbase (lib/pendingRegistrations.ts,
 * lib/storePresence.ts): paging in id order, and batch existence checks with $in.
 */
export interface ScanningUserStore extends UserStore {
  /** Up to `limit` pending users with a createdAt before `cutoff`, ids after `afterId`, in id order. A user without createdAt is never listed. */
  stalePendingUsers(cutoff: Date, afterId: string | undefined, limit: number): Promise<StalePendingUser[]>;
  /** Deletes one pending user by id, only while it is still pending. */
  deletePendingUserById(userId: string): Promise<DeleteOutcome>;
  /** Which of these ids (24 hex each) belong to an existing user, in one $in query. */
  existingUserIds(ids: string[]): Promise<string[]>;
}
