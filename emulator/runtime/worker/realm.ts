/**
 * The realm a function runs in: a fresh node:vm context per call, holding only the App Services
 * globals, from which every member rules.ts forbids has been removed before the function loads,
 * so using one fails with a TypeError as on the platform. The host realm (this worker's own
 * intrinsics, bson, EJSON) keeps everything.
 *
 * Two intrinsics need more than a delete:
 * - Number.EPSILON, MAX_SAFE_INTEGER and MIN_SAFE_INTEGER cannot be deleted (they are not
 *   configurable), so the realm's `Number` is a stand-in that converts and constructs like the
 *   original and carries only its ES5 statics.
 * - Without RegExp.prototype.flags, V8's String#split and RegExp#toString read "undefined" as the
 *   flags (split then throws). Both are redefined from the ES5 properties (global, ignoreCase,
 *   multiline), split by running the host realm's split on an equivalent host RegExp.
 * And the realm's `RegExp` refuses the u and y flags with a SyntaxError, as a literal with them is
 * refused by the build's compatibility check.
 */
import vm from "node:vm";
import { FORBIDDEN_GLOBALS, FORBIDDEN_MEMBERS, FORBIDDEN_REGEXP_FLAGS, citation } from "../rules";

export interface RealmGlobals {
  context: unknown;
  EJSON: unknown;
  BSON: unknown;
  console: unknown;
}

/** The owner expression of each forbidden member, inside the realm. */
const FLAG_RULE = FORBIDDEN_REGEXP_FLAGS[0];
/** A regular expression literal, in the realm's source, matching any forbidden flag. */
const FORBIDDEN_FLAGS_PATTERN = `/[${FORBIDDEN_REGEXP_FLAGS.map((f) => f.flag).join("")}]/`;
const FLAG_ERROR = `the App Services runtime does not support the RegExp flags ${FORBIDDEN_REGEXP_FLAGS.map((f) => f.flag).join(" and ")} ${citation(FLAG_RULE.source)}`;

/** The realm-side script: a function of the host helpers it needs, so they stay out of the global scope. */
const HARDENING_SOURCE = `(function (hostSplit) {
  "use strict";
  var forbiddenGlobals = ${JSON.stringify(FORBIDDEN_GLOBALS.map((g) => g.name))};
  for (var i = 0; i < forbiddenGlobals.length; i++) delete globalThis[forbiddenGlobals[i]];

  var numberMembers = ${JSON.stringify(FORBIDDEN_MEMBERS.filter((m) => m.owner === "Number").map((m) => m.member))};
  ${FORBIDDEN_MEMBERS.filter((m) => m.owner !== "Number").map((m) => `delete ${m.owner}.${m.member};`).join("\n  ")}

  var NativeNumber = Number;
  var RealmNumber = function Number(value) {
    var n = arguments.length === 0 ? 0 : NativeNumber(value);
    return new.target ? new NativeNumber(n) : n;
  };
  Object.getOwnPropertyNames(NativeNumber).forEach(function (key) {
    if (numberMembers.indexOf(key) >= 0 || key === "prototype" || key === "length" || key === "name") return;
    Object.defineProperty(RealmNumber, key, Object.getOwnPropertyDescriptor(NativeNumber, key));
  });
  for (var j = 0; j < numberMembers.length; j++) {
    var own = Object.getOwnPropertyDescriptor(NativeNumber, numberMembers[j]);
    if (own && own.configurable) delete NativeNumber[numberMembers[j]];
  }
  RealmNumber.prototype = NativeNumber.prototype;
  Object.defineProperty(NativeNumber.prototype, "constructor", { value: RealmNumber, writable: true, configurable: true });
  Object.defineProperty(globalThis, "Number", { value: RealmNumber, writable: true, configurable: true });

  var NativeRegExp = RegExp;
  var regExpProto = NativeRegExp.prototype;
  function es5Flags(re) {
    return (re.global ? "g" : "") + (re.ignoreCase ? "i" : "") + (re.multiline ? "m" : "") + (re.dotAll ? "s" : "");
  }
  var RealmRegExp = function RegExp(pattern, flags) {
    if (flags !== undefined && ${FORBIDDEN_FLAGS_PATTERN}.test(String(flags))) {
      throw new SyntaxError("Invalid flags supplied to RegExp constructor '" + String(flags) + "': " + ${JSON.stringify(FLAG_ERROR)});
    }
    return new.target ? new NativeRegExp(pattern, flags) : NativeRegExp(pattern, flags);
  };
  RealmRegExp.prototype = regExpProto;
  Object.defineProperty(regExpProto, "constructor", { value: RealmRegExp, writable: true, configurable: true });
  Object.defineProperty(globalThis, "RegExp", { value: RealmRegExp, writable: true, configurable: true });
  Object.defineProperty(regExpProto, "toString", {
    value: function toString() { return "/" + this.source + "/" + es5Flags(this); },
    writable: true, configurable: true,
  });
  Object.defineProperty(regExpProto, Symbol.split, {
    value: function split(string, limit) {
      var parts = hostSplit(String(string), this.source, es5Flags(this).replace("g", ""), limit);
      var out = [];
      for (var k = 0; k < parts.length; k++) out.push(parts[k]);
      return out;
    },
    writable: true, configurable: true,
  });
})`;

const HARDENING = new vm.Script(HARDENING_SOURCE, { filename: "app-services-realm" });

function hostSplit(text: string, source: string, flags: string, limit: unknown): string[] {
  return text.split(new RegExp(source, flags), limit === undefined ? undefined : Number(limit));
}

/** A fresh context holding `globals` and a predeclared `exports`, with the forbidden members gone. */
export function createRealm(globals: RealmGlobals): vm.Context {
  const sandbox = vm.createContext({ exports: undefined, ...globals });
  (HARDENING.runInContext(sandbox) as (split: typeof hostSplit) => void)(hostSplit);
  return sandbox;
}
