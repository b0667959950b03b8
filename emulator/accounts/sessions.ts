/**
 * Client and Admin API sessions and the tokens that belong to them. A token works only while its
 * session does: revoking the session kills its tokens at once.
 */
import { randomUUID } from "node:crypto";
import { ObjectId } from "bson";
import { nowSeconds, type Clock } from "./clock";
import type { SessionKind, SessionRecord } from "./records";
import { newTokenId, signToken, verifyToken, type TokenClaims, type TokenType } from "./tokens";

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

  create(kind: SessionKind, subject: string, deviceId?: string): IssuedSession {
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
      iat: nowSeconds(this.clock),
      exp: Math.floor(expiresAtMs / 1000),
      jti: newTokenId(),
      iss: "app-services-emulator",
      baas_device_id: session.deviceId,
    };
    if (typ === "access") claims.user_data = {};
    return signToken(this.signingKey, claims);
  }

  /** Checks a bearer token of the expected type against signature, expiry and revocation. */
  check(token: string | undefined, expected: TokenType): AccessCheck {
    if (!token) return { ok: false, reason: "missing" };
    const verified = verifyToken(this.signingKey, token);
    if (!verified.ok) return { ok: false, reason: verified.reason };
    const claims = verified.claims;
    if (claims.typ !== expected) return { ok: false, reason: "wrongType" };
    // `exp` is whole seconds; compare in ms so a token is dead from the exact second it expires.
    if (this.clock.now() >= claims.exp * 1000) return { ok: false, reason: "expired" };
    const session = this.sessions.get(claims.sid);
    if (!session || session.subject !== claims.sub || !this.subjectIsLive(session)) return { ok: false, reason: "revoked" };
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
