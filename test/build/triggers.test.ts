/**
 * Trigger files: the build writes the form App Services exports and Flowerbase reads
 * (`event_processors.FUNCTION.config.function_name`); the emulator reads that form and the older
 * top-level `function_name`, and refuses a trigger that names no function.
 */
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { loadAppDirectory } from "../../emulator/runtime/appDirectory";
import { builtAppDir } from "../helpers/builtApp";
import { makeFixtureApp, startTestEmulator } from "../helpers/emulator";

describe("the built app's trigger files", () => {
  it("each name its function only in event_processors.FUNCTION.config, as the platform exports them", async () => {
    const dir = await builtAppDir();
    const functions = (JSON.parse(readFileSync(join(dir, "functions", "config.json"), "utf8")) as Array<{ name: string }>).map((f) => f.name);
    const files = readdirSync(join(dir, "triggers")).sort();
    expect(files).toEqual(["purgePendingUsers.json", "sweepOrphanedUserData.json"]);
    for (const file of files) {
      const trigger = JSON.parse(readFileSync(join(dir, "triggers", file), "utf8"));
      expect(Object.keys(trigger).sort()).toEqual(["config", "disabled", "event_processors", "name", "type"]);
      expect(trigger).toMatchObject({ type: "SCHEDULED", disabled: false, config: { schedule: expect.any(String) } });
      expect(functions).toContain(trigger.event_processors.FUNCTION.config.function_name);
    }
  });

  it("are read by the emulator with the function each calls", async () => {
    const app = loadAppDirectory(await builtAppDir(), { secrets: {} });
    expect(app.triggers).toEqual([
      { name: "purgePendingUsers", function_name: "purgePendingUsers", schedule: "0 3 * * *", disabled: false },
      { name: "sweepOrphanedUserData", function_name: "sweepOrphanedUserData", schedule: "30 3 * * *", disabled: false },
    ]);
  });
});

const RECORD = (tag: string) =>
  `exports = async function () { await context.services.get("mongodb-atlas").db("t").collection("runs").insertOne({ tag: "${tag}" }); };`;

function appWithTriggers(triggers: Record<string, object>): string {
  const dir = makeFixtureApp({ recordNew: { source: RECORD("new"), private: true }, recordOld: { source: RECORD("old"), private: true } });
  mkdirSync(join(dir, "triggers"));
  for (const [name, trigger] of Object.entries(triggers)) writeFileSync(join(dir, "triggers", `${name}.json`), JSON.stringify(trigger));
  return dir;
}

const EVERY_SECOND = "* * * * * *";

describe("the emulator's trigger reader", () => {
  it("runs a trigger in either form", async () => {
    const dir = appWithTriggers({
      exported: { name: "exported", type: "SCHEDULED", disabled: false, config: { schedule: EVERY_SECOND }, event_processors: { FUNCTION: { config: { function_name: "recordNew" } } } },
      legacy: { name: "legacy", type: "SCHEDULED", disabled: false, config: { schedule: EVERY_SECOND }, function_name: "recordOld" },
    });
    const emulator = await startTestEmulator({ appDir: dir, runTriggers: true });
    try {
      const tags = () => new Set(emulator.store.documents("t", "runs").map((d) => d.tag));
      const deadline = Date.now() + 5000;
      while (tags().size < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect([...tags()].sort()).toEqual(["new", "old"]);
    } finally {
      await emulator.close();
    }
  });

  it("accepts both forms in one file when they agree", () => {
    const dir = appWithTriggers({ both: { name: "both", type: "SCHEDULED", config: { schedule: "0 3 * * *" }, function_name: "recordNew", event_processors: { FUNCTION: { config: { function_name: "recordNew" } } } } });
    expect(loadAppDirectory(dir, { secrets: {} }).triggers).toEqual([{ name: "both", function_name: "recordNew", schedule: "0 3 * * *", disabled: false }]);
  });

  it("refuses a trigger that names no function, naming the file and the fix", () => {
    const dir = appWithTriggers({ orphan: { name: "orphan", type: "SCHEDULED", config: { schedule: "0 3 * * *" }, disabled: false } });
    expect(() => loadAppDirectory(dir, { secrets: {} })).toThrow(
      expect.objectContaining({ name: "AppDirectoryError", message: expect.stringMatching(/triggers\/orphan\.json names no function: add "event_processors"/) }),
    );
  });

  it("refuses a trigger whose two forms name different functions, or a name that is not a string", () => {
    const conflicting = appWithTriggers({ split: { name: "split", type: "SCHEDULED", config: { schedule: "0 3 * * *" }, function_name: "recordOld", event_processors: { FUNCTION: { config: { function_name: "recordNew" } } } } });
    expect(() => loadAppDirectory(conflicting, { secrets: {} })).toThrow(/triggers\/split\.json: the trigger's function must be one non-empty name, got "recordNew" and "recordOld"/);
    const notString = appWithTriggers({ odd: { name: "odd", type: "SCHEDULED", config: { schedule: "0 3 * * *" }, event_processors: { FUNCTION: { config: { function_name: 42 } } } } });
    expect(() => loadAppDirectory(notString, { secrets: {} })).toThrow(/triggers\/odd\.json: .* got 42/);
  });
});
