/**
 * The position an export page ends at, handed to the client as an opaque string ("rule.part.skip")
 * and validated when it comes back: it holds positions only, never an id or a document value.
 */
import { InvalidArgumentError } from "./errors";

export interface ExportPosition {
  /** Index of the rule in the cleanup plan. */
  rule: number;
  /** 0: the documents the user owns alone; 1…: each shared shape of the rule. */
  part: number;
  /** Documents of that part already exported. */
  skip: number;
}

export const START: ExportPosition = { rule: 0, part: 0, skip: 0 };

const CURSOR = /^(\d{1,6})\.(\d{1,3})\.(\d{1,9})$/;

export function formatCursor(position: ExportPosition): string {
  return `${position.rule}.${position.part}.${position.skip}`;
}

/** The position in `after`; a malformed cursor or one past the plan's end is an InvalidArgumentError saying what to send. */
export function parseCursor(fn: string, after: unknown, ruleCount: number): ExportPosition {
  if (after === undefined || after === null) return START;
  const fix = `Pass the "next" string the previous page returned, or leave "after" out to start from the first page. Nothing was changed.`;
  if (typeof after !== "string") throw new InvalidArgumentError(`${fn}: "after" must be a string cursor, got ${after === null ? "null" : typeof after}. ${fix}`);
  const match = CURSOR.exec(after);
  if (!match) throw new InvalidArgumentError(`${fn}: "after" is not a cursor this function returned (expected three numbers such as "0.1.100", got ${after.length} characters). ${fix}`);
  const position = { rule: Number(match[1]), part: Number(match[2]), skip: Number(match[3]) };
  if (position.rule >= ruleCount) {
    throw new InvalidArgumentError(`${fn}: "after" points past the cleanup plan's ${ruleCount} rule(s); the plan may have changed since that page. Start again without "after". Nothing was changed.`);
  }
  return position;
}

/** The export's only argument: nothing, or `{ after }`. */
export function exportArgument(fn: string, args: unknown[]): unknown {
  if (args.length === 0) return undefined;
  const arg = args[0];
  const usage = `Call it as ${fn}() for the first page, then ${fn}({ after: page.next }) until next is null. Nothing was changed.`;
  if (args.length > 1 || typeof arg !== "object" || arg === null || Array.isArray(arg)) {
    throw new InvalidArgumentError(`${fn} takes one optional argument, an object { after }. ${usage}`);
  }
  const unknownKeys = Object.keys(arg).filter((key) => key !== "after");
  if (unknownKeys.length > 0) throw new InvalidArgumentError(`${fn}: unknown key(s) ${unknownKeys.map((k) => JSON.stringify(k)).join(", ")}; the only key is "after". ${usage}`);
  return (arg as { after?: unknown }).after;
}
