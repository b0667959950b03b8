/**
 * JWT bearer tokens (HS256), as App Services issues them, signed and verified by jose. realm-web
 * decodes the access token's payload itself (`exp`, `iat`, `sub`, `user_data`, `baas_device_id`),
 * so the emulator's tokens are real JWTs; the signature keeps anyone from forging one.
 */
import { randomBytes } from "node:crypto";
import { SignJWT, errors, jwtVerify } from "jose";

/** Which door a token opens: client tokens never work on the Admin API, nor the reverse. */
export type TokenType = "access" | "refresh" | "admin-access" | "admin-refresh";

const TOKEN_TYPES: readonly string[] = ["access", "refresh", "admin-access", "admin-refresh"] satisfies TokenType[];

export const TOKEN_ISSUER = "app-services-emulator";

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

export type TokenCheck = { ok: true; claims: TokenClaims } | { ok: false; reason: "malformed" | "signature" | "expired" };

export function newTokenId(): string {
  return randomBytes(12).toString("hex");
}

export function signToken(key: Uint8Array, claims: TokenClaims): Promise<string> {
  return signClaims(key, { ...claims });
}

/** Any claims as an HS256 JWT (the Flowerbase profile's tokens have their own claims). */
export function signClaims(key: Uint8Array, claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(key);
}

/**
 * Checks algorithm, signature, issuer and expiry at `now` (ms, the state's clock); revocation is
 * the session store's business. Only HS256 is accepted, so an `alg: none` token is malformed.
 */
export async function verifyToken(key: Uint8Array, token: string, now: number): Promise<TokenCheck> {
  const checked = await verifyClaims(key, token, now, { issuer: TOKEN_ISSUER });
  if (!checked.ok) return checked;
  return isClaims(checked.payload) ? { ok: true, claims: checked.payload } : { ok: false, reason: "malformed" };
}

/** verifyToken's checks without the emulator's issuer and claim shape, unless `issuer` is given. */
export async function verifyClaims(
  key: Uint8Array,
  token: string,
  now: number,
  options: { issuer?: string } = {},
): Promise<{ ok: true; payload: Record<string, unknown> } | Extract<TokenCheck, { ok: false }>> {
  try {
    const { payload } = await jwtVerify(token, key, {
      algorithms: ["HS256"],
      typ: "JWT",
      issuer: options.issuer,
      requiredClaims: ["sub", "iat", "exp"],
      currentDate: new Date(now),
    });
    return { ok: true, payload };
  } catch (error) {
    if (error instanceof errors.JWTExpired) return { ok: false, reason: "expired" };
    if (error instanceof errors.JWSSignatureVerificationFailed) return { ok: false, reason: "signature" };
    if (error instanceof errors.JOSEError) return { ok: false, reason: "malformed" };
    throw error;
  }
}

function isClaims(value: unknown): value is TokenClaims {
  if (typeof value !== "object" || value === null) return false;
  const c = value as Record<string, unknown>;
  return typeof c.sub === "string" && typeof c.sid === "string" && typeof c.typ === "string" && TOKEN_TYPES.includes(c.typ);
}

/** Anything shaped like a JWT (every token the emulator issues is one): for redaction and for scans in tests. */
export const JWT_PATTERN = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/;

/** Replaces anything shaped like a JWT, so a log line can never carry a token. */
export function redactTokens(text: string): string {
  return text.replace(new RegExp(JWT_PATTERN.source, "g"), "[redacted token]");
}
