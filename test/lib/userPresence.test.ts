/**
 * lib/userPresence.ts answers whether an owner is a live user from the Admin API's user list, and
 * trusts a page only if its ids are strictly ascending and all above `after`. The emulator's
 * outOfOrder fault only reverses a page, so the "an id not above `after`" refusal is checked here
 * with a fake client; idBefore, which the `after=` paging rests on, too.
 */
import type { AdminApiClient, AdminUser } from "../../lib/adminApi";
import type { OperationBudget } from "../../lib/operationBudget";
import type { OwnerAtHead } from "../../lib/ownerPresence";
import { idBefore, userPresence } from "../../lib/userPresence";

const OWNER = "65f0c0de0000000000000010";

/** A client whose user list answers `page(after)`, and whose single-user lookup finds `live`. */
function fakeClient(page: (after: string | undefined) => string[], live: Set<string>) {
  const requests: string[] = [];
  const client = {
    listUsers: async (after?: string) => (requests.push(`list after ${after}`), page(after).map((id) => ({ _id: id }) as AdminUser)),
    getUser: async (id: string) => (requests.push(`get ${id}`), live.has(id) ? ({ _id: id } as AdminUser) : undefined),
  } as Partial<AdminApiClient> as AdminApiClient;
  return { client, requests };
}

const unlimited = { claim: () => true } as Partial<OperationBudget> as OperationBudget;
const atHead = (id: string): OwnerAtHead => ({ id, readAt: 0, pagesRead: 0, upcoming: () => [id] });

describe("userPresence", () => {
  let errors: jest.SpyInstance;
  beforeEach(() => {
    errors = jest.spyOn(console, "error").mockImplementation(() => undefined);
  });
  afterEach(() => errors.mockRestore());

  it("settles an owner from a well-ordered page, with no single-user request", async () => {
    const { client, requests } = fakeClient((after) => [OWNER, "65f0c0de0000000000000020"].filter((id) => after === undefined || id > after), new Set());
    const presence = userPresence("sweep", client, unlimited);
    expect(await presence.check(atHead(OWNER))).toBe("live");
    expect(await presence.check(atHead("65f0c0de0000000000000015"))).toBe("gone");
    expect(requests).toEqual([`list after ${idBefore(OWNER)}`]);
    expect(presence.stats()).toEqual({ listRequests: 1, userChecks: 0, outOfOrderPages: 0 });
  });

  it.each([
    ["the id `after` itself", (after: string) => [after, OWNER]],
    ["an id below `after`", () => ["65f0c0de0000000000000001", OWNER]],
  ])("does not trust an ascending page holding %s: checks the owner one by one and logs it", async (_what, page) => {
    // The page says OWNER is live; the single-user lookup (the truth here) says gone.
    const { client, requests } = fakeClient((after) => page(after as string), new Set());
    const presence = userPresence("sweep", client, unlimited);
    expect(await presence.check(atHead(OWNER))).toBe("gone");
    expect(requests).toEqual([`list after ${idBefore(OWNER)}`, `get ${OWNER}`]);
    expect(presence.stats()).toEqual({ listRequests: 1, userChecks: 1, outOfOrderPages: 1 });
    expect(errors.mock.calls.map((c) => String(c[0]))).toEqual([expect.stringMatching(/^\[sweep\] the Admin API user list answered a page out of id order \(after [0-9a-f]{24}\): owners up to 65f0c0de0000000000000010 are checked one by one instead$/)]);
  });
});

describe("idBefore", () => {
  it.each([
    ["65f0c0de0000000000000010", "65f0c0de000000000000000f"],
    ["65f0c0de00000000000000a0", "65f0c0de000000000000009f"],
    ["65f0c0de0000000000000001", "65f0c0de0000000000000000"],
    ["100000000000000000000000", "0fffffffffffffffffffffff"],
  ])("%s → %s", (id, before) => {
    expect(idBefore(id)).toBe(before);
  });

  it("has nothing below the smallest id", () => {
    expect(idBefore("000000000000000000000000")).toBeUndefined();
  });
});
