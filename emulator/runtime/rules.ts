/**
 * The App Services function runtime's documented rules, in one table. Hold it next to MongoDB's
 * pages (mongodb/docs-app-services):
 * - source/functions/javascript-support.txt, "Syntax", "Built-In Objects" and
 *   "Built-In Methods & Properties";
 * - source/functions.txt, "Constraints".
 *
 * The build's compatibility check, the type declarations of what a function may use and the
 * emulator's function realm all read this table, so a function that passes the emulator passes
 * the platform. Where a page is terse, the strictest
 * reading wins (../shared/docs/app-services.md): the "Built-In Methods & Properties" rows follow
 * the ES2015 compatibility table, so a row marked No names the members ES2015 added.
 */

import { LIMITS } from "../../lib/limits";

export const DOC_JS_SUPPORT = "docs-app-services source/functions/javascript-support.txt";
export const DOC_CONSTRAINTS = "docs-app-services source/functions.txt, Constraints";

/** Where a rule comes from: the page, and the row or sentence on it. */
export interface RuleSource {
  doc: string;
  says: string;
}

/** A global object the runtime does not have. */
export interface ForbiddenGlobal {
  name: string;
  rule: string;
  source: RuleSource;
  /** What to use instead. */
  instead: string;
}

export const FORBIDDEN_GLOBALS: readonly ForbiddenGlobal[] = [
  {
    name: "Proxy",
    rule: "no-proxy",
    source: { doc: DOC_JS_SUPPORT, says: "Built-In Objects: Proxy, No" },
    instead: "plain objects and functions",
  },
  {
    name: "Reflect",
    rule: "no-reflect",
    source: { doc: DOC_JS_SUPPORT, says: "Built-In Objects: Reflect, No" },
    instead: "Object.keys, Object.getOwnPropertyNames, Function.prototype.apply",
  },
  {
    name: "WeakSet",
    rule: "no-weakset",
    source: { doc: DOC_JS_SUPPORT, says: "Built-In Objects: WeakSet, No" },
    instead: "a WeakMap or a Set (esbuild lowers #private methods to WeakSet: use ordinary methods)",
  },
  {
    name: "BigInt",
    rule: "no-bigint",
    // Not in the table: BigInt is ES2020, and the page promises only ES5 plus "most" of ES2015+.
    source: { doc: DOC_JS_SUPPORT, says: "not listed (ES2020); the page promises ES5 and most of ES2015+" },
    instead: "BSON.Long or a Number",
  },
];

/** A RegExp flag the runtime does not accept. */
export interface ForbiddenRegExpFlag {
  flag: "u" | "y";
  name: string;
  rule: string;
  source: RuleSource;
}

export const FORBIDDEN_REGEXP_FLAGS: readonly ForbiddenRegExpFlag[] = [
  { flag: "u", name: "unicode", rule: "no-regexp-flags", source: { doc: DOC_JS_SUPPORT, says: "Syntax: RegExp -y and -u flags, No" } },
  { flag: "y", name: "sticky", rule: "no-regexp-flags", source: { doc: DOC_JS_SUPPORT, says: "Syntax: RegExp -y and -u flags, No" } },
];

/** Where a forbidden member lives: a constructor's static side, Math, or RegExp instances. */
export type MemberOwner = "Array" | "Number" | "Math" | "RegExp.prototype";

/** A member ES2015 added to a built-in whose row on the page says No. */
export interface ForbiddenMember {
  owner: MemberOwner;
  member: string;
  rule: string;
  source: RuleSource;
  /** The ES5 form to use instead. */
  instead: string;
}

const ARRAY_STATIC: RuleSource = { doc: DOC_JS_SUPPORT, says: "Built-In Methods & Properties: Array static methods, No" };
const NUMBER_STATIC: RuleSource = { doc: DOC_JS_SUPPORT, says: "Built-In Methods & Properties: Number static methods, No" };
const MATH_METHODS: RuleSource = { doc: DOC_JS_SUPPORT, says: "Built-In Methods & Properties: Math methods, No" };
const REGEXP_PROTO: RuleSource = { doc: DOC_JS_SUPPORT, says: "Built-In Methods & Properties: RegExp.prototype properties, No" };

function members(owner: MemberOwner, rule: string, source: RuleSource, entries: Record<string, string>): ForbiddenMember[] {
  return Object.keys(entries).map((member) => ({ owner, member, rule, source, instead: entries[member] }));
}

export const FORBIDDEN_MEMBERS: readonly ForbiddenMember[] = [
  ...members("Array", "no-array-static", ARRAY_STATIC, {
    from: "a for loop, or Array.prototype.slice.call(arrayLike)",
    of: "an array literal",
  }),
  ...members("Number", "no-number-static", NUMBER_STATIC, {
    isFinite: 'typeof x === "number" && isFinite(x)',
    isInteger: 'typeof x === "number" && isFinite(x) && Math.floor(x) === x',
    isSafeInteger: "an integer check and Math.abs(x) <= 9007199254740991",
    isNaN: "x !== x",
    parseFloat: "the global parseFloat",
    parseInt: "the global parseInt",
    EPSILON: "the literal 2.220446049250313e-16",
    MAX_SAFE_INTEGER: "the literal 9007199254740991",
    MIN_SAFE_INTEGER: "the literal -9007199254740991",
  }),
  ...members("Math", "no-math-es2015", MATH_METHODS, {
    trunc: "x < 0 ? Math.ceil(x) : Math.floor(x)",
    sign: "x > 0 ? 1 : x < 0 ? -1 : x",
    cbrt: "Math.pow(x, 1 / 3) (for x >= 0)",
    log2: "Math.log(x) / Math.LN2",
    log10: "Math.log(x) / Math.LN10",
    log1p: "Math.log(1 + x)",
    expm1: "Math.exp(x) - 1",
    hypot: "Math.sqrt(a * a + b * b)",
    clz32: "a loop over the bits",
    imul: "(a * b) | 0 for small operands",
    fround: "a Float32Array of length 1",
    sinh: "(Math.exp(x) - Math.exp(-x)) / 2",
    cosh: "(Math.exp(x) + Math.exp(-x)) / 2",
    tanh: "sinh(x) / cosh(x)",
    asinh: "Math.log(x + Math.sqrt(x * x + 1))",
    acosh: "Math.log(x + Math.sqrt(x * x - 1))",
    atanh: "Math.log((1 + x) / (1 - x)) / 2",
  }),
  ...members("RegExp.prototype", "no-regexp-properties", REGEXP_PROTO, {
    flags: "the global, ignoreCase and multiline properties",
    sticky: "no sticky matching (the y flag is unsupported too)",
    unicode: "no unicode mode (the u flag is unsupported too)",
  }),
];

// The limits live in lib/limits.ts, free of side effects, so a function bundle that needs them
// (lib/config.ts) does not carry the tables above.
export { LIMITS };

export const LIMIT_SOURCES: Record<keyof typeof LIMITS, RuleSource> = {
  timeLimitMs: { doc: DOC_CONSTRAINTS, says: "Functions are capped at 300 seconds of runtime per request" },
  asyncOperations: { doc: DOC_CONSTRAINTS, says: "Functions are limited to 1000 async operations" },
  requestBytes: { doc: DOC_CONSTRAINTS, says: "Incoming requests are limited to a maximum size of 18 MB" },
  memoryBytes: { doc: DOC_CONSTRAINTS, says: "Functions may use up to 350MB of memory at any time" },
  sockets: { doc: DOC_CONSTRAINTS, says: "A Function may open a maximum of 25 sockets" },
};

/** `Array.from`, `RegExp.prototype.flags`: how a member is named in messages. */
export function memberName(m: Pick<ForbiddenMember, "owner" | "member">): string {
  return `${m.owner}.${m.member}`;
}

/** "(docs-app-services source/functions/javascript-support.txt: Built-In Objects: Proxy, No)" */
export function citation(source: RuleSource): string {
  return `(${source.doc}: ${source.says})`;
}
