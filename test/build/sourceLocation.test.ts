/**
 * Compatibility violations name the TypeScript file, line and column where the code was written,
 * mapped through esbuild's source map; code esbuild generated is named as such, never by a line
 * of a built file. Real builds of fixture projects, positions found in the fixture's own text.
 */
import { cpSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildApp, BuildError, PROJECT_ROOT } from "../../build/build";
import { formatViolations, locateInFile } from "../../build/sourceLocation";
import { checkCompatibility } from "../../build/compat";
import { tempDir } from "../helpers/emulator";
import { writeTree } from "../helpers/tree";

const META = `import { defineFunction } from "../lib/functionMeta";\nexport const meta = defineFunction({ private: false, runAsSystem: false, disableArgLogs: false });\n`;

const HELLO = `${META}import { roundDown } from "../lib/mathUtil";

class Counter {
  #step(): number {
    return 1;
  }
  next(): number {
    return this.#step();
  }
}

export default async function hello(x: number) {
  const whole = Number.isInteger(x);
  return [whole, roundDown(x), new Counter().next(), /a/y.test("a")];
}
`;
const MATH_UTIL = "export function roundDown(x: number): number {\n  // rounds toward zero\n  return Math.trunc(x);\n}\n";
const OTHER = `${META}import { roundDown } from "../lib/mathUtil";\nexport default async function other(x: number) {\n  return roundDown(x);\n}\n`;

function project(files: Record<string, string>): string {
  const dir = tempDir("source-location");
  cpSync(join(PROJECT_ROOT, "lib"), join(dir, "lib"), { recursive: true });
  writeFileSync(join(dir, "root_config.json"), '{ "name": "fixture" }');
  writeFileSync(join(dir, "secrets.example.json"), '{ "keySecret": "<placeholder>" }');
  writeTree(dir, files);
  return dir;
}

/** `file:line:column` of the first occurrence of `needle` in `text`, 1-based, as editors count. */
function positionOf(file: string, text: string, needle: string): string {
  const index = text.indexOf(needle);
  if (index < 0) throw new Error(`${needle} is not in ${file}`);
  const before = text.slice(0, index).split("\n");
  return `${file}:${before.length}:${(before[before.length - 1]?.length ?? 0) + 1}`;
}

async function buildError(dir: string): Promise<string> {
  try {
    await buildApp({ projectDir: dir, outDir: join(dir, "dist") });
  } catch (error) {
    if (error instanceof BuildError) return error.message;
    throw error;
  }
  throw new Error("the build passed");
}

describe("violations point at the TypeScript source", () => {
  let message: string;
  let lines: string[];
  beforeAll(async () => {
    message = await buildError(project({ "functions/hello.ts": HELLO, "lib/mathUtil.ts": MATH_UTIL }));
    lines = message.split("\n");
  });

  it("names the function, then one line per violation", () => {
    expect(lines[0]).toBe("hello builds into code the App Services runtime rejects:");
    expect(lines).toHaveLength(6);
  });

  it("maps a member read in the function file to its line and column", () => {
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^${positionOf("functions/hello.ts", HELLO, "Number.isInteger")} no-number-static: Number\\.isInteger is not supported`)));
  });

  it("maps a violation in shared lib/ code to the lib file", () => {
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^${positionOf("lib/mathUtil.ts", MATH_UTIL, "Math.trunc")} no-math-es2015: Math\\.trunc is not supported`)));
  });

  it("maps a RegExp literal's flag", () => {
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^${positionOf("functions/hello.ts", HELLO, "/a/y")} no-regexp-flags: RegExp flag 'y'`)));
  });

  it("maps the WeakSet esbuild creates for a class with #private methods to the class", () => {
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^${positionOf("functions/hello.ts", HELLO, "class Counter")} no-weakset: `)));
  });

  it("names esbuild's helper, and why esbuild emitted it, where the code has no source position", () => {
    expect(lines).toContainEqual(
      expect.stringMatching(/^functions\/hello\.ts \(code esbuild generated for it in __privateAdd: #private methods and accessors lower to a WeakSet\) no-weakset: WeakSet is not supported/),
    );
  });

  it("never names a line of a built file", () => {
    expect(message).not.toMatch(/\.js:\d+/);
    for (const line of lines.slice(1)) expect(line).toMatch(/^(functions|lib)\/[\w/]+\.ts[: ]/);
  });
});

describe("shared code reached from several functions", () => {
  it("is reported once, naming every function it is bundled into", async () => {
    const message = await buildError(project({ "functions/hello.ts": `${META}export default async function hello() { return 1; }\n`, "functions/other.ts": OTHER, "functions/third.ts": OTHER.replace("other", "third"), "lib/mathUtil.ts": MATH_UTIL }));
    expect(message.split("\n")).toEqual([
      "other, third build into code the App Services runtime rejects:",
      expect.stringMatching(new RegExp(`^${positionOf("lib/mathUtil.ts", MATH_UTIL, "Math.trunc")} no-math-es2015: .* \\[in other, third\\]$`)),
    ]);
  });
});

describe("the built files carry no source map", () => {
  it("has no sourceMappingURL and no .map file: App Services shows the function source in its UI", async () => {
    const dir = project({ "functions/hello.ts": `${META}export default async function hello() { return 1; }\n` });
    const result = await buildApp({ projectDir: dir, outDir: join(dir, "dist") });
    expect(readdirSync(join(result.outDir, "functions")).sort()).toEqual(["config.json", "hello.js"]);
    expect(readFileSync(join(result.outDir, "functions", "hello.js"), "utf8")).not.toMatch(/sourceMappingURL/);
  });
});

describe("a hand-written file (no map)", () => {
  it("is its own source: positions are the file's", () => {
    const violations = checkCompatibility("var a = 1;\nvar b = Math.sign(a);").map(locateInFile("bench/extra.js"));
    expect(formatViolations([{ functionName: "extra", violations }])).toMatch(/^bench\/extra\.js:2:9 no-math-es2015: Math\.sign is not supported/);
  });
});
