/**
 * The compatibility check's scope-aware walk over a parsed function file (build/compat.ts runs
 * it). What the runtime lacks comes from the one table, emulator/runtime/rules.ts; the rules
 * about how a file is loaded (require, module, import, export, a top-level "use strict") are the
 * build's own.
 */
import * as acorn from "acorn";
import { messageOf } from "../lib/errors";
import {
  citation,
  FORBIDDEN_GLOBALS,
  FORBIDDEN_MEMBERS,
  FORBIDDEN_REGEXP_FLAGS,
  memberName,
  type ForbiddenGlobal,
  type ForbiddenMember,
  type ForbiddenRegExpFlag,
  type MemberOwner,
} from "../emulator/runtime/rules";

export interface CompatViolation {
  /** Stable rule id: one of RULES, or a rule of emulator/runtime/rules.ts. */
  rule: string;
  /** 1-based line in the checked file. */
  line: number;
  /** 1-based column (the `file:line:column` convention of editors and compilers). */
  column: number;
  message: string;
  /**
   * The innermost variable whose initializer holds the violation (`__privateAdd`), so code
   * esbuild generated, which has no source position, can still be explained.
   */
  declaredIn?: string;
}

/** The build's own rule ids (the runtime's are in rules.ts): tests, CI logs and people grep for these. */
export const RULES = {
  syntax: "syntax",
  topLevelRequire: "no-top-level-require",
  module: "no-module",
  importDeclaration: "no-import",
  exportDeclaration: "no-export",
  dynamicImport: "no-dynamic-import",
  bigintLiteral: "no-bigint-literal",
  regexpSyntax: "regexp-syntax",
  topLevelUseStrict: "no-top-level-use-strict",
} as const;

const UNSUPPORTED = "is not supported by the App Services function runtime";

const MODULE_MESSAGE =
  "`module` is referenced, but the App Services function runtime has no `module` global: assign the entry point to the bare `exports` identifier instead of module.exports";
const REQUIRE_MESSAGE =
  "require() runs at the top level of the file, but App Services resolves modules only inside a running function: move the require into the exported function";
const IMPORT_MESSAGE =
  "import declaration: an App Services function file is a plain script, not an ES module, so it fails to load; bundle the dependency into the file instead";
const EXPORT_MESSAGE =
  "export declaration: an App Services function file is a plain script, not an ES module; assign the entry point to the bare `exports` identifier instead";
const DYNAMIC_IMPORT_MESSAGE =
  "import() expression: the App Services function runtime cannot load ES modules; bundle the module into the file instead";
const USE_STRICT_MESSAGE =
  'a top-level "use strict" makes the file\'s `exports = ...` a ReferenceError where the platform supplies `exports` as a sloppy script variable: keep "use strict" inside the bundle\'s closure';

const GLOBALS = new Map<string, ForbiddenGlobal>(FORBIDDEN_GLOBALS.map((g) => [g.name, g]));
const BIGINT = GLOBALS.get("BigInt");

/** Owner ("Array", "RegExp.prototype") → member name → its row in the table. */
const MEMBERS = new Map<MemberOwner, Map<string, ForbiddenMember>>();
for (const m of FORBIDDEN_MEMBERS) {
  if (!MEMBERS.has(m.owner)) MEMBERS.set(m.owner, new Map());
  MEMBERS.get(m.owner)?.set(m.member, m);
}
/** The constructors whose instances' members the table forbids: "RegExp" for "RegExp.prototype". */
const INSTANCE_OWNERS = new Map<string, MemberOwner>(
  [...MEMBERS.keys()].filter((o) => o.endsWith(".prototype")).map((o) => [o.slice(0, -".prototype".length), o]),
);

function globalMessage(global: ForbiddenGlobal, what: string = global.name): string {
  return `${what} ${UNSUPPORTED}: use ${global.instead} ${citation(global.source)}`;
}

function memberMessage(member: ForbiddenMember): string {
  return `${memberName(member)} ${UNSUPPORTED}: use ${member.instead} ${citation(member.source)}`;
}

/** The table's rows for the forbidden flags among `flags` (a RegExp's flags string). */
function forbiddenFlags(flags: string): ForbiddenRegExpFlag[] {
  return FORBIDDEN_REGEXP_FLAGS.filter((r) => flags.includes(r.flag));
}

/** One violation for all of a RegExp's forbidden flags, under the first row's rule. */
function flagsViolation(rows: ForbiddenRegExpFlag[]): { rule: string; message: string } {
  const names = rows.map((r) => `'${r.flag}' (${r.name})`).join(" and ");
  const sources = [...new Set(rows.map((r) => citation(r.source)))].join(" ");
  return { rule: rows[0]?.rule ?? "", message: `RegExp flag ${names} ${UNSUPPORTED}: remove it ${sources}` };
}

// ---------------------------------------------------------------------------------------------
// Scopes

type AnyNode = acorn.AnyNode;
type Pattern = acorn.Pattern;

class Scope {
  private readonly names = new Set<string>();
  constructor(
    readonly parent: Scope | undefined,
    readonly isFunction: boolean,
  ) {}

  declare(name: string): void {
    this.names.add(name);
  }

  /** Where `var` and (sloppy-mode) function declarations land. */
  functionScope(): Scope {
    let scope: Scope = this;
    while (!scope.isFunction && scope.parent) scope = scope.parent;
    return scope;
  }

  has(name: string): boolean {
    for (let scope: Scope | undefined = this; scope; scope = scope.parent) {
      if (scope.names.has(name)) return true;
    }
    return false;
  }
}

/** A violation, with the source range it covers (to tell whether it explains a parse error). */
export interface Finding {
  violation: CompatViolation;
  start: number;
  end: number;
}

/** A violation that applies only if every name in `names` turns out to be free where it was used. */
interface Pending extends Finding {
  scope: Scope;
  names: string[];
}

const NON_CHILD_KEYS = new Set(["type", "start", "end", "loc", "range"]);

function isNode(value: unknown): value is AnyNode {
  return typeof value === "object" && value !== null && typeof (value as { type?: unknown }).type === "string";
}

function childNodes(node: AnyNode): AnyNode[] {
  const children: AnyNode[] = [];
  for (const [key, value] of Object.entries(node)) {
    if (NON_CHILD_KEYS.has(key)) continue;
    if (isNode(value)) children.push(value);
    else if (Array.isArray(value)) children.push(...value.filter(isNode));
  }
  return children;
}

function isFunctionNode(node: AnyNode): node is acorn.FunctionExpression | acorn.ArrowFunctionExpression {
  return node.type === "FunctionExpression" || node.type === "ArrowFunctionExpression";
}

/** `(function(){...})()`, `(() => ...)()` and `(function(){...}).call(this)`: run at load time. */
function immediatelyInvoked(callee: AnyNode): (acorn.FunctionExpression | acorn.ArrowFunctionExpression) | undefined {
  if (isFunctionNode(callee)) return callee;
  if (
    callee.type === "MemberExpression" &&
    !callee.computed &&
    callee.property.type === "Identifier" &&
    (callee.property.name === "call" || callee.property.name === "apply") &&
    isFunctionNode(callee.object)
  ) {
    return callee.object;
  }
  return undefined;
}

function stringValue(node: AnyNode | undefined): string | undefined {
  if (!node) return undefined;
  if (node.type === "Literal" && typeof node.value === "string") return node.value;
  if (node.type === "TemplateLiteral" && node.expressions.length === 0) return node.quasis[0]?.value.cooked ?? undefined;
  return undefined;
}

/** The property a member expression or a destructuring key names, when it is written out. */
function keyName(key: AnyNode, computed: boolean): string | undefined {
  if (computed) return stringValue(key);
  return key.type === "Identifier" ? key.name : stringValue(key);
}

/** Why `pattern` with `flags` is not an ES2017 regular expression, or undefined when it is one. */
function es2017RegExpProblem(pattern: string, flags: string): string | undefined {
  // As a literal: every "/" not already escaped gets a backslash, line breaks become escapes.
  let source = "";
  let escaped = false;
  for (const char of pattern) {
    if (char === "\n" || char === "\r") source += char === "\n" ? "\\n" : "\\r";
    else source += char === "/" && !escaped ? "\\/" : char;
    escaped = char === "\\" && !escaped;
  }
  try {
    acorn.parse(`/${source}/${flags}`, { ecmaVersion: 2017 });
    return undefined;
  } catch (error) {
    return messageOf(error).replace(/\s*\(\d+:\d+\)$/, "");
  }
}

/**
 * What an expression visibly is, for the member rules: a global that owns forbidden members
 * (`Array`, `globalThis.Math`) or an instance of one (`/x/`, `new RegExp(a)`, `RegExp.prototype`).
 * `free` lists the names that must not be shadowed for that to hold.
 */
interface Receiver {
  owner: MemberOwner;
  free: string[];
}

function receiverOf(node: AnyNode): Receiver | undefined {
  if (node.type === "Identifier" && MEMBERS.has(node.name as MemberOwner)) return { owner: node.name as MemberOwner, free: [node.name] };
  if (node.type === "MemberExpression" && node.object.type === "Identifier") {
    const object = node.object.name;
    const name = keyName(node.property as AnyNode, node.computed);
    if (object === "globalThis" && name !== undefined && MEMBERS.has(name as MemberOwner)) return { owner: name as MemberOwner, free: ["globalThis"] };
    const instanceOwner = INSTANCE_OWNERS.get(object);
    if (instanceOwner && name === "prototype") return { owner: instanceOwner, free: [object] };
  }
  if (node.type === "Literal" && node.regex && INSTANCE_OWNERS.has("RegExp")) return { owner: INSTANCE_OWNERS.get("RegExp") as MemberOwner, free: [] };
  if ((node.type === "NewExpression" || node.type === "CallExpression") && node.callee.type === "Identifier") {
    const instanceOwner = INSTANCE_OWNERS.get(node.callee.name);
    if (instanceOwner) return { owner: instanceOwner, free: [node.callee.name] };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// The walk

/**
 * One pass collects declarations per scope and the uses of forbidden names; the uses are judged
 * after the pass, so hoisted declarations (a `var` or function declared below its use) count.
 *
 * `topLevel` is true outside every function, and also inside an immediately invoked function
 * expression, because that runs when the file loads: esbuild's iife format wraps the whole
 * bundle in one, and a require() there fails exactly like one written at the top of the file.
 */
export class Walker {
  private readonly direct: Finding[] = [];
  private readonly pending: Pending[] = [];
  /** The variables whose initializers are being walked, innermost last. */
  private readonly declaring: string[] = [];

  run(program: acorn.Program): Finding[] {
    const global = new Scope(undefined, true);
    this.directives(program);
    for (const statement of program.body) this.visit(statement as AnyNode, global, true);
    const free = this.pending.filter((p) => p.names.every((name) => !p.scope.has(name)));
    return [...this.direct, ...free];
  }

  private finding(node: AnyNode, rule: string, message: string): Finding {
    const start = node.loc?.start ?? { line: 0, column: 0 };
    const declaredIn = this.declaring[this.declaring.length - 1];
    const violation: CompatViolation = { rule, line: start.line, column: start.column + 1, message };
    if (declaredIn !== undefined) violation.declaredIn = declaredIn;
    return { start: node.start, end: node.end, violation };
  }

  private report(node: AnyNode, rule: string, message: string): void {
    this.direct.push(this.finding(node, rule, message));
  }

  /** Reports when none of `names` is declared where `node` is: `[]` reports unconditionally. */
  private reportIfFree(node: AnyNode, names: string[], scope: Scope, rule: string, message: string): void {
    this.pending.push({ ...this.finding(node, rule, message), scope, names });
  }

  /** A "use strict" in the file's own directive prologue (esbuild hoists it there unless it is wrapped). */
  private directives(program: acorn.Program): void {
    for (const statement of program.body) {
      if (statement.type !== "ExpressionStatement" || typeof statement.directive !== "string") break;
      if (statement.directive === "use strict") this.report(statement as AnyNode, RULES.topLevelUseStrict, USE_STRICT_MESSAGE);
    }
  }

  private visitAll(nodes: readonly (AnyNode | null | undefined)[], scope: Scope, topLevel: boolean): void {
    for (const node of nodes) if (node) this.visit(node, scope, topLevel);
  }

  private visit(node: AnyNode, scope: Scope, topLevel: boolean): void {
    switch (node.type) {
      case "Identifier":
        return this.reference(node, scope);
      case "Literal":
        return this.literal(node);
      case "MemberExpression":
        this.globalMember(node, scope);
        this.member(node, scope);
        return this.memberParts(node, scope, topLevel);
      case "AssignmentExpression":
        return this.assignment(node, scope, topLevel);
      case "Property":
      case "MethodDefinition":
      case "PropertyDefinition":
        // `{ Reflect: 1 }` names a key; a shorthand `{ Reflect }` still reads the variable (its value).
        if (node.computed) this.visit(node.key as AnyNode, scope, topLevel);
        if (node.value) this.visit(node.value as AnyNode, scope, topLevel);
        return;
      case "LabeledStatement":
        return this.visit(node.body as AnyNode, scope, topLevel);
      case "BreakStatement":
      case "ContinueStatement":
      case "MetaProperty":
        return;
      case "VariableDeclaration":
        for (const declarator of node.declarations) this.declarator(declarator, node.kind === "var" ? scope.functionScope() : scope, scope, topLevel);
        return;
      case "FunctionDeclaration":
        if (node.id) {
          // Block-level functions are also visible function-wide in sloppy scripts (Annex B).
          scope.declare(node.id.name);
          scope.functionScope().declare(node.id.name);
        }
        return this.visitFunction(node, scope, false);
      case "FunctionExpression":
      case "ArrowFunctionExpression":
        return this.visitFunction(node, scope, false);
      case "ClassDeclaration":
        if (node.id) scope.declare(node.id.name);
        return this.visitClass(node, scope, topLevel);
      case "ClassExpression":
        return this.visitClass(node, scope, topLevel);
      case "CatchClause": {
        const inner = new Scope(scope, false);
        if (node.param) this.declarePattern(node.param, inner, inner, topLevel);
        return this.visit(node.body, inner, topLevel);
      }
      case "BlockStatement":
      case "StaticBlock":
      case "ForStatement":
      case "ForInStatement":
      case "ForOfStatement":
      case "SwitchStatement":
        return this.visitAll(childNodes(node), new Scope(scope, false), topLevel);
      case "CallExpression":
        return this.call(node, scope, topLevel);
      case "NewExpression":
        this.regExpConstructor(node, scope);
        return this.visitAll(childNodes(node), scope, topLevel);
      case "ImportExpression":
        this.report(node, RULES.dynamicImport, DYNAMIC_IMPORT_MESSAGE);
        return this.visit(node.source as AnyNode, scope, topLevel);
      case "ImportDeclaration":
        this.report(node, RULES.importDeclaration, IMPORT_MESSAGE);
        for (const specifier of node.specifiers) scope.declare(specifier.local.name);
        return;
      case "ExportNamedDeclaration":
      case "ExportDefaultDeclaration":
        this.report(node, RULES.exportDeclaration, EXPORT_MESSAGE);
        if (node.declaration) this.visit(node.declaration as AnyNode, scope, topLevel);
        return;
      case "ExportAllDeclaration":
        return this.report(node, RULES.exportDeclaration, EXPORT_MESSAGE);
      default:
        return this.visitAll(childNodes(node), scope, topLevel);
    }
  }

  private memberParts(node: acorn.MemberExpression, scope: Scope, topLevel: boolean): void {
    this.visit(node.object as AnyNode, scope, topLevel);
    if (node.computed) this.visit(node.property as AnyNode, scope, topLevel);
  }

  private declarator(declarator: acorn.VariableDeclarator, target: Scope, scope: Scope, topLevel: boolean): void {
    this.declarePattern(declarator.id, target, scope, topLevel);
    if (!declarator.init) return;
    const init = declarator.init as AnyNode;
    this.destructured(declarator.id, init, scope);
    const named = declarator.id.type === "Identifier";
    if (named) this.declaring.push((declarator.id as acorn.Identifier).name);
    this.visit(init, scope, topLevel);
    if (named) this.declaring.pop();
  }

  /** `Math.trunc = polyfill` defines the member rather than using it; `({ from } = Array)` reads it. */
  private assignment(node: acorn.AssignmentExpression, scope: Scope, topLevel: boolean): void {
    const left = node.left as AnyNode;
    if (left.type === "MemberExpression" && node.operator === "=") this.memberParts(left, scope, topLevel);
    else if (left.type === "ObjectPattern" || left.type === "ArrayPattern") this.declarePattern(left, scope, scope, topLevel, false);
    else this.visit(left, scope, topLevel);
    this.destructured(node.left, node.right as AnyNode, scope);
    this.visit(node.right as AnyNode, scope, topLevel);
  }

  private reference(node: acorn.Identifier, scope: Scope): void {
    if (node.name === "module") this.reportIfFree(node, ["module"], scope, RULES.module, MODULE_MESSAGE);
    const forbidden = GLOBALS.get(node.name);
    if (forbidden) this.reportIfFree(node, [node.name], scope, forbidden.rule, globalMessage(forbidden));
  }

  private literal(node: acorn.Literal): void {
    if (node.bigint !== undefined && BIGINT) {
      this.report(node, RULES.bigintLiteral, globalMessage(BIGINT, `BigInt literal ${node.raw ?? ""}: BigInt`));
    }
    const flags = node.regex ? forbiddenFlags(node.regex.flags) : [];
    if (flags.length > 0) {
      const { rule, message } = flagsViolation(flags);
      this.report(node, rule, message);
    }
  }

  private call(node: acorn.CallExpression, scope: Scope, topLevel: boolean): void {
    const callee = node.callee as AnyNode;
    if (topLevel && callee.type === "Identifier" && callee.name === "require") {
      this.reportIfFree(node, ["require"], scope, RULES.topLevelRequire, REQUIRE_MESSAGE);
    }
    this.regExpConstructor(node, scope);
    const invoked = immediatelyInvoked(callee);
    if (invoked) {
      this.visitFunction(invoked, scope, topLevel);
      if (callee !== invoked) this.visitAll(childNodes(callee).filter((c) => c !== invoked), scope, topLevel);
    } else {
      this.visit(callee, scope, topLevel);
    }
    this.visitAll(node.arguments as AnyNode[], scope, topLevel);
  }

  /** `globalThis.Proxy`, `globalThis["Reflect"]`: a forbidden global reached through the global object. */
  private globalMember(node: acorn.MemberExpression, scope: Scope): void {
    const object = node.object as AnyNode;
    if (object.type !== "Identifier" || object.name !== "globalThis") return;
    const name = keyName(node.property as AnyNode, node.computed);
    const forbidden = name === undefined ? undefined : GLOBALS.get(name);
    if (forbidden) this.reportIfFree(node, ["globalThis"], scope, forbidden.rule, globalMessage(forbidden));
  }

  /** `Array.from`, `Math["trunc"]`, `globalThis.Number.isInteger`, `/x/y.sticky`, `new RegExp(a).flags`. */
  private member(node: acorn.MemberExpression, scope: Scope): void {
    const receiver = receiverOf(node.object as AnyNode);
    if (!receiver) return;
    const name = keyName(node.property as AnyNode, node.computed);
    const forbidden = name === undefined ? undefined : MEMBERS.get(receiver.owner)?.get(name);
    if (forbidden) this.reportIfFree(node, receiver.free, scope, forbidden.rule, memberMessage(forbidden));
  }

  /** `const { from } = Array`, `({ isInteger: isInt } = Number)`, `const { flags } = /x/`. */
  private destructured(pattern: Pattern | AnyNode, source: AnyNode, scope: Scope): void {
    if (pattern.type !== "ObjectPattern") return;
    const receiver = receiverOf(source);
    const members = receiver && MEMBERS.get(receiver.owner);
    if (!receiver || !members) return;
    for (const property of pattern.properties) {
      if (property.type !== "Property") continue;
      const name = keyName(property.key as AnyNode, property.computed);
      const forbidden = name === undefined ? undefined : members.get(name);
      if (forbidden) this.reportIfFree(property as AnyNode, receiver.free, scope, forbidden.rule, memberMessage(forbidden));
    }
  }

  /**
   * `new RegExp(x, "u")` and `RegExp(x, "y")` with a literal flags string; and, with a literal
   * pattern too, a regular expression beyond ES2017 (esbuild rewrites /a.b/s, named groups and
   * lookbehind into exactly such calls when it lowers them, so the literal check never sees them).
   */
  private regExpConstructor(node: acorn.CallExpression | acorn.NewExpression, scope: Scope): void {
    const callee = node.callee as AnyNode;
    if (callee.type !== "Identifier" || callee.name !== "RegExp") return;
    const flagsText = node.arguments.length > 1 ? stringValue(node.arguments[1] as AnyNode) : "";
    const flags = forbiddenFlags(flagsText ?? "");
    if (flags.length > 0) {
      const { rule, message } = flagsViolation(flags);
      return this.reportIfFree(node, ["RegExp"], scope, rule, message);
    }
    const pattern = stringValue(node.arguments[0] as AnyNode | undefined);
    if (pattern === undefined || flagsText === undefined) return;
    const problem = es2017RegExpProblem(pattern, flagsText);
    if (problem) this.reportIfFree(node, ["RegExp"], scope, RULES.regexpSyntax, `RegExp ${JSON.stringify(pattern)} with flags "${flagsText}" is beyond ES2017 (${problem}): the App Services function runtime may reject it`);
  }

  /** `topLevel` here is the caller's when the function is invoked immediately, else false. */
  private visitFunction(node: acorn.Function, outer: Scope, topLevel: boolean): void {
    const inner = new Scope(outer, true);
    // A function expression's own name is visible only inside it.
    if (node.type === "FunctionExpression" && node.id) inner.declare(node.id.name);
    for (const param of node.params) this.declarePattern(param, inner, inner, topLevel);
    const body = node.body as AnyNode;
    // The body's top-level declarations share the parameters' scope.
    if (body.type === "BlockStatement") this.visitAll(body.body as AnyNode[], inner, topLevel);
    else this.visit(body, inner, topLevel);
  }

  private visitClass(node: acorn.Class, outer: Scope, topLevel: boolean): void {
    const inner = new Scope(outer, false);
    if (node.id) inner.declare(node.id.name);
    if (node.superClass) this.visit(node.superClass as AnyNode, outer, topLevel);
    this.visitAll(node.body.body as AnyNode[], inner, topLevel);
  }

  /**
   * Declares the names a binding pattern introduces (unless `declares` is false: an assignment
   * pattern assigns existing names); defaults and computed keys are ordinary expressions.
   */
  private declarePattern(pattern: Pattern, target: Scope, scope: Scope, topLevel: boolean, declares = true): void {
    switch (pattern.type) {
      case "Identifier":
        if (declares) target.declare(pattern.name);
        else this.visit(pattern, scope, topLevel);
        return;
      case "ObjectPattern":
        for (const property of pattern.properties) {
          if (property.type === "RestElement") {
            this.declarePattern(property.argument, target, scope, topLevel, declares);
          } else {
            if (property.computed) this.visit(property.key as AnyNode, scope, topLevel);
            this.declarePattern(property.value as Pattern, target, scope, topLevel, declares);
          }
        }
        return;
      case "ArrayPattern":
        for (const element of pattern.elements) if (element) this.declarePattern(element, target, scope, topLevel, declares);
        return;
      case "RestElement":
        return this.declarePattern(pattern.argument, target, scope, topLevel, declares);
      case "AssignmentPattern":
        this.declarePattern(pattern.left, target, scope, topLevel, declares);
        // `function f({ from } = Array)` reads Array.from.
        this.destructured(pattern.left, pattern.right as AnyNode, scope);
        return this.visit(pattern.right as AnyNode, scope, topLevel);
      default:
        // A member expression target (only in assignments) reads its object.
        return this.visit(pattern as AnyNode, scope, topLevel);
    }
  }
}
