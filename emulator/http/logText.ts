/** Text from a request (a function name, an error message) made safe to put in a log line, and kept free of secrets. */
import { personalDataRedactor } from "../../lib/adminRequest";
import { redactTokens } from "../accounts/tokens";

/**
 * Control characters (C0, DEL, C1), the Unicode line and paragraph separators and the
 * bidirectional marks and overrides, as `\uXXXX`; a backslash doubled so an escape cannot be
 * faked. So one log line stays one line and reads as written: a newline in a name cannot start
 * a forged line, and right-to-left overrides cannot reorder what a reader sees.
 */
const UNSAFE_IN_LOG = /[\\\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

export function escapeForLog(text: string): string {
  return text.replace(UNSAFE_IN_LOG, function escapeChar(c) {
    return c === "\\" ? "\\\\" : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
  });
}

/** Where the emulator's lines go when no log is given: the process's standard output. */
export function printLine(line: string): void {
  console.log(line);
}

/**
 * Keeps the key pair, tokens and email addresses out of anything the emulator sends or logs: a
 * logged request path can hold one (the Admin API's …/by_email/<email>), so can a function's error.
 */
export function redactor(secrets: Record<string, string>): (text: string) => string {
  return function redact(text: string): string {
    let out = redactTokens(text);
    for (const secret of Object.values(secrets)) if (secret.length >= 6) out = out.split(secret).join("[redacted]");
    return personalDataRedactor(out)(out);
  };
}
