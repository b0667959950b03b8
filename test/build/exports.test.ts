/**
 * Every built function file works whichever way the platform supplies `exports`: as a variable
 * of a sloppy script (declared or not) or as a parameter of a wrapper function. So the file has
 * no top-level "use strict"; the bundle's own closure keeps it.
 */
import * as acorn from "acorn";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import vm from "node:vm";
import { checkCompatibility } from "../../build/compat";
import { builtAppDir } from "../helpers/builtApp";

let files: Array<[string, string]>;

beforeAll(async () => {
  const dir = await builtAppDir();
  const config = JSON.parse(readFileSync(join(dir, "functions", "config.json"), "utf8")) as Array<{ name: string }>;
  files = config.map(({ name }) => [name, readFileSync(join(dir, "functions", `${name}.js`), "utf8")]);
});

/** Calls the entry with no App Services globals: it must be an async function that runs the bundle. */
async function expectCallableEntry(entry: unknown): Promise<void> {
  expect(typeof entry).toBe("function");
  const pending = (entry as () => Promise<unknown>)();
  expect(typeof pending.then).toBe("function");
  // With no `context` global the bundle's code fails inside, which shows the call reached it.
  await expect(pending).rejects.toMatchObject({ name: expect.stringMatching(/Error$/) });
}

test("the project builds all ten functions", () => {
  expect(files.map(([name]) => name)).toHaveLength(10);
});

describe.each(["deleteCurrentUser", "previewDeleteCurrentUser", "exportCurrentUserData", "deleteUser", "disableUser", "enableUser", "logoutUser", "deletePendingUser", "purgePendingUsers", "sweepOrphanedUserData"])("%s.js", (name) => {
  const code = () => files.find(([n]) => n === name)?.[1] ?? "";

  it("assigns a callable entry in a sloppy script where `exports` is not declared", async () => {
    const sandbox = vm.createContext({});
    vm.runInContext(code(), sandbox, { filename: `${name}.js` });
    await expectCallableEntry(sandbox.exports);
  });

  it("assigns a callable entry in a sloppy script where `exports` is a declared variable", async () => {
    const sandbox = vm.createContext({});
    vm.runInContext(`var exports;\n${code()}`, sandbox, { filename: `${name}.js` });
    await expectCallableEntry(sandbox.exports);
  });

  it("assigns a callable entry to the `exports` parameter of a wrapper function, leaving the global alone", async () => {
    const sandbox = vm.createContext({});
    const wrapped = vm.runInContext(`(function (exports) {\n${code()}\nreturn exports;\n})`, sandbox, { filename: `${name}.js` }) as (e: unknown) => unknown;
    await expectCallableEntry(wrapped(undefined));
    expect(vm.runInContext("typeof exports", sandbox)).toBe("undefined");
  });

  it("keeps \"use strict\" inside the bundle's closure, none at the top, and passes the compatibility check", () => {
    const program = acorn.parse(code(), { ecmaVersion: 2017, sourceType: "script" });
    const first = program.body[0];
    expect(first?.type).toBe("VariableDeclaration");
    const init = first?.type === "VariableDeclaration" ? first.declarations[0]?.init : undefined;
    const closure = init?.type === "CallExpression" ? init.callee : undefined;
    const firstInClosure = closure?.type === "FunctionExpression" ? closure.body.body[0] : undefined;
    expect(firstInClosure).toMatchObject({ type: "ExpressionStatement", directive: "use strict" });
    expect(program.body.some((s) => s.type === "ExpressionStatement" && "directive" in s && s.directive !== undefined)).toBe(false);
    expect(checkCompatibility(code())).toEqual([]);
  });
});
