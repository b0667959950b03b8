/**
 * The pending registrations the scheduled purge pages through, on either platform, as one small
 * interface: pages in id order, each entry with its registration time, and a delete that touches
 * only a registration still pending.
 * - App Services: the Admin API's pending list (adminListPendingUsers, 50 a page, `after` paging);
 *   a registration's time is its ObjectId's first 4 bytes; the delete is by email.
 * - Flowerbase: its user collection, status "pending" with a createdAt before the cutoff (one find a
 *   page); a user without createdAt (migrated from App Services) is never listed; the delete is by
 *   id, filtered on the status, so a user confirmed meanwhile is never touched.
 */
import type { AdminApiClient } from "./adminApi";
import { objectIdSeconds } from "./progressEstimate";
import type { RunUsers } from "./scheduledRun";

export const PENDING_PAGE_SIZE = 50;

export interface PendingEntry {
  /** The user id (24 hex). */
  id: string;
  /** When it registered, in milliseconds. */
  registeredAt: number;
}

export interface PendingRegistrations<E extends PendingEntry = PendingEntry> {
  /** Up to PENDING_PAGE_SIZE registrations with ids after `after`, ascending. */
  page(after: string | undefined): Promise<E[]>;
  /** Deletes the registration if it is still pending; true when this call deleted it. */
  remove(entry: E): Promise<boolean>;
}

export function pendingRegistrations(users: RunUsers, cutoff: number): PendingRegistrations {
  return users.platform === "appservices" ? adminApiPending(users.client) : flowerbasePending(users.store, cutoff);
}

interface AdminApiEntry extends PendingEntry {
  email: string | undefined;
}

function adminApiPending(client: AdminApiClient): PendingRegistrations<AdminApiEntry> {
  return {
    async page(after) {
      const page = await client.listPendingUsers(after);
      return page.map((pending) => ({
        id: pending._id,
        registeredAt: objectIdSeconds(pending._id) * 1000,
        email: pending.login_ids.find((l) => l.id_type === "email")?.id,
      }));
    },
    async remove(entry) {
      // The Admin API deletes a pending registration by email only, and only a pending one.
      return entry.email ? (await client.deletePendingUser(entry.email)) === "deleted" : false;
    },
  };
}

function flowerbasePending(store: Extract<RunUsers, { platform: "flowerbase" }>["store"], cutoff: number): PendingRegistrations {
  const before = new Date(cutoff);
  return {
    async page(after) {
      const page = await store.stalePendingUsers(before, after, PENDING_PAGE_SIZE);
      // new Date(x): createdAt is a Date of the host realm on Flowerbase (instanceof Date is false there).
      return page.map((pending) => ({ id: pending.id, registeredAt: new Date(pending.createdAt).getTime() }));
    },
    async remove(entry) {
      return (await store.deletePendingUserById(entry.id)) === "deleted";
    },
  };
}
