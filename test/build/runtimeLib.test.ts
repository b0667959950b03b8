/**
 * The declaration of what the runtime offers (lib/runtimeOnly/runtimeBuiltins.d.ts): generated
 * from the installed TypeScript's ES2017 lib files without what emulator/runtime/rules.ts forbids
 * (by `npm ci` and `npm run typecheck`; not committed: it is TypeScript's text), and used by tsconfig.functions.json. The real tsc runs on fixture files against the real config.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../build/build";
import { generateRuntimeLib, RUNTIME_LIB_FILE, typescriptLibDir } from "../../build/runtimeLib";
import { FORBIDDEN_GLOBALS, FORBIDDEN_MEMBERS, memberName } from "../../emulator/runtime/rules";
import { tempDir } from "../helpers/emulator";

const TSC = join(PROJECT_ROOT, "node_modules", ".bin", "tsc");

describe("the generated runtime lib", () => {
  it("is what the generator writes from the installed TypeScript (run `npm run runtime-lib` when this fails)", () => {
    const { dir, version } = typescriptLibDir();
    expect(readFileSync(RUNTIME_LIB_FILE, "utf8") === generateRuntimeLib(dir, version)).toBe(true);
  });

  it("is the lib tsconfig.functions.json checks functions/ and lib/ against", () => {
    const config = readFileSync(join(PROJECT_ROOT, "tsconfig.functions.json"), "utf8");
    expect(config).toMatch(/"noLib": true/);
    expect(RUNTIME_LIB_FILE.startsWith(join(PROJECT_ROOT, "lib"))).toBe(true);
  });
});

/** Type-checks `source` with the project's own tsconfig.functions.json; returns tsc's error lines. */
function typeCheck(source: string): string[] {
  const dir = tempDir("runtime-lib");
  writeFileSync(join(dir, "fixture.ts"), source);
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({
      extends: join(PROJECT_ROOT, "tsconfig.functions.json"),
      include: [join(PROJECT_ROOT, "lib", "runtimeOnly"), join(dir, "fixture.ts")],
    }),
  );
  try {
    execFileSync(TSC, ["--noEmit", "-p", join(dir, "tsconfig.json")], { encoding: "utf8", stdio: "pipe" });
    return [];
  } catch (error) {
    return String((error as { stdout?: string }).stdout).split("\n").filter((line) => line.includes("error TS"));
  }
}

/** The line of `fixture.ts` each error is on. */
function errorLines(errors: string[]): number[] {
  return errors.map((e) => Number(/fixture\.ts\((\d+),/.exec(e)?.[1]));
}

describe("type-checking a function's code against it", () => {
  it("rejects every member and global the table forbids, each on its own line", () => {
    const uses = [
      ...FORBIDDEN_MEMBERS.map((m) => (m.owner === "RegExp.prototype" ? `export const m${m.member} = /x/g.${m.member};` : `export const ${m.owner}_${m.member} = ${m.owner}.${m.member};`)),
      ...FORBIDDEN_GLOBALS.map((g) => `export const g${g.name} = typeof ${g.name};`),
    ];
    const errors = typeCheck(uses.join("\n"));
    expect(errorLines(errors)).toEqual(uses.map((_, i) => i + 1));
    const numberIsInteger = uses.findIndex((u) => u.includes("Number.isInteger")) + 1;
    expect(errors[numberIsInteger - 1]).toMatch(/Property 'isInteger' does not exist on type 'NumberConstructor'/);
    expect(FORBIDDEN_MEMBERS.map(memberName)).toContain("Number.isInteger");
  });

  it("accepts ES2017 itself: ES5 members of the same objects, ES2015-2017 methods the runtime has", () => {
    const source = [
      "export const a = Array.isArray([]) && [1, 2].includes(1) && [1].find((x) => x > 0);",
      "export const b = Number.MAX_VALUE + Math.floor(1.5) + Math.max(1, 2) + parseInt('1', 10);",
      "export const c = isFinite(1) && /x/g.global && /x/g.source.length > 0;",
      "export const d = Object.values({ a: 1 }).length + Object.entries({}).length + 'a'.padStart(2).length;",
      "export const e = new Map<string, number>().size + new Set<number>().size + Number(new WeakMap<object, number>().has({}));",
      "export async function f(): Promise<number> { return (await Promise.all([1])).length; }",
    ].join("\n");
    expect(typeCheck(source)).toEqual([]);
  });

  it("still lacks what ES2017 lacks (Promise.allSettled) and Node.js (Buffer)", () => {
    const errors = typeCheck("export const a = Promise.allSettled([]);\nexport const b = typeof Buffer;");
    expect(errorLines(errors)).toEqual([1, 2]);
  });
});
