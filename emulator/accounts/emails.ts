/** Email/password registrations: what is accepted (App Services: passwords of 6 to 128 characters) and how emails compare. */
import { AccountError } from "./errors";

const EMAIL = /^[^\s@]+@[^\s@]+$/;

export function checkRegistration(email: unknown, password: unknown): { email: string; password: string } {
  if (typeof email !== "string" || !EMAIL.test(email) || email.length > 254) {
    throw new AccountError("invalidRegistration", "email invalid");
  }
  if (typeof password !== "string" || password.length < 6 || password.length > 128) {
    throw new AccountError("invalidRegistration", "password must be between 6 and 128 characters");
  }
  return { email, password };
}

/** Emails compare without case: Bob@Example.com and bob@example.com are one account. */
export function emailKey(email: string): string {
  return email.trim().toLowerCase();
}
