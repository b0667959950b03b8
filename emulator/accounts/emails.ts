/** Email/password registrations: what is accepted (App Services: passwords of 6 to 128 characters) and how emails compare. */
import { AccountError } from "./errors";

const EMAIL = /^[^\s@]+@[^\s@]+$/;

/**
 * A registration's email and password, checked. The email is kept in NFC, the form every
 * keyboard's accented letters compose to; one holding compatibility characters (fullwidth
 * letters, ligatures, circled or superscript letters: what NFKC changes and NFC keeps) is
 * refused, because it only looks like the address it folds to and could pose as it.
 */
export function checkRegistration(email: unknown, password: unknown): { email: string; password: string } {
  if (typeof email !== "string" || !EMAIL.test(email) || email.length > 254) {
    throw new AccountError("invalidRegistration", "email invalid");
  }
  const composed = email.normalize("NFC");
  if (composed !== email.normalize("NFKC")) {
    throw new AccountError("invalidRegistration", "email invalid: it holds compatibility characters (such as fullwidth letters or ligatures); type it with ordinary letters");
  }
  if (typeof password !== "string" || password.length < 6 || password.length > 128) {
    throw new AccountError("invalidRegistration", "password must be between 6 and 128 characters");
  }
  return { email: composed, password };
}

/**
 * The key emails compare by, so one address is one account however it is typed:
 * 1. NFKC: compatibility forms become their plain letters (fullwidth "ｂ" and "b", the Kelvin
 *    sign and "K", the "ﬁ" ligature and "fi") and composed and decomposed accents become one;
 * 2. lower case (Unicode's default case mapping; JavaScript has no case fold, which differs from it
 *    only for a few letters such as final sigma), so Bob@Example.com and bob@example.com are one;
 * 3. NFKC again, as lower-casing can leave a sequence NFKC would change.
 * A look-alike spelling therefore names the same account as the real address, never a second one
 * that blocks or shadows it.
 */
export function emailKey(email: string): string {
  return email.trim().normalize("NFKC").toLowerCase().normalize("NFKC");
}

/**
 * Record ids by emailKey: one address, one record, however it is spelled. The first record
 * indexed under a key keeps it (a file written before keys were normalised may hold two
 * spellings of one key), and removing a record frees its key only if the key is still its own.
 */
export class EmailIndex {
  private readonly ids = new Map<string, string>();

  add(email: string, id: string): void {
    const key = emailKey(email);
    if (!this.ids.has(key)) this.ids.set(key, id);
  }

  find(email: string): string | undefined {
    return this.ids.get(emailKey(email));
  }

  remove(email: string, id: string): void {
    const key = emailKey(email);
    if (this.ids.get(key) === id) this.ids.delete(key);
  }
}
