/**
 * Passwords: scrypt with a per-password salt. The cost is below the usual interactive default
 * because this is a local emulator whose tests create hundreds of users; the parameters travel
 * with each hash, so a stronger setting later still verifies old hashes.
 */
import { createHash, randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from "node:crypto";

const SCRYPT = { N: 4096, r: 8, p: 1, keylen: 32 };

function scrypt(password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCallback(password, salt, keylen, options, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, SCRYPT.keylen, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p });
  return ["scrypt", SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString("base64"), key.toString("base64")].join("$");
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split("$");
  if (scheme !== "scrypt" || !salt || !hash) return false;
  const expected = Buffer.from(hash, "base64");
  const key = await scrypt(password, Buffer.from(salt, "base64"), expected.length, { N: Number(n), r: Number(r), p: Number(p) });
  return timingSafeEqual(key, expected);
}

/**
 * A stored hash no password matches (random salt and key, the current parameters): a login for
 * an email without an account verifies against it, so it costs the same scrypt run as a login
 * for a known one and answers no faster.
 */
export const NO_ACCOUNT_HASH = ["scrypt", SCRYPT.N, SCRYPT.r, SCRYPT.p, randomBytes(16).toString("base64"), randomBytes(SCRYPT.keylen).toString("base64")].join("$");

/** The stored form of an API key: 256 random bits cannot be brute-forced, so a plain hash is enough. */
export function hashApiKey(key: string): string {
  return `sha256$${createHash("sha256").update(key).digest("hex")}`;
}

/** Compares two secrets in constant time: hashed first, so the time is the same whatever the lengths. */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}
