/**
 * JWT-shaped bearer tokens (HS256), as App Services issues them. realm-web decodes the access
 * token's payload itself (`exp`, `iat`, `sub`, `user_data`, `baas_device_id`), so the emulator's
 * tokens must be real three-part JWTs; the signature keeps anyone from forging one.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** Which door a token opens: client tokens never work on the Admin API, nor the reverse. */
export type TokenType = "access" | "refresh" | "admin-access" | "admin-refresh";

export interface TokenClaims {
  /** The user id (client) or the API key's user id (admin). */
  sub: string;
  /** The session the token belongs to: revoking the session kills the token at once. */
  sid: string;
  typ: TokenType;
  /** Seconds since the epoch, as in every JWT. */
  iat: number;
  exp: number;
  /** A random id so two tokens minted in the same second differ. */
  jti: string;
  iss: string;
  baas_device_id?: string;
  user_data?: Record<string, unknown>;
}

export type TokenCheck = { ok: true; claims: TokenClaims } | { ok: false; reason: "malformed" | "signature" };

const HEADER = base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));

export function newTokenId(): string {
  return randomBytes(12).toString("hex");
}

export function signToken(key: Buffer, claims: TokenClaims): string {
  const payload = base64url(JSON.stringify(claims));
  return `${HEADER}.${payload}.${signature(key, `${HEADER}.${payload}`)}`;
}

/** Checks shape and signature only; expiry and revocation are the session store's business. */
export function verifyToken(key: Buffer, token: string): TokenCheck {
  const parts = token.split(".");
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]+$/.test(p))) return { ok: false, reason: "malformed" };
  const expected = Buffer.from(signature(key, `${parts[0]}.${parts[1]}`));
  const given = Buffer.from(parts[2]);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: "signature" };
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
  } catch {
    return { ok: false, reason: "malformed" };
  }
  if (!isClaims(claims)) return { ok: false, reason: "malformed" };
  return { ok: true, claims };
}

function isClaims(value: unknown): value is TokenClaims {
  if (typeof value !== "object" || value === null) return false;
  const c = value as Record<string, unknown>;
  return (
    typeof c.sub === "string" &&
    typeof c.sid === "string" &&
    typeof c.typ === "string" &&
    ["access", "refresh", "admin-access", "admin-refresh"].includes(c.typ) &&
    typeof c.iat === "number" &&
    typeof c.exp === "number"
  );
}

function signature(key: Buffer, data: string): string {
  return createHmac("sha256", key).update(data).digest("base64url");
}

function base64url(text: string): string {
  return Buffer.from(text, "utf8").toString("base64url");
}

/** Anything shaped like a JWT (every token the emulator issues is one): for redaction and for scans in tests. */
export const JWT_PATTERN = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/;

/** Replaces anything shaped like a JWT, so a log line can never carry a token. */
export function redactTokens(text: string): string {
  return text.replace(new RegExp(JWT_PATTERN.source, "g"), "[redacted token]");
}
