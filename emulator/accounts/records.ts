/** The account records the emulator keeps (and persists with `--data`), and their shared constants. */

export type ProviderType = "anon-user" | "local-userpass" | "api-key";

export interface IdentityRecord {
  id: string;
  providerType: ProviderType;
  providerId: string;
  providerData: Record<string, unknown>;
  /** scrypt hash of the password (local-userpass), or sha256 of the key (api-key). */
  passwordHash?: string;
}

export interface UserRecord {
  id: string;
  type: "normal" | "server";
  /** Seconds since the epoch, as the Admin API reports it. */
  creationDate: number;
  lastAuthenticationDate: number;
  disabled: boolean;
  data: Record<string, unknown>;
  identities: IdentityRecord[];
}

export interface PendingRecord {
  /** An ObjectId whose timestamp is the registration time. */
  id: string;
  email: string;
  passwordHash: string;
}

export type SessionKind = "client" | "admin";

export interface SessionRecord {
  id: string;
  kind: SessionKind;
  /** The user id (client) or the API key's user id (admin). */
  subject: string;
  deviceId: string;
  createdAt: number;
  /** When the refresh token stops working (ms). */
  expiresAt: number;
}

/** Fixed provider ids: App Services gives each auth provider a 24-hex `_id`. */
export const PROVIDER_IDS: Record<ProviderType, string> = {
  "anon-user": "65f0c0de0000000000000a01",
  "local-userpass": "65f0c0de0000000000000a02",
  "api-key": "65f0c0de0000000000000a03",
};

/** The app's domain id, shown in pending registrations and profiles. */
export const DOMAIN_ID = "65f0c0de0000000000000d01";

/** A user's identities as both APIs send them (the spec's UserIdentity). */
export function identitiesJson(user: UserRecord): Array<Record<string, unknown>> {
  return user.identities.map((i) => ({ id: i.id, provider_type: i.providerType, provider_id: i.providerId, provider_data: { ...i.providerData } }));
}

/** Records sorted by id, one page: `after` is the last id of the previous page. Sorts `items` in place. */
export function page<T extends { id: string }>(items: T[], options: { after?: string; desc?: boolean; limit: number }): T[] {
  const sorted = items.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (options.desc) sorted.reverse();
  const after = options.after;
  const rest = after === undefined ? sorted : sorted.filter((item) => (options.desc ? item.id < after : item.id > after));
  return rest.slice(0, options.limit);
}
