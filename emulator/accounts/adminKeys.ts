/** The one Admin API key pair the emulator accepts (from its secrets), and the admin user id it stands for. */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { sameSecret } from "./passwords";

export class AdminKeys {
  private keys: { publicKey: string; privateKey: string; userId: string } | undefined;

  set(publicKey: string, privateKey: string): void {
    const userId = createHash("sha256").update(`admin:${publicKey}`).digest("hex").slice(0, 24);
    this.keys = { publicKey, privateKey, userId };
  }

  /** The admin user id the accepted key pair stands for (undefined before set). */
  userId(): string | undefined {
    return this.keys?.userId;
  }

  /** The admin user id for a correct key pair, else undefined. Compared in constant time. */
  check(publicKey: unknown, privateKey: unknown): string | undefined {
    const keys = this.keys;
    if (!keys || typeof publicKey !== "string" || typeof privateKey !== "string") return undefined;
    const okPublic = sameSecret(publicKey, keys.publicKey);
    const okPrivate = sameSecret(privateKey, keys.privateKey);
    return okPublic && okPrivate ? keys.userId : undefined;
  }
}

/** A fresh Admin API key pair shaped like Atlas's: 8 lowercase letters, and a UUID. */
export function generateAdminKeyPair(): { publicKey: string; privateKey: string } {
  const letters = "abcdefghijklmnopqrstuvwxyz";
  const publicKey = Array.from(randomBytes(8), (b) => letters[b % letters.length]).join("");
  return { publicKey, privateKey: randomUUID() };
}
