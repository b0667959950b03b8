/**
 * Owner presence on App Services (lib/ownerPresence.ts): whether an owner id is a live user, answered from the Admin API's user list: one request
 * (adminListUsers, 50 users a page, `after` paging) settles every owner in the id range it covers.
 *
 * Assumptions about the list, written down because the sweep's safety rests on them, and checked on
 * every page:
 * - it is ordered by `_id`, ascending (../shared/admin-api/openapi-admin-v3.yaml: `sort`'s only
 *   value, and the default, is `_id`; `desc` defaults to ascending);
 * - `after=<id>` returns the users whose id is greater than that id, whether or not a user with
 *   that id exists (the spec describes it as "the id of the last user returned by a previous
 *   request"; the sweep passes the id just below the next owner, so it can jump over users no
 *   document mentions).
 * A page whose ids are not strictly ascending and all above `after` breaks them: it is not
 * trusted, the owners in the range it spans are checked one by one (adminGetUser), and it is logged.
 *
 * A page settles only owners read from the data before the page was requested: a user who signs
 * up meanwhile and writes a document can then never look deleted. A page of fewer than 50 users
 * covers everything above `after`; a full page, up to its last id.
 */
import type { AdminApiClient } from "./adminApi";
import { logs } from "./logs";
import type { OperationBudget } from "./operationBudget";
import type { OwnerPresence, Presence } from "./ownerPresence";

export const USER_PAGE_SIZE = 50;

interface UserPage {
  after: string | undefined;
  ids: { [id: string]: true };
  /** The last id the page covers; undefined: everything above `after`. */
  last: string | undefined;
  requestedAt: number;
}

interface Fallback {
  after: string | undefined;
  until: string;
}

export function userPresence(fn: string, client: AdminApiClient, budget: OperationBudget): OwnerPresence {
  let page: UserPage | undefined;
  let fallback: Fallback | undefined;
  let listRequests = 0;
  let userChecks = 0;
  let outOfOrderPages = 0;

  const inRange = (id: string, after: string | undefined, last: string | undefined) => (after === undefined || id > after) && (last === undefined || id <= last);

  async function checkOne(ownerId: string): Promise<Presence> {
    if (!budget.claim(1)) return "outOfBudget";
    userChecks += 1;
    return (await client.getUser(ownerId)) ? "live" : "gone";
  }

  async function readPage(ownerId: string, pagesRead: number): Promise<boolean> {
    if (!budget.claim(1)) return false;
    const after = idBefore(ownerId);
    listRequests += 1;
    const users = await client.listUsers(after);
    const ids = users.map((u) => String(u._id).toLowerCase());
    if (!ascendingAfter(ids, after)) {
      outOfOrderPages += 1;
      const until = ids.reduce((max, id) => (id > max ? id : max), ownerId);
      logs.userListOutOfOrder(fn, after ?? "(start)", until);
      page = undefined;
      fallback = { after, until };
      return true;
    }
    const set: { [id: string]: true } = {};
    for (const id of ids) set[id] = true;
    page = { after, ids: set, last: ids.length === USER_PAGE_SIZE ? ids[ids.length - 1] : undefined, requestedAt: pagesRead };
    return true;
  }

  return {
    stats: () => ({ listRequests, userChecks, outOfOrderPages }),
    describe: () => `${listRequests} user list request(s), ${userChecks} single-user check(s)`,
    async check({ id: ownerId, readAt, pagesRead }) {
      for (let attempt = 0; attempt < 2; attempt++) {
        if (fallback && inRange(ownerId, fallback.after, fallback.until)) return checkOne(ownerId);
        if (page && page.requestedAt >= readAt && inRange(ownerId, page.after, page.last)) return page.ids[ownerId] ? "live" : "gone";
        if (!(await readPage(ownerId, pagesRead))) return "outOfBudget";
      }
      // A fresh page always covers the owner it was read for (it starts just below it); this is a guard.
      return checkOne(ownerId);
    },
  };
}

/** Strictly ascending and every id above `after`. */
function ascendingAfter(ids: string[], after: string | undefined): boolean {
  for (let i = 0; i < ids.length; i++) {
    const previous = i === 0 ? after : ids[i - 1];
    if (previous !== undefined && !(ids[i] > previous)) return false;
  }
  return true;
}

/** The 24-hex id just below `id` (so `after=` it lists `id` itself first); undefined for the smallest. */
export function idBefore(id: string): string | undefined {
  const digits = id.split("");
  for (let i = digits.length - 1; i >= 0; i--) {
    if (digits[i] !== "0") {
      digits[i] = "0123456789abcdef".charAt(parseInt(digits[i], 16) - 1);
      return digits.join("");
    }
    digits[i] = "f";
  }
  return undefined;
}
