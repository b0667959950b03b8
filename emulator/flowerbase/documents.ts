/**
 * Flowerbase's user documents, shaped as its code writes them (flowerforce/flowerbase 1.9.0,
 * commit 963e3542; paths under packages/flowerbase/src/). Each builder names the file and lines
 * it was read from; nothing here is copied code, only the fields and their types.
 */
import { ObjectId } from "bson";

/** Names and defaults from constants.ts:16-22 and 69-90. */
export const FLOWERBASE_DEFAULTS = {
  /** database_name's default; the auth database is auth_database, else this (constants.ts:17, 70). */
  database: "main",
  authCollection: "auth_users",
  refreshTokensCollection: "auth_refresh_tokens",
  resetPasswordCollection: "reset_password_requests",
  /** Custom user data: collection_name keyed by user_id_field (constants.ts:18-19). */
  customDataCollection: "users",
  customDataIdField: "id",
} as const;

export type AuthUserStatus = "pending" | "confirmed" | "disabled" | "failed";

/** An auth_users document (shared/handleUserRegistration.ts:147-177; lastLoginAt: local-userpass/controller.ts:368-370; lastLogoutAt: auth/controller.ts:200-205). */
export interface AuthUserDocument {
  _id: ObjectId;
  /** Lower-cased at registration (local-userpass/controller.ts:198). */
  email: string;
  password: string;
  status: AuthUserStatus;
  /** Absent on users migrated by packages/users-exporter (index.js:34-44). */
  createdAt?: Date;
  custom_data: Record<string, unknown>;
  identities: Array<{ id: string; provider_id: string; provider_type: string; provider_data: { email: string } }>;
  lastLoginAt?: Date;
  lastLogoutAt?: Date;
}

/** shared/handleUserRegistration.ts:147-177: the insert, then identities with the new id. */
export function authUserDocument(email: string, passwordHash: string, status: AuthUserStatus, createdAt: Date | undefined): AuthUserDocument {
  const id = new ObjectId();
  const doc: AuthUserDocument = {
    _id: id,
    email,
    password: passwordHash,
    status,
    createdAt,
    custom_data: {},
    identities: [{ id: id.toHexString(), provider_id: id.toHexString(), provider_type: "local-userpass", provider_data: { email } }],
  };
  if (!createdAt) delete doc.createdAt;
  return doc;
}

/** An auth_refresh_tokens document (local-userpass/controller.ts:361-367; revoked by auth/controller.ts:179-188). */
export interface RefreshTokenDocument {
  userId: ObjectId;
  tokenHash: string;
  createdAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
}

export function refreshTokenDocument(userId: ObjectId, tokenHash: string, now: Date, expiresAt: Date): RefreshTokenDocument {
  return { userId, tokenHash, createdAt: now, expiresAt, revokedAt: null };
}

/** A reset_password_requests document, keyed by email (local-userpass/controller.ts:104-107). */
export function resetRequestDocument(email: string, token: string, tokenId: string, now: Date): Record<string, unknown> {
  return { token, tokenId, email, createdAt: now };
}

/** Custom user data: a document in `users` whose `id` is the user id as hex (constants.ts:16-21; read by controller.ts:20-25 of local-userpass). */
export function customDataDocument(userId: string, data: Record<string, unknown>): Record<string, unknown> {
  return { [FLOWERBASE_DEFAULTS.customDataIdField]: userId, ...data };
}

/** The flowerbase profile's auth collection: Flowerbase's defaults (constants.ts:17, 22). */
export const FLOWERBASE_AUTH = { database: FLOWERBASE_DEFAULTS.database, collection: FLOWERBASE_DEFAULTS.authCollection };
