/**
 * Whether an owner the sweep reads from the data is a live user: one small interface, two ways to
 * answer it, chosen by where the users live (lib/orphanSweep.ts picks one):
 * - App Services: the Admin API's user list in id order, one request settling up to 50 owners
 *   (lib/userPresence.ts);
 * - Flowerbase: the user collection itself, one `$in` query settling a whole batch of owners
 *   (lib/storePresence.ts).
 */

export type Presence = "live" | "gone" | "outOfBudget";

/** The owner at the head of the owner stream (lib/ownerStream.ts), with what an answer may need. */
export interface OwnerAtHead {
  id: string;
  /** The owner page count when this owner was read. */
  readAt: number;
  /** The owner page count now. */
  pagesRead: number;
  /** Up to `n` owners already in memory from this one on, ascending (no read). */
  upcoming(n: number): string[];
}

/** What each way of answering counts, for the run's outcome and log line. */
export interface PresenceStats {
  /** App Services: user list requests, single-user requests, list pages found out of id order. */
  listRequests?: number;
  userChecks?: number;
  outOfOrderPages?: number;
  /** Flowerbase: `$in` lookups of a batch of owners. */
  userLookups?: number;
}

export interface OwnerPresence {
  check(owner: OwnerAtHead): Promise<Presence>;
  stats(): PresenceStats;
  /** The stats as words, for the run's log line. */
  describe(): string;
}
