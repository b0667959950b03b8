/**
 * Client and Admin API sessions and the tokens that belong to them. A token works only while its
 * session does: revoking the session kills its tokens at once.
 */
import { randomUUID } from "node:crypto";
import { ObjectId } from "bson";
import { nowSeconds, type Clock } from "./clock";
import type { SessionKind, SessionRecord } from "./records";
import { TOKEN_ISSUER, newTokenId, signToken, verifyToken, type TokenClaims, type TokenType } from "./tokens";

/** Access tokens live 30 minutes, refresh tokens 60 days (the App Services defaults). */
export const ACCESS_TOKEN_TTL_MS = 30 * 60 * 1000;
export const REFRESH_TOKEN_TTL_MS = 60 * 24 * 60 * 60 * 1000;

export interface IssuedSession {
  session: SessionRecord;
  accessToken: string;
  refreshToken: string;
}

export type AccessCheck =
  | { ok: true; session: SessionRecord; claims: TokenClaims }
  | { ok: false; reason: "missing" | "malformed" | "signature" | "wrongType" | "expired" | "revoked" };

/** The kind of session each token type belongs to: an admin token counts only for an admin session. */
const SESSION_KIND_OF: Record<TokenType, SessionKind> = {
  access: "client",
  refresh: "client",
  "admin-access": "admin",
  "admin-refresh": "admin",
};

export class SessionStore {
  private readonly sessions = new Map<string, SessionRecord>();

  constructor(
    private readonly clock: Clock,
    private readonly signingKey: Buffer,
    private readonly changed: () => void,
    /** Whether the session's subject may still use it (e.g. a client session's user exists and is enabled). */
    private readonly subjectIsLive: (session: SessionRecord) => boolean,
    restored: SessionRecord[] = [],
  ) {
    for (const s of restored) this.sessions.set(s.id, s);
  }

  all(): SessionRecord[] {
    return [...this.sessions.values()];
  }

  async create(kind: SessionKind, subject: string, deviceId?: string): Promise<IssuedSession> {
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
    const [accessToken, refreshToken] = await Promise.all([
      this.issueAccessToken(session),
      this.mint(session, kind === "client" ? "refresh" : "admin-refresh", session.expiresAt),
    ]);
    return { session, accessToken, refreshToken };
  }

  issueAccessToken(session: SessionRecord): Promise<string> {
    return this.mint(session, session.kind === "client" ? "access" : "admin-access", this.clock.now() + ACCESS_TOKEN_TTL_MS);
  }

  private mint(session: SessionRecord, typ: TokenType, expiresAtMs: number): Promise<string> {
    const claims: TokenClaims = {
      sub: session.subject,
      sid: session.id,
      typ,
      iat: nowSeconds(this.clock),
      exp: Math.floor(expiresAtMs / 1000),
      jti: newTokenId(),
      iss: TOKEN_ISSUER,
      baas_device_id: session.deviceId,
    };
    if (typ === "access") claims.user_data = {};
    return signToken(this.signingKey, claims);
  }

  /** Checks a bearer token of the expected type against signature, expiry and revocation. */
  async check(token: string | undefined, expected: TokenType): Promise<AccessCheck> {
    if (!token) return { ok: false, reason: "missing" };
    const verified = await verifyToken(this.signingKey, token, this.clock.now());
    if (!verified.ok) return { ok: false, reason: verified.reason };
    const claims = verified.claims;
    if (claims.typ !== expected) return { ok: false, reason: "wrongType" };
    const session = this.sessions.get(claims.sid);
    if (!session || session.kind !== SESSION_KIND_OF[claims.typ] || session.subject !== claims.sub) return { ok: false, reason: "revoked" };
    if (session.expiresAt <= this.clock.now() || !this.subjectIsLive(session)) return { ok: false, reason: "revoked" };
    return { ok: true, session, claims };
  }

  revoke(id: string): boolean {
    if (!this.sessions.delete(id)) return false;
    this.changed();
    return true;
  }

  /** Ends every session of one subject; returns how many ended. */
  revokeAllOf(kind: SessionKind, subject: string): number {
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

  count(kind: SessionKind, subject?: string): number {
    let count = 0;
    for (const s of this.sessions.values()) if (s.kind === kind && (subject === undefined || s.subject === subject)) count += 1;
    return count;
  }
}
