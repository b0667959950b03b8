/**
 * The emulator's account state in one object: users, pending registrations, sessions, the Admin
 * API key pair and the token signing key. It knows nothing of HTTP (emulator/http/ turns its
 * answers and errors into App Services responses) nor of files (emulator/data/stateFile.ts).
 * Operations that span more than one part (registration, login, deletion) live here.
 */
import { randomBytes } from "node:crypto";
import { AdminKeys } from "./adminKeys";
import { systemClock, type Clock } from "./clock";
import { checkRegistration } from "./emails";
import { AccountError } from "./errors";
import { NO_ACCOUNT_HASH, hashPassword, verifyPassword } from "./passwords";
import type { PendingRecord, SessionKind, SessionRecord, UserRecord } from "./records";
import { PendingRegistrations } from "./registrations";
import { SessionStore, type AccessCheck, type IssuedSession } from "./sessions";
import type { TokenType } from "./tokens";
import { UserDirectory } from "./users";

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
  private readonly users: UserDirectory;
  private readonly pending: PendingRegistrations;
  private readonly sessions: SessionStore;
  private readonly adminKeys = new AdminKeys();
  private readonly changeListeners = new Set<() => void>();

  constructor(options: EmulatorStateOptions = {}) {
    this.clock = options.clock ?? systemClock;
    const snapshot = options.snapshot;
    const changed = () => this.changed();
    this.signingKey = snapshot ? Buffer.from(snapshot.signingKey, "base64") : randomBytes(32);
    this.users = new UserDirectory(this.clock, changed, snapshot?.users);
    this.pending = new PendingRegistrations(this.clock, changed, snapshot?.pending);
    this.sessions = new SessionStore(this.clock, this.signingKey, changed, (session) => this.subjectIsLive(session), snapshot?.sessions);
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
    return { signingKey: this.signingKey.toString("base64"), users: this.users.all(), pending: this.pending.all(), sessions: this.sessions.all() };
  }

  isEmpty(): boolean {
    return this.users.count() === 0 && this.pending.count() === 0;
  }

  // ----- users -------------------------------------------------------------------------------

  getUser(id: string): UserRecord | undefined {
    return this.users.get(id);
  }

  userCount(): number {
    return this.users.count();
  }

  listUsers(options: { after?: string; desc?: boolean; limit: number }): UserRecord[] {
    return this.users.list(options);
  }

  findUserByEmail(email: string): UserRecord | undefined {
    return this.users.findByEmail(email);
  }

  createAnonymousUser(): UserRecord {
    return this.users.addAnonymous();
  }

  createServerApiKey(name: string): { user: UserRecord; key: string } {
    return this.users.addServerApiKey(name);
  }

  authenticateApiKey(key: unknown): UserRecord {
    return this.users.authenticateApiKey(key);
  }

  touchAuthentication(userId: string): void {
    this.users.touch(userId);
  }

  /** Deletes the user and ends all its sessions at once. False when there was no such user. */
  deleteUser(id: string): boolean {
    if (!this.users.delete(id)) return false;
    this.sessions.revokeAllOf("client", id);
    return true;
  }

  /** Disabling also ends the user's sessions: its tokens stop working at once. */
  setDisabled(id: string, disabled: boolean): boolean {
    if (!this.users.setDisabled(id, disabled)) return false;
    if (disabled) this.sessions.revokeAllOf("client", id);
    return true;
  }

  // ----- email/password accounts -------------------------------------------------------------

  private emailTaken(email: string, countPending: boolean): boolean {
    return this.users.findByEmail(email) !== undefined || (countPending && this.pending.findByEmail(email) !== undefined);
  }

  /** A confirmed email/password user (Admin API adminCreateUser, or a confirmed registration). */
  async createEmailPasswordUser(email: unknown, password: unknown): Promise<UserRecord> {
    const input = checkRegistration(email, password);
    if (this.emailTaken(input.email, false)) throw new AccountError("emailInUse", "name already in use");
    const passwordHash = await hashPassword(input.password);
    // Checked again: another request may have taken the email while the hash was computed.
    if (this.emailTaken(input.email, false)) throw new AccountError("emailInUse", "name already in use");
    const pending = this.pending.findByEmail(input.email);
    if (pending) this.pending.delete(pending.id);
    return this.users.addEmailUser(input.email, passwordHash);
  }

  /** Client registration: a user at once, or a pending registration when confirmation is required. */
  async register(email: unknown, password: unknown, requireConfirmation: boolean): Promise<{ user?: UserRecord; pending?: PendingRecord }> {
    const input = checkRegistration(email, password);
    if (this.emailTaken(input.email, true)) throw new AccountError("emailInUse", "name already in use");
    const passwordHash = await hashPassword(input.password);
    if (this.emailTaken(input.email, true)) throw new AccountError("emailInUse", "name already in use");
    if (!requireConfirmation) return { user: this.users.addEmailUser(input.email, passwordHash) };
    return { pending: this.pending.add(input.email, passwordHash) };
  }

  /** Completes a pending registration (what the confirmation email's link does). */
  confirmPending(email: string): UserRecord | undefined {
    const pending = this.pending.findByEmail(email);
    if (!pending) return undefined;
    this.pending.delete(pending.id);
    return this.users.addEmailUser(pending.email, pending.passwordHash);
  }

  /**
   * Checks an email/password login; the same message for unknown email and wrong password, and
   * the same work: one password hash runs whether the email has an account, a pending
   * registration or nothing, so the answer's timing does not tell who is registered.
   */
  async authenticateEmailPassword(email: unknown, password: unknown): Promise<UserRecord> {
    if (typeof email !== "string" || typeof password !== "string") throw new AccountError("invalidCredentials", "invalid username/password");
    const user = this.users.findByEmail(email);
    const pending = user ? undefined : this.pending.findByEmail(email);
    const storedHash = user?.identities.find((i) => i.providerType === "local-userpass")?.passwordHash ?? pending?.passwordHash;
    const matches = await verifyPassword(password, storedHash ?? NO_ACCOUNT_HASH);
    if (pending) throw new AccountError("confirmationRequired", "confirmation required");
    if (!user || storedHash === undefined || !matches) throw new AccountError("invalidCredentials", "invalid username/password");
    if (user.disabled) throw new AccountError("userDisabled", "user disabled");
    return user;
  }

  // ----- pending registrations ---------------------------------------------------------------

  listPending(options: { after?: string; limit: number }): PendingRecord[] {
    return this.pending.list(options);
  }

  /**
   * A pending registration with a ready-made password hash, dated by the state's clock: for seeding
   * many at once (bench/scale.ts), skipping register()'s hashing. Not reachable over HTTP.
   */
  seedPending(email: string, passwordHash: string): PendingRecord {
    return this.pending.add(email, passwordHash);
  }

  pendingCount(): number {
    return this.pending.count();
  }

  deletePendingByEmail(email: string): boolean {
    const record = this.pending.findByEmail(email);
    return record !== undefined && this.pending.delete(record.id);
  }

  // ----- Admin API keys and sessions ---------------------------------------------------------

  setAdminKeys(publicKey: string, privateKey: string): void {
    this.adminKeys.set(publicKey, privateKey);
  }

  checkAdminKey(publicKey: unknown, privateKey: unknown): string | undefined {
    return this.adminKeys.check(publicKey, privateKey);
  }

  createSession(kind: SessionKind, subject: string, deviceId?: string): Promise<IssuedSession> {
    return this.sessions.create(kind, subject, deviceId);
  }

  issueAccessToken(session: SessionRecord): Promise<string> {
    return this.sessions.issueAccessToken(session);
  }

  checkToken(token: string | undefined, expected: TokenType): Promise<AccessCheck> {
    return this.sessions.check(token, expected);
  }

  revokeSession(id: string): boolean {
    return this.sessions.revoke(id);
  }

  revokeSessionsOf(kind: SessionKind, subject: string): number {
    return this.sessions.revokeAllOf(kind, subject);
  }

  sessionCount(kind: SessionKind, subject?: string): number {
    return this.sessions.count(kind, subject);
  }

  /**
   * A client session lasts only while its user exists and is enabled; an admin session only while
   * it belongs to the key pair the emulator accepts now (a data file may hold sessions of an older pair).
   */
  private subjectIsLive(session: SessionRecord): boolean {
    if (session.kind === "admin") return session.subject === this.adminKeys.userId();
    const user = this.users.get(session.subject);
    return user !== undefined && !user.disabled;
  }
}
