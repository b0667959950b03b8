/**
 * The user store on Flowerbase (flowerforce/flowerbase 1.9.0, commit 963e3542; paths under
 * packages/flowerbase/src/): users are documents in its auth collection, and the only user API a
 * function has is the auth service's emailPasswordAuth.deleteUser. Every write here does what
 * Flowerbase's own code does to the same documents, cited line by line.
 */
import type { FlowerbaseAuthService } from "./platform";
import type { UserStoreLocation } from "./flowerbaseConfig";
import { ConfigError, UserStoreError } from "./errors";
import type { ScanningUserStore, StalePendingUser } from "./userStore";
import type { DataSource } from "./cleanup";

/** Fixed names beside the auth collection, in the auth database (constants.ts:77-78). */
const REFRESH_TOKENS = "auth_refresh_tokens";
const RESET_REQUESTS = "reset_password_requests";

/** auth_users._id is an ObjectId (shared/handleUserRegistration.ts:147, insertOne). */
function objectId(userId: string): unknown {
  return new BSON.ObjectId(userId);
}

export function flowerbaseUserStore(data: DataSource, auth: FlowerbaseAuthService, location: UserStoreLocation): ScanningUserStore {
  const authDb = data.db(location.database);
  const users = authDb.collection(location.collection);
  const refreshTokens = authDb.collection(REFRESH_TOKENS);
  const resetRequests = authDb.collection(RESET_REQUESTS);
  const customData = data.db(location.customData.database).collection(location.customData.collection);
  const where = `${location.database}.${location.collection}`;

  /** Logout: revokedAt on the refresh tokens (auth/controller.ts:179-188); a revoked token no longer refreshes (controller.ts:121-129). */
  function revokeRefreshTokens(userId: string, now: Date) {
    return refreshTokens.updateMany({ userId: objectId(userId), revokedAt: null }, { $set: { revokedAt: now } });
  }

  /**
   * Why an update filtered on the status matched nothing: no such user, or a status the operation
   * does not accept. `undefined` when the user is in one of the `done` states (nothing left to do).
   */
  async function whyNotApplied(userId: string, operation: string, accepted: string[], done: string[]): Promise<UserStoreError | undefined> {
    const user = await users.findOne({ _id: objectId(userId) }, { status: 1 });
    if (!user) return new UserStoreError(`${operation}: there is no user ${userId} in ${where}. Nothing was changed.`);
    const status = String(user.status);
    if (done.indexOf(status) >= 0) return undefined;
    if (accepted.indexOf(status) >= 0) return new UserStoreError(`${operation}: user ${userId} changed while this call ran; call again.`);
    return new UserStoreError(`${operation}: user ${userId} has status "${status}"; only a user with status ${accepted.join(" or ")} can be ${operation}d. Nothing was changed.`);
  }

  return {
    verifyStep: "userStore",

    async verify(callerId) {
      // A signed-in caller exists in the auth collection (every request looks it up: auth/plugins/jwt.ts:65-79),
      // so not finding it means userStoreDatabase/userStoreCollection point elsewhere. Without a caller (a
      // scheduled run) any user will do: an empty or missing collection would make the sweep take every owner for deleted.
      const probe = callerId ? { _id: objectId(callerId) } : { status: { $in: ["pending", "confirmed", "disabled", "failed"] } };
      if (!(await users.findOne(probe, { _id: 1 }))) {
        throw new ConfigError(
          `The user store ${where} ${callerId ? `has no user ${callerId} (the caller)` : "holds no users"}: set userStoreDatabase and userStoreCollection to Flowerbase's auth database and auth_collection. Nothing was changed.`,
        );
      }
    },

    async deleteUser(userId) {
      const id = objectId(userId);
      // The email keys the user's reset requests (local-userpass/controller.ts:104-107), so read it while the account exists.
      const user = await users.findOne({ _id: id }, { email: 1 });
      const email = user && typeof user.email === "string" ? user.email : undefined;
      // Flowerbase's deleteUser leaves these in place (handleUserDeletion.ts:52): refresh tokens by userId (local-userpass/controller.ts:361-367),
      // reset requests by email (controller.ts:104-107; they also expire by TTL, controller.ts:73-74), custom data by user_id_field (constants.ts:16-21).
      // They go before the account: if one fails, the account (and its email) is still there, and calling again redoes all of it.
      await Promise.all([
        refreshTokens.deleteMany({ userId: id }),
        email ? resetRequests.deleteMany({ email }) : Promise.resolve(undefined),
        customData.deleteMany({ [location.customData.userIdField]: userId }),
      ]);
      // Deletes by _id whatever the status, needs run_as_system (shared/handleUserDeletion.ts:26-52).
      const result = await auth.emailPasswordAuth.deleteUser({ id: userId });
      const deleted = !!result && typeof result.deletedCount === "number" && result.deletedCount > 0;
      if (user && !deleted) {
        throw new ConfigError(
          `Flowerbase's auth service deleted no user ${userId}, though ${where} holds it: userStoreDatabase/userStoreCollection must name Flowerbase's own auth database and auth_collection.`,
        );
      }
      return deleted ? "deleted" : "alreadyGone";
    },

    async disableUser(userId) {
      const now = new Date();
      // "disabled" as Flowerbase's monitoring writes it (monitoring/routes/users.ts:248-254); login needs "confirmed"
      // (local-userpass/controller.ts:354-356), and lastLogoutAt ends every access token already issued (auth/plugins/jwt.ts:81-99).
      // A pending user is not disabled: enabling it later would confirm it without its email being confirmed.
      const updated = await users.updateOne({ _id: objectId(userId), status: { $in: ["confirmed", "disabled"] } }, { $set: { status: "disabled", lastLogoutAt: now } });
      if (updated.matchedCount === 0) {
        const problem = await whyNotApplied(userId, "disable", ["confirmed", "disabled"], []);
        if (problem) throw problem;
      }
      await revokeRefreshTokens(userId, now);
    },

    async enableUser(userId) {
      // "enable" writes "confirmed" (monitoring/routes/users.ts:248-250), here only from "disabled".
      const updated = await users.updateOne({ _id: objectId(userId), status: "disabled" }, { $set: { status: "confirmed" } });
      if (updated.matchedCount > 0) return;
      // Already confirmed: enabling again changes nothing (a retried call succeeds).
      const problem = await whyNotApplied(userId, "enable", ["disabled"], ["confirmed"]);
      if (problem) throw problem;
    },

    async logoutUser(userId) {
      const now = new Date();
      // As Flowerbase's own logout: lastLogoutAt on the user, revokedAt on the refresh tokens (auth/controller.ts:177-205).
      const updated = await users.updateOne({ _id: objectId(userId) }, { $set: { lastLogoutAt: now } });
      if (updated.matchedCount === 0) throw new UserStoreError(`log out: there is no user ${userId} in ${where}. Nothing was changed.`);
      await revokeRefreshTokens(userId, now);
    },

    async deletePendingUser(email) {
      // Registration stores the email lower-cased with status "pending" (local-userpass/controller.ts:198;
      // handleUserRegistration.ts:147-151). One atomic delete filtered on the status: a confirmed account is never touched.
      const result = await users.deleteOne({ email: email.toLowerCase(), status: "pending" });
      return result.deletedCount > 0 ? "deleted" : "alreadyGone";
    },

    async deletePendingUserById(userId) {
      const result = await users.deleteOne({ _id: objectId(userId), status: "pending" });
      return result.deletedCount > 0 ? "deleted" : "alreadyGone";
    },

    async stalePendingUsers(cutoff, afterId, limit): Promise<StalePendingUser[]> {
      // createdAt is set at registration (handleUserRegistration.ts:151); users migrated by the exporter
      // have none (packages/users-exporter/index.js:34-44) and are never listed.
      const filter: { [key: string]: unknown } = { status: "pending", createdAt: { $exists: true, $lt: cutoff } };
      if (afterId) filter._id = { $gt: objectId(afterId) };
      const page = await users.find(filter, { _id: 1, createdAt: 1 }).sort({ _id: 1 }).limit(limit).toArray();
      return page.map((doc) => ({ id: String(doc._id).toLowerCase(), createdAt: doc.createdAt as Date }));
    },

    async existingUserIds(ids) {
      if (ids.length === 0) return [];
      const found = await users.find({ _id: { $in: ids.map(objectId) } }, { _id: 1 }).toArray();
      return found.map((doc) => String(doc._id).toLowerCase());
    },

    close: () => Promise.resolve(),
  };
}
