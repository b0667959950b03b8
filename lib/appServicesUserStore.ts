/** The user store on App Services: the Admin API, one session per call (lib/adminApi.ts). */
import { connectAdminApi, sessionCloser, type AdminApiClient } from "./adminApi";
import type { AdminApiConfig } from "./config";
import type { UserStore } from "./userStore";

/** Logs in lazily on verify() (the first step of every operation) and closes the session on close(). */
export function appServicesUserStore(fn: string, http: AppServicesHttp, config: AdminApiConfig): UserStore {
  let client: AdminApiClient | undefined;
  let close: (() => Promise<void>) | undefined;
  const connected = (): AdminApiClient => {
    if (!client) throw new Error(`${fn}: the Admin API user store was used before verify() logged in.`);
    return client;
  };
  return {
    verifyStep: "login",
    async verify() {
      if (client) return;
      client = await connectAdminApi(http, config);
      close = sessionCloser(fn, client);
    },
    deleteUser: (userId) => connected().deleteUser(userId),
    disableUser: (userId) => connected().disableUser(userId),
    enableUser: (userId) => connected().enableUser(userId),
    logoutUser: (userId) => connected().logoutUser(userId),
    deletePendingUser: (email) => connected().deletePendingUser(email),
    close: () => (close ? close() : Promise.resolve()),
  };
}
