/**
 * Runtime compatibility check for a built function file: finds what the App Services function
 * runtime rejects (see shared/docs/app-services.md, "Function files") before it is deployed.
 *
 * It parses with acorn and walks the tree with scope tracking, so words inside strings, template
 * text, comments and property names never count, and a local variable that shadows a global
 * (`var module = ...`) is not mistaken for it.
 */
import { messageOf } from "../lib/errors";
import * as acorn from "acorn";

export interface CompatViolation {
  /** Stable rule id, one of RULES. */
  rule: string;
  /** 1-based line. */
  line: number;
  /** 1-based column (the `file:line:column` convention of editors and compilers). */
  column: number;
  message: string;
}

/** Stable rule ids: tests, CI logs and people grep for these. */
export const RULES = {
  syntax: "syntax",
  topLevelRequire: "no-top-level-require",
  module: "no-module",
  importDeclaration: "no-import",
  exportDeclaration: "no-export",
  dynamicImport: "no-dynamic-import",
  bigint: "no-bigint",
  bigintLiteral: "no-bigint-literal",
  proxy: "no-proxy",
  reflect: "no-reflect",
  weakSet: "no-weakset",
  regexpFlags: "no-regexp-flags",
  regexpSyntax: "regexp-syntax",
} as const;

const UNSUPPORTED = "is not supported by the App Services function runtime";

/** Globals listed as unsupported by the runtime's JavaScript support table. */
const FORBIDDEN_GLOBALS: Record<string, { rule: string; message: string }> = {
  BigInt: { rule: RULES.bigint, message: `BigInt ${UNSUPPORTED}; use BSON.Long or a Number` },
  Proxy: { rule: RULES.proxy, message: `Proxy ${UNSUPPORTED}` },
  Reflect: { rule: RULES.reflect, message: `Reflect ${UNSUPPORTED}` },
  WeakSet: {
    rule: RULES.weakSet,
    message: `WeakSet ${UNSUPPORTED} (esbuild lowers #private methods to WeakSet: use ordinary methods)`,
  },
};

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

const PARSE_ES2017: acorn.Options = { ecmaVersion: 2017, sourceType: "script", locations: true };
/** Used only to classify what made the es2017 parse fail, so the report can be specific. */
const PARSE_LATEST_MODULE: acorn.Options = {
  ecmaVersion: "latest",
  sourceType: "module",
  locations: true,
  allowImportExportEverywhere: true,
  allowAwaitOutsideFunction: true,
};
const PARSE_LATEST_SCRIPT: acorn.Options = { ecmaVersion: "latest", sourceType: "script", locations: true };

/** Rules whose constructs cannot parse as an es2017 script: a parse error on one is not reported again as "syntax". */
const SYNTAX_CLASS_RULES = new Set<string>([
  RULES.importDeclaration,
  RULES.exportDeclaration,
  RULES.dynamicImport,
  RULES.bigintLiteral,
]);
const STATEMENT_RULES = new Set<string>([RULES.importDeclaration, RULES.exportDeclaration]);

/**
 * Everything in `source` (a built function file) that the App Services function runtime rejects,
 * sorted by position; an empty array means the file is clean.
 */
export function checkCompatibility(source: string): CompatViolation[] {
  let program: acorn.Program | undefined;
  let syntaxError: AcornSyntaxError | undefined;
  try {
    program = acorn.parse(source, PARSE_ES2017);
  } catch (error) {
    syntaxError = asAcornError(error);
    program = tryParse(source, PARSE_LATEST_MODULE) ?? tryParse(source, PARSE_LATEST_SCRIPT);
  }
  const found = program ? new Walker().run(program) : [];
  // With the newer parse, the findings explain some parse errors: look past them for the rest.
  if (syntaxError && program) syntaxError = firstUnexplainedError(source, found);
  if (syntaxError) found.push(syntaxViolation(source, syntaxError));
  return sortAndDedupe(found.map(({ violation }) => violation));
}

/** `deleteCurrentUser.js:12:5 no-proxy: Proxy is not supported ...`, one line per violation. */
export function formatViolations(functionName: string, violations: CompatViolation[]): string {
  const file = functionName.endsWith(".js") ? functionName : `${functionName}.js`;
  return sortAndDedupe(violations)
    .map((v) => `${file}:${v.line}:${v.column} ${v.rule}: ${v.message}`)
    .join("\n");
}

// ---------------------------------------------------------------------------------------------
// Parsing helpers

/** acorn throws a SyntaxError with its position attached; its typings do not say so. */
type AcornSyntaxError = SyntaxError & { pos: number; loc: acorn.Position };

function asAcornError(error: unknown): AcornSyntaxError {
  if (error instanceof SyntaxError && "loc" in error && "pos" in error) return error as AcornSyntaxError;
  throw error;
}

function tryParse(source: string, options: acorn.Options): acorn.Program | undefined {
  try {
    return acorn.parse(source, options);
  } catch {
    return undefined;
  }
}

/** A finding, with the source range it covers (to tell whether it explains a parse error). */
interface Finding {
  violation: CompatViolation;
  start: number;
  end: number;
}

/**
 * Re-parses as es2017, masking each construct already reported under its own rule (import,
 * export, import(), bigint literal) when the parse stops on it, until the parse succeeds or stops
 * on something else: that is syntax beyond the target that no specific rule names.
 * Masking keeps every offset and line break, so positions stay those of the original source.
 */
function firstUnexplainedError(source: string, found: Finding[]): AcornSyntaxError | undefined {
  const masked = new Set<Finding>();
  let text = source;
  for (;;) {
    try {
      acorn.parse(text, PARSE_ES2017);
      return undefined;
    } catch (error) {
      const parseError = asAcornError(error);
      const culprit = found.find(
        (f) =>
          SYNTAX_CLASS_RULES.has(f.violation.rule) &&
          !masked.has(f) &&
          parseError.pos >= f.start &&
          parseError.pos <= f.end,
      );
      if (!culprit) return parseError;
      masked.add(culprit);
      text = mask(text, culprit);
    }
  }
}

/** Replaces a statement by `;` or an expression by `0`, padded with spaces, keeping line breaks. */
function mask(text: string, finding: Finding): string {
  const statement = STATEMENT_RULES.has(finding.violation.rule);
  const blank = text.slice(finding.start, finding.end).replace(/[^\r\n]/g, " ");
  const replacement = (statement ? ";" : "0") + blank.slice(1);
  return text.slice(0, finding.start) + replacement + text.slice(finding.end);
}

function syntaxViolation(source: string, error: AcornSyntaxError): Finding {
  // acorn appends "(line:column)" to its message; the violation carries the position itself.
  const reason = error.message.replace(/\s*\(\d+:\d+\)$/, "");
  const near = source.slice(error.pos).split(/\r?\n/)[0]?.slice(0, 20) ?? "";
  const detail = near ? `${reason} at "${near}"` : reason;
  return {
    start: error.pos,
    end: error.pos,
    violation: {
      rule: RULES.syntax,
      line: error.loc.line,
      column: error.loc.column + 1,
      message: `syntax beyond ES2017 (${detail}): the App Services function runtime may reject it; lower it with the build's es2017 target or rewrite it`,
    },
  };
}

function sortAndDedupe(violations: CompatViolation[]): CompatViolation[] {
  const seen = new Set<string>();
  return [...violations]
    .sort((a, b) => a.line - b.line || a.column - b.column || a.rule.localeCompare(b.rule))
    .filter((v) => {
      const key = `${v.line}:${v.column}:${v.rule}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}

// ---------------------------------------------------------------------------------------------
// Scope-aware walk

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

/** A violation that applies only if `name` turns out to be free where it was used. */
interface Pending extends Finding {
  scope: Scope;
  name: string;
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

function forbiddenFlags(flags: string): string[] {
  return [...new Set(flags.split("").filter((f) => f === "u" || f === "y"))];
}

function flagsMessage(flags: string[]): string {
  const names = flags.map((f) => (f === "u" ? "'u' (unicode)" : "'y' (sticky)"));
  return `RegExp flag ${names.join(" and ")} ${UNSUPPORTED}`;
}

/**
 * One pass collects declarations per scope and the uses of forbidden names; the uses are judged
 * after the pass, so hoisted declarations (a `var` or function declared below its use) count.
 *
 * `topLevel` is true outside every function, and also inside an immediately invoked function
 * expression, because that runs when the file loads: esbuild's iife format wraps the whole
 * bundle in one, and a require() there fails exactly like one written at the top of the file.
 */
class Walker {
  private readonly direct: Finding[] = [];
  private readonly pending: Pending[] = [];

  run(program: acorn.Program): Finding[] {
    const global = new Scope(undefined, true);
    for (const statement of program.body) this.visit(statement as AnyNode, global, true);
    const free = this.pending.filter((p) => !p.scope.has(p.name));
    return [...this.direct, ...free];
  }

  private finding(node: AnyNode, rule: string, message: string): Finding {
    const start = node.loc?.start ?? { line: 0, column: 0 };
    return { start: node.start, end: node.end, violation: { rule, line: start.line, column: start.column + 1, message } };
  }

  private report(node: AnyNode, rule: string, message: string): void {
    this.direct.push(this.finding(node, rule, message));
  }

  private reportIfFree(node: AnyNode, name: string, scope: Scope, rule: string, message: string): void {
    this.pending.push({ ...this.finding(node, rule, message), scope, name });
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
        // `obj.Proxy` names a property, not the global; `globalThis.Proxy` is the global itself.
        this.globalMember(node, scope);
        this.visit(node.object as AnyNode, scope, topLevel);
        if (node.computed) this.visit(node.property as AnyNode, scope, topLevel);
        return;
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
        for (const declarator of node.declarations) {
          const target = node.kind === "var" ? scope.functionScope() : scope;
          this.declarePattern(declarator.id, target, scope, topLevel);
          if (declarator.init) this.visit(declarator.init as AnyNode, scope, topLevel);
        }
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

  private reference(node: acorn.Identifier, scope: Scope): void {
    if (node.name === "module") this.reportIfFree(node, "module", scope, RULES.module, MODULE_MESSAGE);
    const forbidden = Object.hasOwn(FORBIDDEN_GLOBALS, node.name) ? FORBIDDEN_GLOBALS[node.name] : undefined;
    if (forbidden) this.reportIfFree(node, node.name, scope, forbidden.rule, forbidden.message);
  }

  private literal(node: acorn.Literal): void {
    if (node.bigint !== undefined) {
      this.report(node, RULES.bigintLiteral, `BigInt literal ${node.raw ?? ""}: BigInt ${UNSUPPORTED}; use BSON.Long or a Number`);
    }
    const flags = node.regex ? forbiddenFlags(node.regex.flags) : [];
    if (flags.length > 0) this.report(node, RULES.regexpFlags, flagsMessage(flags));
  }

  private call(node: acorn.CallExpression, scope: Scope, topLevel: boolean): void {
    const callee = node.callee as AnyNode;
    if (topLevel && callee.type === "Identifier" && callee.name === "require") {
      this.reportIfFree(node, "require", scope, RULES.topLevelRequire, REQUIRE_MESSAGE);
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
    const property = node.property as AnyNode;
    const name = node.computed ? stringValue(property) : property.type === "Identifier" ? property.name : undefined;
    const forbidden = name !== undefined && Object.hasOwn(FORBIDDEN_GLOBALS, name) ? FORBIDDEN_GLOBALS[name] : undefined;
    if (forbidden) this.reportIfFree(node, "globalThis", scope, forbidden.rule, forbidden.message);
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
    if (flags.length > 0) return this.reportIfFree(node, "RegExp", scope, RULES.regexpFlags, flagsMessage(flags));
    const pattern = stringValue(node.arguments[0] as AnyNode | undefined);
    if (pattern === undefined || flagsText === undefined) return;
    const problem = es2017RegExpProblem(pattern, flagsText);
    if (problem) this.reportIfFree(node, "RegExp", scope, RULES.regexpSyntax, `RegExp ${JSON.stringify(pattern)} with flags "${flagsText}" is beyond ES2017 (${problem}): the App Services function runtime may reject it`);
  }

  /** `topLevel` here is the caller's when the function is invoked immediately, else false. */
  private visitFunction(
    node: acorn.Function,
    outer: Scope,
    topLevel: boolean,
  ): void {
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

  /** Declares the names a binding pattern introduces; defaults and computed keys are ordinary expressions. */
  private declarePattern(pattern: Pattern, target: Scope, scope: Scope, topLevel: boolean): void {
    switch (pattern.type) {
      case "Identifier":
        return target.declare(pattern.name);
      case "ObjectPattern":
        for (const property of pattern.properties) {
          if (property.type === "RestElement") {
            this.declarePattern(property.argument, target, scope, topLevel);
          } else {
            if (property.computed) this.visit(property.key as AnyNode, scope, topLevel);
            this.declarePattern(property.value as Pattern, target, scope, topLevel);
          }
        }
        return;
      case "ArrayPattern":
        for (const element of pattern.elements) if (element) this.declarePattern(element, target, scope, topLevel);
        return;
      case "RestElement":
        return this.declarePattern(pattern.argument, target, scope, topLevel);
      case "AssignmentPattern":
        this.declarePattern(pattern.left, target, scope, topLevel);
        return this.visit(pattern.right as AnyNode, scope, topLevel);
      default:
        // A member expression target (only in assignments) reads its object.
        return this.visit(pattern as AnyNode, scope, topLevel);
    }
  }
}
