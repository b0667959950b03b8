/**
 * The emulator's account state: users and their identities, pending email/password
 * registrations, client and Admin API sessions, and the token signing key. It knows nothing of
 * HTTP; adminApi.ts and clientApi.ts turn its answers and errors into App Services responses.
 * Persistence (`--data FILE`) is at the end of this file.
 */
import { createHash, randomBytes, randomUUID, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from "node:crypto";
import { promises as fs } from "node:fs";
import { dirname } from "node:path";
import { ObjectId } from "bson";
import { newTokenId, signToken, verifyToken, type TokenClaims, type TokenType } from "./tokens";

// ---------------------------------------------------------------------------------------------
// Clock

/** Milliseconds since the epoch. Injectable so tests can expire tokens without waiting. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that moves only when told to. */
export class ManualClock implements Clock {
  constructor(private current = Date.now()) {}
  now(): number {
    return this.current;
  }
  advance(ms: number): void {
    this.current += ms;
  }
}

// ---------------------------------------------------------------------------------------------
// Records

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

/** A user's identities as both APIs send them (the spec's UserIdentity). */
export function identitiesJson(user: UserRecord): Array<Record<string, unknown>> {
  return user.identities.map((i) => ({ id: i.id, provider_type: i.providerType, provider_id: i.providerId, provider_data: { ...i.providerData } }));
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

export interface IssuedSession {
  session: SessionRecord;
  accessToken: string;
  refreshToken: string;
}

/** Access tokens live 30 minutes, refresh tokens 60 days (the App Services defaults). */
export const ACCESS_TOKEN_TTL_MS = 30 * 60 * 1000;
export const REFRESH_TOKEN_TTL_MS = 60 * 24 * 60 * 60 * 1000;

/** Fixed provider ids: App Services gives each auth provider a 24-hex `_id`. */
export const PROVIDER_IDS: Record<ProviderType, string> = {
  "anon-user": "65f0c0de0000000000000a01",
  "local-userpass": "65f0c0de0000000000000a02",
  "api-key": "65f0c0de0000000000000a03",
};

/** The app's domain id, shown in pending registrations and profiles. */
export const DOMAIN_ID = "65f0c0de0000000000000d01";

// ---------------------------------------------------------------------------------------------
// Errors (each with a stable name; messages never hold a password, key or token)

export class EmailInUseError extends Error {
  override name = "EmailInUseError";
}
export class InvalidCredentialsError extends Error {
  override name = "InvalidCredentialsError";
}
export class UserDisabledError extends Error {
  override name = "UserDisabledError";
}
export class ConfirmationRequiredError extends Error {
  override name = "ConfirmationRequiredError";
}
export class InvalidRegistrationError extends Error {
  override name = "InvalidRegistrationError";
}
export class StateFileError extends Error {
  override name = "StateFileError";
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`Cannot load emulator state from ${file}: ${reason}. The file was left unchanged; fix it, move it away, or start with another --data file.`);
  }
}

// ---------------------------------------------------------------------------------------------
// Passwords: scrypt with a per-password salt. The cost is below the usual interactive default
// because this is a local emulator whose tests create hundreds of users; the parameters travel
// with each hash, so a stronger setting later still verifies old hashes.

const SCRYPT = { N: 4096, r: 8, p: 1, keylen: 32 };

function scrypt(password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCallback(password, salt, keylen, options, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, SCRYPT.keylen, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p });
  return ["scrypt", SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString("base64"), key.toString("base64")].join("$");
}

async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split("$");
  if (scheme !== "scrypt" || !salt || !hash) return false;
  const expected = Buffer.from(hash, "base64");
  const key = await scrypt(password, Buffer.from(salt, "base64"), expected.length, { N: Number(n), r: Number(r), p: Number(p) });
  return timingSafeEqual(key, expected);
}

// ---------------------------------------------------------------------------------------------
// Validation of email/password registrations (App Services: passwords of 6 to 128 characters)

const EMAIL = /^[^\s@]+@[^\s@]+$/;

function checkRegistration(email: unknown, password: unknown): { email: string; password: string } {
  if (typeof email !== "string" || !EMAIL.test(email) || email.length > 254) {
    throw new InvalidRegistrationError("email invalid");
  }
  if (typeof password !== "string" || password.length < 6 || password.length > 128) {
    throw new InvalidRegistrationError("password must be between 6 and 128 characters");
  }
  return { email, password };
}

/** Emails compare without case: Bob@Example.com and bob@example.com are one account. */
function emailKey(email: string): string {
  return email.trim().toLowerCase();
}

// ---------------------------------------------------------------------------------------------
// Token checks

export type AccessCheck =
  | { ok: true; session: SessionRecord; claims: TokenClaims }
  | { ok: false; reason: "missing" | "malformed" | "signature" | "wrongType" | "expired" | "revoked" };

// ---------------------------------------------------------------------------------------------
// The state

export interface StateSnapshot {
  signingKey: string;
  users: UserRecord[];
  pending: PendingRecord[];
  sessions: SessionRecord[];
}

export interface EmulatorStateOptions {
  clock?: Clock;
  snapshot?: StateSnapshot;
}

export class EmulatorState {
  readonly clock: Clock;
  private readonly signingKey: Buffer;
  private readonly users = new Map<string, UserRecord>();
  private readonly pending = new Map<string, PendingRecord>();
  private readonly sessions = new Map<string, SessionRecord>();
  private readonly changeListeners = new Set<() => void>();
  private adminKeys: { publicKey: string; privateKey: string; userId: string } | undefined;

  constructor(options: EmulatorStateOptions = {}) {
    this.clock = options.clock ?? systemClock;
    const snapshot = options.snapshot;
    this.signingKey = snapshot ? Buffer.from(snapshot.signingKey, "base64") : randomBytes(32);
    for (const user of snapshot?.users ?? []) this.users.set(user.id, user);
    for (const p of snapshot?.pending ?? []) this.pending.set(p.id, p);
    for (const s of snapshot?.sessions ?? []) this.sessions.set(s.id, s);
  }

  /** Called after every change (persistence listens here). */
  onChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  private changed(): void {
    for (const listener of this.changeListeners) listener();
  }

  toSnapshot(): StateSnapshot {
    return {
      signingKey: this.signingKey.toString("base64"),
      users: [...this.users.values()],
      pending: [...this.pending.values()],
      sessions: [...this.sessions.values()],
    };
  }

  isEmpty(): boolean {
    return this.users.size === 0 && this.pending.size === 0;
  }

  private newObjectId(): string {
    // Ids carry the (injectable) clock's time, as real ObjectIds carry the server's.
    return new ObjectId(ObjectId.generate(Math.floor(this.clock.now() / 1000))).toHexString();
  }

  private nowSeconds(): number {
    return Math.floor(this.clock.now() / 1000);
  }

  // ----- users -------------------------------------------------------------------------------

  getUser(id: string): UserRecord | undefined {
    return this.users.get(id);
  }

  userCount(): number {
    return this.users.size;
  }

  /** Users sorted by id; `after` is the last id of the previous page. */
  listUsers(options: { after?: string; desc?: boolean; limit: number }): UserRecord[] {
    return page([...this.users.values()], options);
  }

  findUserByEmail(email: string): UserRecord | undefined {
    const key = emailKey(email);
    for (const user of this.users.values()) {
      if (user.identities.some((i) => i.providerType === "local-userpass" && emailKey(String(i.providerData.email ?? "")) === key)) return user;
    }
    return undefined;
  }

  private findPendingByEmail(email: string): PendingRecord | undefined {
    const key = emailKey(email);
    for (const p of this.pending.values()) if (emailKey(p.email) === key) return p;
    return undefined;
  }

  /** A confirmed email/password user (Admin API adminCreateUser, or a confirmed registration). */
  async createEmailPasswordUser(email: unknown, password: unknown): Promise<UserRecord> {
    const input = checkRegistration(email, password);
    if (this.findUserByEmail(input.email)) throw new EmailInUseError("name already in use");
    const passwordHash = await hashPassword(input.password);
    // Checked again: another request may have taken the email while the hash was computed.
    if (this.findUserByEmail(input.email)) throw new EmailInUseError("name already in use");
    const pending = this.findPendingByEmail(input.email);
    if (pending) this.pending.delete(pending.id);
    return this.addEmailUser(input.email, passwordHash);
  }

  private addEmailUser(email: string, passwordHash: string): UserRecord {
    const now = this.nowSeconds();
    const user: UserRecord = {
      id: this.newObjectId(),
      type: "normal",
      creationDate: now,
      lastAuthenticationDate: 0,
      disabled: false,
      data: { email },
      identities: [
        {
          id: this.newObjectId(),
          providerType: "local-userpass",
          providerId: PROVIDER_IDS["local-userpass"],
          providerData: { email },
          passwordHash,
        },
      ],
    };
    this.users.set(user.id, user);
    this.changed();
    return user;
  }

  /** Client registration: a user at once, or a pending registration when confirmation is required. */
  async register(email: unknown, password: unknown, requireConfirmation: boolean): Promise<{ user?: UserRecord; pending?: PendingRecord }> {
    const input = checkRegistration(email, password);
    if (this.findUserByEmail(input.email) || this.findPendingByEmail(input.email)) throw new EmailInUseError("name already in use");
    const passwordHash = await hashPassword(input.password);
    if (this.findUserByEmail(input.email) || this.findPendingByEmail(input.email)) throw new EmailInUseError("name already in use");
    if (!requireConfirmation) return { user: this.addEmailUser(input.email, passwordHash) };
    const record: PendingRecord = { id: this.newObjectId(), email: input.email, passwordHash };
    this.pending.set(record.id, record);
    this.changed();
    return { pending: record };
  }

  /** Completes a pending registration (what the confirmation email's link does). */
  confirmPending(email: string): UserRecord | undefined {
    const pending = this.findPendingByEmail(email);
    if (!pending) return undefined;
    this.pending.delete(pending.id);
    return this.addEmailUser(pending.email, pending.passwordHash);
  }

  createAnonymousUser(): UserRecord {
    const now = this.nowSeconds();
    const user: UserRecord = {
      id: this.newObjectId(),
      type: "normal",
      creationDate: now,
      lastAuthenticationDate: now,
      disabled: false,
      data: {},
      identities: [{ id: randomBytes(12).toString("hex"), providerType: "anon-user", providerId: PROVIDER_IDS["anon-user"], providerData: {} }],
    };
    this.users.set(user.id, user);
    this.changed();
    return user;
  }

  /**
   * A server user behind an API key (what an admin creates in the App Services UI): type
   * "server", logging in with the api-key provider. The key is returned once and stored hashed.
   */
  createServerApiKey(name: string): { user: UserRecord; key: string } {
    const key = randomBytes(32).toString("hex");
    const now = this.nowSeconds();
    const user: UserRecord = {
      id: this.newObjectId(),
      type: "server",
      creationDate: now,
      lastAuthenticationDate: 0,
      disabled: false,
      data: { name },
      identities: [
        {
          id: this.newObjectId(),
          providerType: "api-key",
          providerId: PROVIDER_IDS["api-key"],
          providerData: { name },
          // API keys are 256 random bits: a plain hash cannot be brute-forced, unlike a password.
          passwordHash: `sha256$${createHash("sha256").update(key).digest("hex")}`,
        },
      ],
    };
    this.users.set(user.id, user);
    this.changed();
    return { user, key };
  }

  /** Checks an api-key login. */
  authenticateApiKey(key: unknown): UserRecord {
    if (typeof key !== "string" || key === "") throw new InvalidCredentialsError("invalid API key");
    const hash = `sha256$${createHash("sha256").update(key).digest("hex")}`;
    for (const user of this.users.values()) {
      const identity = user.identities.find((i) => i.providerType === "api-key");
      if (identity?.passwordHash && sameSecret(identity.passwordHash, hash)) {
        if (user.disabled) throw new UserDisabledError("user disabled");
        return user;
      }
    }
    throw new InvalidCredentialsError("invalid API key");
  }

  /** Checks an email/password login; the same message for unknown email and wrong password. */
  async authenticateEmailPassword(email: unknown, password: unknown): Promise<UserRecord> {
    if (typeof email !== "string" || typeof password !== "string") throw new InvalidCredentialsError("invalid username/password");
    const user = this.findUserByEmail(email);
    if (!user) {
      if (this.findPendingByEmail(email)) throw new ConfirmationRequiredError("confirmation required");
      throw new InvalidCredentialsError("invalid username/password");
    }
    const identity = user.identities.find((i) => i.providerType === "local-userpass");
    if (!identity?.passwordHash || !(await verifyPassword(password, identity.passwordHash))) {
      throw new InvalidCredentialsError("invalid username/password");
    }
    if (user.disabled) throw new UserDisabledError("user disabled");
    return user;
  }

  /** Records a login (the Admin API's last_authentication_date). */
  touchAuthentication(userId: string): void {
    const user = this.users.get(userId);
    if (!user) return;
    user.lastAuthenticationDate = this.nowSeconds();
    this.changed();
  }

  /** Deletes the user and ends all its sessions at once. False when there was no such user. */
  deleteUser(id: string): boolean {
    if (!this.users.delete(id)) return false;
    this.revokeSessionsOf("client", id);
    this.changed();
    return true;
  }

  /** Disabling also ends the user's sessions: its tokens stop working at once. */
  setDisabled(id: string, disabled: boolean): boolean {
    const user = this.users.get(id);
    if (!user) return false;
    user.disabled = disabled;
    if (disabled) this.revokeSessionsOf("client", id);
    this.changed();
    return true;
  }

  // ----- pending registrations ---------------------------------------------------------------

  listPending(options: { after?: string; limit: number }): PendingRecord[] {
    return page([...this.pending.values()], options);
  }

  pendingCount(): number {
    return this.pending.size;
  }

  deletePendingByEmail(email: string): boolean {
    const record = this.findPendingByEmail(email);
    if (!record) return false;
    this.pending.delete(record.id);
    this.changed();
    return true;
  }

  // ----- Admin API keys ----------------------------------------------------------------------

  /** The one API key pair the Admin API accepts (from the emulator's secrets). */
  setAdminKeys(publicKey: string, privateKey: string): void {
    const userId = createHash("sha256").update(`admin:${publicKey}`).digest("hex").slice(0, 24);
    this.adminKeys = { publicKey, privateKey, userId };
  }

  /** The admin user id for a correct key pair, else undefined. Compared in constant time. */
  checkAdminKey(publicKey: unknown, privateKey: unknown): string | undefined {
    const keys = this.adminKeys;
    if (!keys || typeof publicKey !== "string" || typeof privateKey !== "string") return undefined;
    const okPublic = sameSecret(publicKey, keys.publicKey);
    const okPrivate = sameSecret(privateKey, keys.privateKey);
    return okPublic && okPrivate ? keys.userId : undefined;
  }

  // ----- sessions and tokens -----------------------------------------------------------------

  createSession(kind: SessionKind, subject: string, deviceId?: string): IssuedSession {
    const now = this.clock.now();
    const session: SessionRecord = {
      id: randomUUID(),
      kind,
      subject,
      deviceId: deviceId ?? new ObjectId().toHexString(),
      createdAt: now,
      expiresAt: now + REFRESH_TOKEN_TTL_MS,
    };
    this.sessions.set(session.id, session);
    this.changed();
    return {
      session,
      accessToken: this.issueAccessToken(session),
      refreshToken: this.mint(session, kind === "client" ? "refresh" : "admin-refresh", session.expiresAt),
    };
  }

  issueAccessToken(session: SessionRecord): string {
    return this.mint(session, session.kind === "client" ? "access" : "admin-access", this.clock.now() + ACCESS_TOKEN_TTL_MS);
  }

  private mint(session: SessionRecord, typ: TokenType, expiresAtMs: number): string {
    const claims: TokenClaims = {
      sub: session.subject,
      sid: session.id,
      typ,
      iat: this.nowSeconds(),
      exp: Math.floor(expiresAtMs / 1000),
      jti: newTokenId(),
      iss: "app-services-emulator",
      baas_device_id: session.deviceId,
    };
    if (typ === "access") claims.user_data = {};
    return signToken(this.signingKey, claims);
  }

  /** Checks a bearer token of the expected type against signature, expiry and revocation. */
  checkToken(token: string | undefined, expected: TokenType): AccessCheck {
    if (!token) return { ok: false, reason: "missing" };
    const verified = verifyToken(this.signingKey, token);
    if (!verified.ok) return { ok: false, reason: verified.reason };
    const claims = verified.claims;
    if (claims.typ !== expected) return { ok: false, reason: "wrongType" };
    // `exp` is whole seconds; compare in ms so a token is dead from the exact second it expires.
    if (this.clock.now() >= claims.exp * 1000) return { ok: false, reason: "expired" };
    const session = this.sessions.get(claims.sid);
    if (!session || session.subject !== claims.sub) return { ok: false, reason: "revoked" };
    if (session.kind === "client") {
      const user = this.users.get(session.subject);
      if (!user || user.disabled) return { ok: false, reason: "revoked" };
    }
    return { ok: true, session, claims };
  }

  revokeSession(id: string): boolean {
    if (!this.sessions.delete(id)) return false;
    this.changed();
    return true;
  }

  /** Ends every session of one subject; returns how many ended. */
  revokeSessionsOf(kind: SessionKind, subject: string): number {
    let count = 0;
    for (const [id, session] of this.sessions) {
      if (session.kind === kind && session.subject === subject) {
        this.sessions.delete(id);
        count += 1;
      }
    }
    if (count) this.changed();
    return count;
  }

  sessionCount(kind: SessionKind, subject?: string): number {
    let count = 0;
    for (const s of this.sessions.values()) if (s.kind === kind && (subject === undefined || s.subject === subject)) count += 1;
    return count;
  }
}

function sameSecret(given: string, expected: string): boolean {
  // Hash first so the comparison takes the same time whatever the lengths.
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

function page<T extends { id: string }>(items: T[], options: { after?: string; desc?: boolean; limit: number }): T[] {
  const sorted = items.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (options.desc) sorted.reverse();
  const after = options.after;
  const rest = after === undefined ? sorted : sorted.filter((item) => (options.desc ? item.id < after : item.id > after));
  return rest.slice(0, options.limit);
}

// ---------------------------------------------------------------------------------------------
// Persistence: one JSON file holding the account state and the data service's documents,
// written atomically (temp file, fsync, rename) so a crash leaves the old file or the new one.

export const STATE_FILE_FORMAT = "app-services-emulator-state";
export const STATE_FILE_VERSION = 1;

export interface StateFileContents {
  state: StateSnapshot;
  /** DocumentStore.toEJSON(): namespaces to canonical EJSON documents. */
  documents: Record<string, unknown[]>;
}

/**
 * Reads a state file. Undefined when it does not exist (a first start); a StateFileError naming
 * the file when it cannot be read or is not a valid state file. Never writes.
 */
export async function loadStateFile(file: string): Promise<StateFileContents | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    throw new StateFileError(file, `it cannot be read (${code ?? "unknown error"})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new StateFileError(file, "it is not valid JSON");
  }
  const problem = stateFileProblem(parsed);
  if (problem) throw new StateFileError(file, problem);
  const contents = parsed as { state: StateSnapshot; documents: Record<string, unknown[]> };
  return { state: contents.state, documents: contents.documents };
}

function stateFileProblem(value: unknown): string | undefined {
  if (!isObject(value) || value.format !== STATE_FILE_FORMAT) return `it is not an emulator state file (no "format": "${STATE_FILE_FORMAT}")`;
  if (value.version !== STATE_FILE_VERSION) return `it has version ${JSON.stringify(value.version)}; this emulator reads version ${STATE_FILE_VERSION}`;
  const state = value.state;
  if (!isObject(state) || typeof state.signingKey !== "string") return `"state" is missing or has no signingKey`;
  for (const key of ["users", "pending", "sessions"] as const) {
    if (!Array.isArray(state[key])) return `"state.${key}" must be an array`;
  }
  const users = state.users as unknown[];
  const badUser = users.findIndex((u) => !isObject(u) || typeof u.id !== "string" || !Array.isArray(u.identities) || !isObject(u.data));
  if (badUser >= 0) return `"state.users[${badUser}]" is not a user record`;
  const pending = state.pending as unknown[];
  const badPending = pending.findIndex((p) => !isObject(p) || typeof p.id !== "string" || typeof p.email !== "string" || typeof p.passwordHash !== "string");
  if (badPending >= 0) return `"state.pending[${badPending}]" is not a pending registration`;
  const sessions = state.sessions as unknown[];
  const badSession = sessions.findIndex((s) => !isObject(s) || typeof s.id !== "string" || typeof s.subject !== "string" || (s.kind !== "client" && s.kind !== "admin"));
  if (badSession >= 0) return `"state.sessions[${badSession}]" is not a session`;
  const documents = value.documents;
  if (!isObject(documents) || !Object.values(documents).every(Array.isArray)) return `"documents" must map namespaces to arrays of documents`;
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Writes the file atomically: a sibling temp file, flushed to disk, then renamed over it. */
async function writeStateFile(file: string, contents: StateFileContents): Promise<void> {
  const text = JSON.stringify({ format: STATE_FILE_FORMAT, version: STATE_FILE_VERSION, savedAt: new Date().toISOString(), ...contents });
  await writeFileAtomic(file, text);
}

/**
 * Replaces `file` with `text` or leaves it as it was: a sibling temp file (mode 0600: it may hold
 * keys and password hashes), flushed to disk, renamed over the file; removed on any failure.
 */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  await fs.mkdir(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    const handle = await fs.open(temp, "w", 0o600);
    try {
      await handle.writeFile(text, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, file);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
}

/**
 * Serializes saves: any number of requests while a write runs lead to exactly one more write,
 * which sees every change made before it started.
 */
export class StateSaver {
  private running: Promise<void> | undefined;
  private again = false;
  private waiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];

  constructor(
    private readonly file: string,
    private readonly collect: () => StateFileContents,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Resolves once a write that started after this call has finished. */
  save(): Promise<void> {
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (this.running) this.again = true;
    else this.running = this.loop();
    return done;
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      const waiters = this.waiters;
      this.waiters = [];
      try {
        await writeStateFile(this.file, this.collect());
        waiters.forEach((w) => w.resolve());
      } catch (error) {
        this.onError(error);
        waiters.forEach((w) => w.reject(error));
      }
    } while (this.again || this.waiters.length > 0);
    this.running = undefined;
  }
}
