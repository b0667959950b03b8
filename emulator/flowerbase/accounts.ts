/**
 * Flowerbase's users, sessions and tokens for the emulator's flowerbase profile, kept where
 * Flowerbase keeps them: documents in the data service (so functions see and change the very same
 * documents), with its token rules (flowerforce/flowerbase packages/flowerbase/src/auth/plugins/jwt.ts:41-128):
 * an access token works only while its user document exists and lastLogoutAt is before its iat;
 * a refresh token only while its stored hash is unrevoked and unexpired and the user exists.
 */
import { createHash } from "node:crypto";
import { ObjectId } from "bson";
import type { Clock } from "../accounts/clock";
import { AccountError } from "../accounts/errors";
import { newTokenId, signClaims, verifyClaims } from "../accounts/tokens";
import { NO_ACCOUNT_HASH, hashPassword, verifyPassword } from "../accounts/passwords";
import type { MongoDbService } from "../data/service";
import type { MongoCollection } from "../data/types";
import type { FlowerbaseAuthConfig } from "../runtime/types";
import { FLOWERBASE_DEFAULTS, authUserDocument, refreshTokenDocument, type AuthUserDocument, type AuthUserStatus } from "./documents";

/** Access tokens live 300 minutes (jwt.ts:125), refresh tokens REFRESH_TOKEN_TTL_DAYS, 60 by default (constants.ts:38). */
export const FLOWERBASE_ACCESS_TTL_S = 300 * 60;
export const FLOWERBASE_REFRESH_TTL_MS = 60 * 24 * 60 * 60 * 1000;

/**
 * A refused token: Flowerbase's answer to it (401 InvalidSession) has no AccountError reason.
 * Registration and login refusals are AccountErrors, answered as Flowerbase answers them by
 * http/accountErrors.ts (their messages are Flowerbase's).
 */
export class FlowerbaseSessionError extends Error {
  override name = "FlowerbaseSessionError";
  constructor() {
    super("Unauthorized");
  }
}

export interface AccessClaims {
  typ: "access";
  id: string;
  sub: string;
  iat: number;
  exp: number;
  data: { _id: string; id: string; email?: string };
  user_data: Record<string, unknown>;
  custom_data: Record<string, unknown>;
}

/** Flowerbase's refresh tokens are stored as a hash (auth/utils.ts hashToken; compared in auth/controller.ts:120-125). */
function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export class FlowerbaseAccounts {
  readonly users: MongoCollection;
  readonly refreshTokens: MongoCollection;
  readonly customData: MongoCollection;

  constructor(
    data: MongoDbService,
    readonly location: FlowerbaseAuthConfig,
    private readonly clock: Clock,
    /** The persisted state's key (EmulatorState), so that with --data tokens outlive a restart as sessions do. */
    private readonly key: Buffer,
  ) {
    const db = data.db(location.database);
    this.users = db.collection(location.collection);
    this.refreshTokens = db.collection(FLOWERBASE_DEFAULTS.refreshTokensCollection);
    this.customData = data.db(FLOWERBASE_DEFAULTS.database).collection(FLOWERBASE_DEFAULTS.customDataCollection);
  }

  /** A user as registration writes it (handleUserRegistration.ts:142-161): email lower-cased, pending unless auto-confirmed. */
  async register(email: unknown, password: unknown, requireConfirmation: boolean): Promise<string> {
    if (typeof email !== "string" || typeof password !== "string" || password.length < 6) {
      throw new AccountError("invalidRegistration", "email and a password of at least 6 characters are required");
    }
    return this.createUser(email.toLowerCase(), password, requireConfirmation ? "pending" : "confirmed");
  }

  /** Inserts a user document; `createdAt: false` makes one as Flowerbase's exporter migrates them (no createdAt). */
  async createUser(email: string, password: string, status: AuthUserStatus = "confirmed", createdAt: Date | false = new Date(this.clock.now())): Promise<string> {
    if (await this.users.findOne({ email })) throw new AccountError("emailInUse", "This email address is already used");
    const passwordHash = await hashPassword(password);
    // Checked again: another registration may have inserted the email while the hash was computed.
    if (await this.users.findOne({ email })) throw new AccountError("emailInUse", "This email address is already used");
    const doc = authUserDocument(email, passwordHash, status, createdAt || undefined);
    await this.users.insertOne(doc as unknown as Record<string, unknown>);
    return doc._id.toHexString();
  }

  async findUser(userId: string): Promise<AuthUserDocument | undefined> {
    if (!ObjectId.isValid(userId)) return undefined;
    return ((await this.users.findOne({ _id: new ObjectId(userId) })) ?? undefined) as AuthUserDocument | undefined;
  }

  /** local-userpass login (controller.ts:318-376): by the email as sent, the password, then status confirmed. */
  async login(username: unknown, password: unknown): Promise<{ accessToken: string; refreshToken: string; userId: string }> {
    const user = typeof username === "string" ? ((await this.users.findOne({ email: username })) as AuthUserDocument | null) : null;
    // Flowerbase itself answers an unknown email without hashing, which tells who is registered; the
    // emulator hashes either way (issue 10: login takes the same work for known and unknown emails).
    const matches = await verifyPassword(typeof password === "string" ? password : "", user ? user.password : NO_ACCOUNT_HASH);
    if (!user || !matches || typeof password !== "string") throw new AccountError("invalidCredentials", "unauthorized");
    if (user.status !== "confirmed") throw new AccountError("confirmationRequired", "User not confirmed");
    const now = new Date(this.clock.now());
    const refreshToken = await this.sign({ typ: "refresh" }, user._id.toHexString(), FLOWERBASE_REFRESH_TTL_MS / 1000);
    await this.refreshTokens.insertOne(
      refreshTokenDocument(user._id, hashToken(refreshToken), now, new Date(now.getTime() + FLOWERBASE_REFRESH_TTL_MS)) as unknown as Record<string, unknown>,
    );
    await this.users.updateOne({ _id: user._id }, { $set: { lastLoginAt: now } });
    return { accessToken: await this.accessToken(user), refreshToken, userId: user._id.toHexString() };
  }

  /** The access token's claims (jwt.ts:102-128): typ, id, data { _id, id, email }, user_data and custom_data. */
  private async accessToken(user: AuthUserDocument): Promise<string> {
    const id = user._id.toHexString();
    const custom = await this.customDataOf(id);
    return this.sign({ typ: "access", id, data: { _id: id, id, email: user.email }, user_data: custom, custom_data: custom }, id, FLOWERBASE_ACCESS_TTL_S);
  }

  private async customDataOf(userId: string): Promise<Record<string, unknown>> {
    const doc = await this.customData.findOne({ [FLOWERBASE_DEFAULTS.customDataIdField]: userId });
    if (!doc) return {};
    const { _id: _ignored, ...rest } = doc;
    return rest;
  }

  private sign(claims: Record<string, unknown>, subject: string, ttlSeconds: number): Promise<string> {
    const iat = Math.floor(this.clock.now() / 1000);
    // A random jti keeps two tokens minted in one second apart (Flowerbase's jti is a per-process id, jwt.ts:123).
    return signClaims(this.key, { ...claims, sub: subject, iat, exp: iat + ttlSeconds, jti: newTokenId() });
  }

  private async verify(token: string | undefined, typ: "access" | "refresh"): Promise<Record<string, unknown>> {
    if (!token) throw new FlowerbaseSessionError();
    const checked = await verifyClaims(this.key, token, this.clock.now());
    if (!checked.ok || checked.payload.typ !== typ || typeof checked.payload.sub !== "string") throw new FlowerbaseSessionError();
    return checked.payload;
  }

  /** Every request with an access token (jwt.ts:65-99): the user document must exist and lastLogoutAt be before iat. */
  async checkAccess(token: string | undefined): Promise<{ claims: AccessClaims; user: AuthUserDocument }> {
    const claims = (await this.verify(token, "access")) as unknown as AccessClaims;
    const user = await this.findUser(claims.sub);
    if (!user) throw new FlowerbaseSessionError();
    const lastLogout = user.lastLogoutAt ? new Date(user.lastLogoutAt).getTime() : NaN;
    if (!isNaN(lastLogout) && lastLogout >= claims.iat * 1000) throw new FlowerbaseSessionError();
    return { claims, user };
  }

  /** POST /auth/session (auth/controller.ts:108-157): an unrevoked, unexpired stored token and the user document. */
  async refresh(token: string | undefined): Promise<string> {
    const claims = await this.verify(token, "refresh");
    const stored = await this.refreshTokens.findOne({ tokenHash: hashToken(token as string), revokedAt: null, expiresAt: { $gt: new Date(this.clock.now()) } });
    const user = stored ? await this.findUser(String(claims.sub)) : undefined;
    if (!user) throw new FlowerbaseSessionError();
    return this.accessToken(user);
  }

  /** DELETE /auth/session (auth/controller.ts:169-207): revokedAt on the token, lastLogoutAt on the user. */
  async logout(token: string | undefined): Promise<void> {
    if (!token) return;
    const now = new Date(this.clock.now());
    const stored = await this.refreshTokens.findOneAndUpdate({ tokenHash: hashToken(token) }, { $set: { revokedAt: now } });
    const userId = stored?.userId;
    if (userId) await this.users.updateOne({ _id: userId }, { $set: { lastLogoutAt: now } });
  }

  async findByEmail(email: string): Promise<AuthUserDocument | undefined> {
    return ((await this.users.findOne({ email: email.toLowerCase() })) ?? undefined) as AuthUserDocument | undefined;
  }
}

/**
 * `context.user` for a client call: the access token's payload, flattened as Flowerbase's function
 * controller does (features/functions/controller.ts:35-54), plus `_id` as an ObjectId (controller.ts:440),
 * added inside the function's worker because an ObjectId does not survive the thread boundary.
 */
export function flowerbaseContextUser(claims: AccessClaims): Record<string, unknown> {
  const flattened = claims.data ?? claims.user_data ?? claims.custom_data ?? {};
  return { ...claims, ...flattened, custom_data: claims.custom_data ?? flattened, user_data: claims.user_data ?? flattened, data: claims.data ?? flattened };
}
