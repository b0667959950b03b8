import { build } from "esbuild";
import * as acorn from "acorn";
import { checkCompatibility, formatViolations, RULES, type CompatViolation } from "../../build/compat";

/** Rule id and line of each violation, the part of a report these tests pin down. */
function summary(source: string): Array<[string, number]> {
  return checkCompatibility(source).map((v) => [v.rule, v.line]);
}

describe("checkCompatibility: each rule fires on the right line", () => {
  const cases: Array<[string, string, string, number]> = [
    // [title, source, rule, line]
    ["top-level require", 'var a = 1;\nvar lib = require("lib");', RULES.topLevelRequire, 2],
    [
      "require inside the iife that wraps an esbuild bundle",
      'var __fn = (() => {\n  var lib = require("lib");\n})();',
      RULES.topLevelRequire,
      2,
    ],
    ["require inside (function(){}).call(this)", '(function () {\n  require("x");\n}).call(this);', RULES.topLevelRequire, 2],
    ["module.exports", "var a = 1;\n\nmodule.exports = a;", RULES.module, 3],
    ["typeof module", 'var isNode = typeof module !== "undefined";', RULES.module, 1],
    ["import declaration", '\nimport x from "y";\nexports = x;', RULES.importDeclaration, 2],
    ["export declaration", "var a = 1;\nexport default function () {}", RULES.exportDeclaration, 2],
    ["named export", "export const a = 1;", RULES.exportDeclaration, 1],
    ["dynamic import", 'exports = async function () {\n  return import("x");\n};', RULES.dynamicImport, 2],
    ["BigInt", "var a = 1;\nvar b = BigInt(2);", RULES.bigint, 2],
    ["Proxy", "\n\nvar p = new Proxy({}, {});", RULES.proxy, 3],
    ["Reflect", "var keys = Reflect.ownKeys({});", RULES.reflect, 1],
    ["WeakSet", "var a;\nvar s = new WeakSet();", RULES.weakSet, 2],
    ["shorthand property reads the global", "var o = {\n  Reflect\n};", RULES.reflect, 2],
    ["bigint literal", "var a = 1;\nvar big = 10n;", RULES.bigintLiteral, 2],
    ["RegExp literal with u", "var a = 1;\nvar r = /x/u;", RULES.regexpFlags, 2],
    ["RegExp literal with y", "var r = /x/gy;", RULES.regexpFlags, 1],
    ["new RegExp with u flags", 'var a;\nvar r = new RegExp(a, "gu");', RULES.regexpFlags, 2],
    ["RegExp() with y flags in a template", "var r = RegExp(a, `y`);", RULES.regexpFlags, 1],
    ["optional chaining (syntax beyond es2017)", "var a = {};\nvar b = a?.c;", RULES.syntax, 2],
    ["object rest (es2018)", "var o = {};\nvar { a, ...rest } = o;", RULES.syntax, 2],
    ["globalThis.Proxy", "var a;\nvar p = new globalThis.Proxy({}, {});", RULES.proxy, 2],
    ['globalThis["Reflect"]', 'var k = globalThis["Reflect"].ownKeys({});', RULES.reflect, 1],
    ["dotAll flag as esbuild rewrites /a.b/s", 'var a;\nvar r = new RegExp("a.b", "s");', RULES.regexpSyntax, 2],
    ["named group as esbuild rewrites it", 'var r = new RegExp("(?<year>\\\\d{4})");', RULES.regexpSyntax, 1],
    ["lookbehind as esbuild rewrites it", 'var r = new RegExp("(?<=x)y", "g");', RULES.regexpSyntax, 1],
  ];

  test.each(cases)("%s", (_title, source, rule, line) => {
    expect(summary(source)).toEqual([[rule, line]]);
  });

  test("a violation carries a 1-based column and a message saying why", () => {
    const [violation] = checkCompatibility("var x = 1; var p = new Proxy({}, {});");
    expect(violation).toEqual<CompatViolation>({
      rule: RULES.proxy,
      line: 1,
      column: 24,
      message: "Proxy is not supported by the App Services function runtime",
    });
  });

  test("a syntax violation names the offending text", () => {
    const [violation] = checkCompatibility("var b = a ?? c;");
    expect(violation?.rule).toBe(RULES.syntax);
    expect(violation?.message).toMatch(/beyond ES2017/);
    expect(violation?.message).toContain('"? c;"');
  });

  test("every construct is reported, including syntax after an import or bigint", () => {
    const source = 'import x from "y";\nvar a = 1n;\nvar b = x?.c;\nvar p = new Proxy({}, {});';
    expect(summary(source)).toEqual([
      [RULES.importDeclaration, 1],
      [RULES.bigintLiteral, 2],
      [RULES.syntax, 3],
      [RULES.proxy, 4],
    ]);
  });

  test("an import or bigint is not also reported as a generic syntax error", () => {
    expect(summary('import x from "y";')).toEqual([[RULES.importDeclaration, 1]]);
    expect(summary("var a = 2n;")).toEqual([[RULES.bigintLiteral, 1]]);
    expect(summary('var m = import("m");')).toEqual([[RULES.dynamicImport, 1]]);
  });

  test("unparsable source is still reported, as syntax", () => {
    expect(summary("var = ;")).toEqual([[RULES.syntax, 1]]);
  });
});

describe("checkCompatibility: look-alikes stay clean", () => {
  const clean: Array<[string, string]> = [
    ["words in strings", 'var s = "require(\'x\') module.exports Proxy Reflect WeakSet BigInt 10n import x from y";'],
    ["words in template text", "var t = `module.exports = new Proxy(${1}) Reflect WeakSet /x/u import('y')`;"],
    ["words in comments", "// module.exports = require('x');\n/* new Proxy(); Reflect; WeakSet; BigInt(1); 1n; /x/u */\nvar a = 1;"],
    ["property names", "var o = {}; o.Proxy = 1; o.module = 2; o.require('x'); o.Reflect; o.WeakSet; o.BigInt;"],
    ["object keys", "var o = { Reflect: 1, Proxy: 2, module: 3, WeakSet: 4, BigInt: 5 };"],
    ["class members named like globals", "class A { Proxy() {} static Reflect() {} }"],
    ["a shadowing local var module", "var module = { exports: {} };\nmodule.exports = 1;"],
    ["a hoisted var declared below its use", "module.exports = 1;\nvar module = {};"],
    ["function parameters", "function f(Proxy, module) { return new Proxy(module); }"],
    ["a destructured local", "var { Reflect } = lib;\nReflect.ownKeys({});"],
    ["a catch parameter", "try {} catch (WeakSet) { new WeakSet(); }"],
    ["a local function declaration", "function BigInt(x) { return x; }\nBigInt(1);"],
    ["a local class", "class Proxy {}\nnew Proxy();"],
    ["a named function expression", "var f = function Reflect() { return Reflect; };"],
    ["require inside the exported function", 'exports = function () {\n  return require("lib");\n};'],
    ["require inside a nested callback", 'var __fn = (() => { var load = () => require("x"); })();'],
    ["a shadowed require", 'var require = function () {};\nrequire("x");'],
    ["RegExp without u or y", 'var r = /x/gim; var s = new RegExp(a, "g"); var t = RegExp(a);'],
    ["RegExp with computed flags", "var r = new RegExp(a, flags);"],
    ["a local RegExp", 'function f() { var RegExp = g; return new RegExp(a, "u"); }'],
    ["labels", "Proxy: for (;;) { break Proxy; }"],
    ["es2017 syntax", "async function f(...a) { await g(...a); return [...a]; }\nclass A extends B {}\nvar x = 2 ** 3;"],
    ["es2017 RegExp patterns built from strings", 'var r = new RegExp("a/b", "g"); var s = new RegExp("\\\\d+\\\\/x", "im"); var t = RegExp("(?:a|b)+");'],
    ["members of something else named like globals", "var p = lib.globalThis.Proxy; var q = self.Reflect;"],
  ];

  test.each(clean)("%s", (_title, source) => {
    expect(checkCompatibility(source)).toEqual([]);
  });
});

describe("formatViolations", () => {
  test("prints file:line:column rule: message, one per line, in source order", () => {
    const violations = checkCompatibility('var a = 1;\nvar b = require("x");\nvar p = new Proxy({}, {});');
    expect(formatViolations("deleteCurrentUser", violations)).toBe(
      [
        "deleteCurrentUser.js:2:9 no-top-level-require: require() runs at the top level of the file, but App Services resolves modules only inside a running function: move the require into the exported function",
        "deleteCurrentUser.js:3:13 no-proxy: Proxy is not supported by the App Services function runtime",
      ].join("\n"),
    );
  });

  test("accepts a name that already ends in .js and prints nothing for no violations", () => {
    expect(formatViolations("f.js", [{ rule: "no-proxy", line: 1, column: 2, message: "m" }])).toBe("f.js:1:2 no-proxy: m");
    expect(formatViolations("f", [])).toBe("");
  });
});

describe("checkCompatibility on real esbuild output", () => {
  const snippet = `
    class Greeter {
      constructor(private readonly name: string) {}
      greet(...parts: string[]): string { return [this.name, ...parts].join(" "); }
    }
    const delay = async (ms: number): Promise<number> => ms;
    export default async function main(arg?: { user?: { id?: string } }): Promise<string> {
      const greeter = new Greeter("hello");
      const merged = { ...{ a: 1 }, id: arg?.user?.id ?? "none" };
      await delay(1);
      const text = "module.exports = require('x'); new Proxy(); Reflect";
      return greeter.greet(String(merged.id), text);
    }
  `;

  async function bundle(): Promise<string> {
    const result = await build({
      stdin: { contents: snippet, loader: "ts", resolveDir: __dirname },
      bundle: true,
      write: false,
      format: "iife",
      globalName: "__fn",
      platform: "neutral",
      target: "es2017",
      footer: { js: "exports = function(...a){ return __fn.default.apply(this, a) };" },
      logLevel: "silent",
    });
    const [file] = result.outputFiles;
    if (!file) throw new Error("esbuild produced no output");
    return file.text;
  }

  test("flags the regular expressions esbuild rewrites into RegExp calls when it lowers them", async () => {
    const result = await build({ stdin: { contents: "export const a = /a.b/s, b = /(?<y>\\d{4})/, c = /x/g;" }, write: false, format: "iife", target: "es2017", logLevel: "silent" });
    const rules = checkCompatibility(result.outputFiles[0]!.text).map((v) => v.rule);
    expect(rules).toEqual([RULES.regexpSyntax, RULES.regexpSyntax]);
  });

  test("is clean", async () => {
    const output = await bundle();
    expect(checkCompatibility(output)).toEqual([]);
  });

  test("keeps an async arrow, a class and spread, and they parse as es2017", async () => {
    const output = await bundle();
    const program = acorn.parse(output, { ecmaVersion: 2017, sourceType: "script" });
    const types = new Set<string>();
    const collect = (node: unknown): void => {
      if (Array.isArray(node)) return node.forEach(collect);
      if (typeof node !== "object" || node === null) return;
      const record = node as Record<string, unknown>;
      if (typeof record.type === "string") {
        types.add(record.type === "ArrowFunctionExpression" && record.async === true ? "AsyncArrow" : record.type);
      }
      Object.values(record).forEach(collect);
    };
    collect(program);
    expect([...types]).toEqual(expect.arrayContaining(["AsyncArrow", "ClassExpression", "SpreadElement"]));
    // The footer assigns the bare `exports` identifier.
    expect(output).toMatch(/^exports = function\(\.\.\.a\)/m);
  });

  test("flags the same bundle once it uses Proxy", async () => {
    const output = `${await bundle()}\nvar handler = new Proxy({}, {});`;
    expect(checkCompatibility(output).map((v) => v.rule)).toEqual([RULES.proxy]);
  });
});
