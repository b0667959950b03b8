/**
 * `npm run dev`'s watcher on a real fixture project: an edit rebuilds and the running emulator
 * serves the new function; a broken edit keeps the last good build.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildApp, PROJECT_ROOT } from "../../build/build";
import { describeChanges, watchAndReload } from "../../emulator/dev";
import { startEmulator, type Emulator } from "../../emulator/server";

const dir = mkdtempSync(join(tmpdir(), "dev-test-"));
const source = (version: string) =>
  `import { defineFunction } from "../lib/functionMeta";\nexport const meta = defineFunction({ private: false, runAsSystem: false, disableArgLogs: false });\nexport default async function hello() { return "${version}"; }\n`;
const planSource =
  'import { defineFunction } from "../lib/functionMeta";\nexport const meta = defineFunction({ private: false, runAsSystem: false, disableArgLogs: false });\nexport default async function cleanupPlan() { return context.values.get("userDataCleanup"); }\n';
const user = { id: "65f0c0de0000000000000abc", type: "normal" as const, data: {}, custom_data: {}, identities: [] };

let emulator: Emulator;
let stop: () => void;
const lines: string[] = [];
const build = () => buildApp({ projectDir: dir, outDir: join(dir, "dist", "app") });

function nextLine(): Promise<string> {
  const count = lines.length;
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = setInterval(() => {
      if (lines.length > count) {
        clearInterval(poll);
        resolve(lines[count]);
      } else if (Date.now() - started > 10_000) {
        clearInterval(poll);
        reject(new Error("no rebuild within 10 s"));
      }
    }, 20);
  });
}

beforeAll(async () => {
  mkdirSync(join(dir, "functions"), { recursive: true });
  cpSync(join(PROJECT_ROOT, "lib"), join(dir, "lib"), { recursive: true });
  writeFileSync(join(dir, "root_config.json"), '{ "name": "dev-fixture" }');
  writeFileSync(join(dir, "secrets.example.json"), "{}");
  writeFileSync(join(dir, "functions", "hello.ts"), source("v1"));
  writeFileSync(join(dir, "functions", "cleanupPlan.ts"), planSource);
  const built = await build();
  emulator = await startEmulator({ appDir: built.outDir, log: () => undefined });
  stop = watchAndReload({ emulator, projectDir: dir, build, log: (line) => lines.push(line), debounceMs: 50 });
});
afterAll(async () => {
  stop();
  await emulator.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("npm run dev", () => {
  it("serves the first build", async () => {
    await expect(emulator.runtime.call("hello", [], user, "client")).resolves.toBe("v1");
  });

  it("rebuilds on an edit, reloads the emulator and says which function changed", async () => {
    const line = nextLine();
    writeFileSync(join(dir, "functions", "hello.ts"), source("v2"));
    await expect(line).resolves.toMatch(/^\[dev\] functions\/hello\.ts changed: rebuilt in \d+ ms; changed hello$/);
    await expect(emulator.runtime.call("hello", [], user, "client")).resolves.toBe("v2");
  });

  it("reports an added function", async () => {
    const line = nextLine();
    writeFileSync(join(dir, "functions", "bye.ts"), source("bye").replace("hello()", "bye()"));
    await expect(line).resolves.toMatch(/added bye/);
    await expect(emulator.runtime.call("bye", [], user, "client")).resolves.toBe("bye");
  });

  it("keeps serving the last good build when an edit breaks the build", async () => {
    const line = nextLine();
    writeFileSync(join(dir, "functions", "hello.ts"), "export default async function hello( {\n");
    await expect(line).resolves.toMatch(/^\[dev\] build failed, still serving the last good build: functions\/hello\.ts: esbuild failed/);
    await expect(emulator.runtime.call("hello", [], user, "client")).resolves.toBe("v2");
  });

  it("describes a reload where no function changed", () => {
    expect(describeChanges({ added: [], changed: [], removed: [] })).toBe("no function changed (values and triggers reloaded)");
    expect(describeChanges({ added: ["a"], changed: [], removed: ["b", "c"] })).toBe("added a; removed b, c");
  });
});

describe("npm run dev's demo cleanup plan", () => {
  it("gives way to the app's own plan at the next reload, and comes back when the app's plan is emptied", async () => {
    const appDir = join(dir, "fallback-app");
    cpSync(join(dir, "dist", "app"), appDir, { recursive: true });
    mkdirSync(join(appDir, "values"), { recursive: true });
    const valueFile = join(appDir, "values", "userDataCleanup.json");
    const writePlan = (value: unknown) => writeFileSync(valueFile, JSON.stringify({ name: "userDataCleanup", value, from_secret: false }));
    const demoPlan = [{ database: "demo", collection: "notes", ownerField: "owner_id", action: "delete" }];
    const ownPlan = [{ database: "mine", collection: "posts", ownerField: "user_id", action: "delete" }];
    writePlan([]);
    const fallback = await startEmulator({ appDir, log: () => undefined, valueFallbacks: { userDataCleanup: demoPlan } });
    try {
      await expect(fallback.runtime.call("cleanupPlan", [], user, "client")).resolves.toEqual(demoPlan);
      writePlan(ownPlan);
      fallback.reload();
      await expect(fallback.runtime.call("cleanupPlan", [], user, "client")).resolves.toEqual(ownPlan);
      writePlan([]);
      fallback.reload();
      await expect(fallback.runtime.call("cleanupPlan", [], user, "client")).resolves.toEqual(demoPlan);
    } finally {
      await fallback.close();
    }
  });
});
