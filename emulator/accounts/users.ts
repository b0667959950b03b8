/** The app's users and their identities; one builder makes every kind of user record. */
import { randomBytes } from "node:crypto";
import { newObjectIdAt, nowSeconds, type Clock } from "./clock";
import { EmailIndex } from "./emails";
import { AccountError } from "./errors";
import { hashApiKey, sameSecret } from "./passwords";
import { PROVIDER_IDS, page, type IdentityRecord, type ProviderType, type UserRecord } from "./records";

interface NewUser {
  type: UserRecord["type"];
  providerType: ProviderType;
  /** Both the user's `data` and the identity's `providerData`, as App Services shows them. */
  data: Record<string, unknown>;
  passwordHash?: string;
  /** Anonymous logins count as an authentication at creation; other users have not logged in yet. */
  authenticatedNow: boolean;
}

export class UserDirectory {
  private readonly users = new Map<string, UserRecord>();
  /** Local-userpass users by email. */
  private readonly byEmail = new EmailIndex();

  constructor(
    private readonly clock: Clock,
    private readonly changed: () => void,
    restored: UserRecord[] = [],
  ) {
    for (const user of restored) this.insert(user);
  }

  private insert(user: UserRecord): void {
    this.users.set(user.id, user);
    const email = emailOf(user);
    if (email !== undefined) this.byEmail.add(email, user.id);
  }

  get(id: string): UserRecord | undefined {
    return this.users.get(id);
  }

  count(): number {
    return this.users.size;
  }

  all(): UserRecord[] {
    return [...this.users.values()];
  }

  /** Users sorted by id; `after` is the last id of the previous page. */
  list(options: { after?: string; desc?: boolean; limit: number }): UserRecord[] {
    return page(this.all(), options);
  }

  findByEmail(email: string): UserRecord | undefined {
    const id = this.byEmail.find(email);
    return id === undefined ? undefined : this.users.get(id);
  }

  addEmailUser(email: string, passwordHash: string): UserRecord {
    return this.add({ type: "normal", providerType: "local-userpass", data: { email }, passwordHash, authenticatedNow: false });
  }

  addAnonymous(): UserRecord {
    return this.add({ type: "normal", providerType: "anon-user", data: {}, authenticatedNow: true });
  }

  /**
   * A server user behind an API key (what an admin creates in the App Services UI): type
   * "server", logging in with the api-key provider. The key is returned once and stored hashed.
   */
  addServerApiKey(name: string): { user: UserRecord; key: string } {
    const key = randomBytes(32).toString("hex");
    const user = this.add({ type: "server", providerType: "api-key", data: { name }, passwordHash: hashApiKey(key), authenticatedNow: false });
    return { user, key };
  }

  private add(spec: NewUser): UserRecord {
    const now = nowSeconds(this.clock);
    const identity: IdentityRecord = {
      // App Services gives anonymous identities a random id, the others an ObjectId.
      id: spec.providerType === "anon-user" ? randomBytes(12).toString("hex") : newObjectIdAt(this.clock),
      providerType: spec.providerType,
      providerId: PROVIDER_IDS[spec.providerType],
      providerData: { ...spec.data },
    };
    if (spec.passwordHash !== undefined) identity.passwordHash = spec.passwordHash;
    const user: UserRecord = {
      id: newObjectIdAt(this.clock),
      type: spec.type,
      creationDate: now,
      lastAuthenticationDate: spec.authenticatedNow ? now : 0,
      disabled: false,
      data: { ...spec.data },
      identities: [identity],
    };
    this.insert(user);
    this.changed();
    return user;
  }

  /** Checks an api-key login. */
  authenticateApiKey(key: unknown): UserRecord {
    if (typeof key !== "string" || key === "") throw new AccountError("invalidCredentials", "invalid API key");
    const hash = hashApiKey(key);
    for (const user of this.users.values()) {
      const identity = user.identities.find((i) => i.providerType === "api-key");
      if (identity?.passwordHash && sameSecret(identity.passwordHash, hash)) {
        if (user.disabled) throw new AccountError("userDisabled", "user disabled");
        return user;
      }
    }
    throw new AccountError("invalidCredentials", "invalid API key");
  }

  /** Records a login (the Admin API's last_authentication_date). */
  touch(id: string): void {
    const user = this.users.get(id);
    if (!user) return;
    user.lastAuthenticationDate = nowSeconds(this.clock);
    this.changed();
  }

  delete(id: string): boolean {
    const user = this.users.get(id);
    if (!user) return false;
    this.users.delete(id);
    const email = emailOf(user);
    if (email !== undefined) this.byEmail.remove(email, id);
    this.changed();
    return true;
  }

  setDisabled(id: string, disabled: boolean): boolean {
    const user = this.users.get(id);
    if (!user) return false;
    user.disabled = disabled;
    this.changed();
    return true;
  }
}

/** The email of a local-userpass user. */
function emailOf(user: UserRecord): string | undefined {
  const email = user.identities.find((i) => i.providerType === "local-userpass")?.providerData.email;
  return typeof email === "string" ? email : undefined;
}
