import { build } from "esbuild";
import * as acorn from "acorn";
import { checkCompatibility, RULES, type CompatViolation } from "../../build/compat";
import { citation, FORBIDDEN_GLOBALS, FORBIDDEN_MEMBERS, memberName } from "../../emulator/runtime/rules";

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
    ["BigInt", "var a = 1;\nvar b = BigInt(2);", "no-bigint", 2],
    ["Proxy", "\n\nvar p = new Proxy({}, {});", "no-proxy", 3],
    ["Reflect", "var keys = Reflect.ownKeys({});", "no-reflect", 1],
    ["WeakSet", "var a;\nvar s = new WeakSet();", "no-weakset", 2],
    ["shorthand property reads the global", "var o = {\n  Reflect\n};", "no-reflect", 2],
    ["bigint literal", "var a = 1;\nvar big = 10n;", RULES.bigintLiteral, 2],
    ["RegExp literal with u", "var a = 1;\nvar r = /x/u;", "no-regexp-flags", 2],
    ["RegExp literal with y", "var r = /x/gy;", "no-regexp-flags", 1],
    ["new RegExp with u flags", 'var a;\nvar r = new RegExp(a, "gu");', "no-regexp-flags", 2],
    ["RegExp() with y flags in a template", "var r = RegExp(a, `y`);", "no-regexp-flags", 1],
    ["optional chaining (syntax beyond es2017)", "var a = {};\nvar b = a?.c;", RULES.syntax, 2],
    ["object rest (es2018)", "var o = {};\nvar { a, ...rest } = o;", RULES.syntax, 2],
    ["globalThis.Proxy", "var a;\nvar p = new globalThis.Proxy({}, {});", "no-proxy", 2],
    ['globalThis["Reflect"]', 'var k = globalThis["Reflect"].ownKeys({});', "no-reflect", 1],
    ["dotAll flag as esbuild rewrites /a.b/s", 'var a;\nvar r = new RegExp("a.b", "s");', RULES.regexpSyntax, 2],
    ["named group as esbuild rewrites it", 'var r = new RegExp("(?<year>\\\\d{4})");', RULES.regexpSyntax, 1],
    ["lookbehind as esbuild rewrites it", 'var r = new RegExp("(?<=x)y", "g");', RULES.regexpSyntax, 1],
  ];

  test.each(cases)("%s", (_title, source, rule, line) => {
    expect(summary(source)).toEqual([[rule, line]]);
  });

  test("a violation carries a 1-based column and a message naming the fix and the doc", () => {
    const [violation] = checkCompatibility("var x = 1; f(new Proxy({}, {}));");
    expect(violation).toEqual<CompatViolation>({
      rule: "no-proxy",
      line: 1,
      column: 18,
      message:
        "Proxy is not supported by the App Services function runtime: use plain objects and functions (docs-app-services source/functions/javascript-support.txt: Built-In Objects: Proxy, No)",
    });
  });

  test("a violation inside a variable's initializer names the variable (to explain generated helpers)", () => {
    const [violation] = checkCompatibility("var __privateAdd = (obj, member) => member instanceof WeakSet ? member.add(obj) : 0;");
    expect(violation).toMatchObject({ rule: "no-weakset", declaredIn: "__privateAdd" });
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
      ["no-proxy", 4],
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
    expect(checkCompatibility(output).map((v) => v.rule)).toEqual(["no-proxy"]);
  });
});

describe("every rule of emulator/runtime/rules.ts, with a violation and look-alikes", () => {
  test.each(FORBIDDEN_GLOBALS.map((g) => [g.name, g] as const))("%s: the global, and through globalThis", (name, global) => {
    const source = `var a = 1;\nvar b = ${name}(1);\nvar c = globalThis.${name};`;
    const violations = checkCompatibility(source);
    expect(violations.map((v) => [v.rule, v.line])).toEqual([
      [global.rule, 2],
      [global.rule, 3],
    ]);
    expect(violations[0]?.message).toBe(`${name} is not supported by the App Services function runtime: use ${global.instead} ${citation(global.source)}`);
    expect(checkCompatibility(`function f(${name}) { return ${name}(1) + o.${name}; }`)).toEqual([]);
  });

  const statics = FORBIDDEN_MEMBERS.filter((m) => !m.owner.endsWith(".prototype"));
  test.each(statics.map((m) => [memberName(m), m] as const))("%s: every way to read it, and look-alikes", (name, m) => {
    const reads = [
      `var a = ${m.owner}.${m.member};`,
      `var b = ${m.owner}["${m.member}"];`,
      `var { ${m.member} } = ${m.owner};`,
      `var { ${m.member}: renamed } = globalThis.${m.owner};`,
      `var c = globalThis.${m.owner}.${m.member};`,
      `var d = globalThis["${m.owner}"]["${m.member}"];`,
      `function e({ ${m.member} } = ${m.owner}) {}`,
      `({ ${m.member}: x } = ${m.owner});`,
    ];
    const violations = checkCompatibility(reads.join("\n"));
    expect(violations.map((v) => [v.rule, v.line])).toEqual(reads.map((_, i) => [m.rule, i + 1]));
    expect(violations[0]?.message).toBe(`${name} is not supported by the App Services function runtime: use ${m.instead} ${citation(m.source)}`);

    const lookAlikes = [
      `function f(${m.owner}) { return ${m.owner}.${m.member}(1); }`, // a parameter shadows the global
      `{ let ${m.owner} = lib; ${m.owner}.${m.member}(1); }`, // so does a block-scoped local
      `var g = doc.${m.member} + doc["${m.member}"] + lib.${m.owner}.${m.member};`, // user data
      `var { ${m.member} } = doc;`,
      `var h = { ${m.member}: 1 }; var s = "${name}"; // ${name}`,
      `${m.owner}.${m.member} = function polyfill() {};`, // defining it is not using it
    ];
    for (const source of lookAlikes) expect([source, checkCompatibility(source)]).toEqual([source, []]);
  });

  const instanceMembers = FORBIDDEN_MEMBERS.filter((m) => m.owner === "RegExp.prototype");
  test.each(instanceMembers.map((m) => [memberName(m), m] as const))("%s: only where the object is visibly a RegExp", (_name, m) => {
    const reads = [
      `var a = /x/g.${m.member};`,
      `var b = new RegExp(p).${m.member};`,
      `var c = RegExp(p, "g")["${m.member}"];`,
      `var d = RegExp.prototype.${m.member};`,
      `var { ${m.member} } = /x/;`,
    ];
    expect(checkCompatibility(reads.join("\n")).map((v) => [v.rule, v.line])).toEqual(reads.map((_, i) => [m.rule, i + 1]));
    const lookAlikes = [
      `var e = doc.${m.member} + pattern.${m.member} + options["${m.member}"];`, // a generic object is user data
      `var { ${m.member} } = doc;`,
      `function f(RegExp) { return new RegExp(p).${m.member}; }`,
      `var g = /x/g.source + /x/g.global + /x/g.lastIndex;`,
    ];
    for (const source of lookAlikes) expect([source, checkCompatibility(source)]).toEqual([source, []]);
  });

  test("RegExp flags cite their row and say what to do", () => {
    const [violation] = checkCompatibility("var r = /x/uy;");
    expect(violation?.rule).toBe("no-regexp-flags");
    expect(violation?.message).toBe(
      "RegExp flag 'u' (unicode) and 'y' (sticky) is not supported by the App Services function runtime: remove it (docs-app-services source/functions/javascript-support.txt: Syntax: RegExp -y and -u flags, No)",
    );
  });

  test("ES5 members of the same objects stay clean", () => {
    const source = "var a = Array.isArray(x) && Number.MAX_VALUE > Math.floor(Math.abs(-1.5)) && isFinite(1) && parseInt('1', 10);";
    expect(checkCompatibility(source)).toEqual([]);
  });
});

describe("a top-level \"use strict\"", () => {
  test("is refused: it breaks `exports =` where exports is a sloppy script variable", () => {
    const violations = checkCompatibility('// banner\n"use strict";\nvar m = (() => ({}))();\nexports = function () {};');
    expect(violations.map((v) => [v.rule, v.line])).toEqual([[RULES.topLevelUseStrict, 2]]);
    expect(violations[0]?.message).toMatch(/keep "use strict" inside the bundle's closure/);
  });

  test("is refused in esbuild's own iife output for strict sources", async () => {
    const result = await build({
      stdin: { contents: "export default async function f() { return 1; }", loader: "ts" },
      write: false,
      format: "iife",
      globalName: "__m",
      target: "es2017",
      tsconfigRaw: { compilerOptions: { alwaysStrict: true } },
      logLevel: "silent",
    });
    expect(checkCompatibility(result.outputFiles[0]!.text).map((v) => v.rule)).toEqual([RULES.topLevelUseStrict]);
  });

  test("inside a closure, or as a string that is not a directive, is fine", () => {
    expect(checkCompatibility('var m = (function () {\n"use strict";\nreturn 1;\n})();\nexports = function () {};')).toEqual([]);
    expect(checkCompatibility('var a = 1;\n"use strict";')).toEqual([]);
  });
});
