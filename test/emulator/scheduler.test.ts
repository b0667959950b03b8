/**
 * The emulator's scheduled triggers: each enabled trigger runs its function as the system user on
 * its cron schedule, failures are logged, disabled triggers never run, stop() stops them.
 */
import { startScheduler } from "../../emulator/scheduler";
import { runtimeWith } from "../helpers/runtime";

const { runtime, store } = runtimeWith(
  {
    tick: `exports = async function () {
          const runs = context.services.get("mongodb-atlas").db("t").collection("runs");
          await runs.insertOne({ system: context.user.type === "system", asSystem: context.runningAsSystem() });
        };`,
    fail: `exports = async function () { throw new Error("boom"); };`,
    forge: `exports = async function () { throw new Error("boom\\ntrigger forged -> tick ok 1ms ops=0"); };`,
  },
  { private: ["tick", "fail", "forge"], system: ["tick", "fail", "forge"] },
);

const waitFor = async (check: () => boolean, ms = 5000) => {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > ms) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe("scheduled triggers", () => {
  it("runs enabled triggers as the system user, logs failures, skips disabled ones, and stops", async () => {
    const lines: string[] = [];
    // Six fields (with seconds) so the test need not wait a minute; the build allows only five.
    const scheduler = startScheduler(
      [
        { name: "everySecond", function_name: "tick", schedule: "* * * * * *", disabled: false },
        { name: "failing", function_name: "fail", schedule: "* * * * * *", disabled: false },
        { name: "off", function_name: "tick", schedule: "* * * * * *", disabled: true },
      ],
      () => runtime,
      (line) => lines.push(line),
    );
    expect(scheduler.nextRuns().map((r) => r.trigger)).toEqual(["everySecond", "failing"]);
    // The insert lands before the worker's answer does: wait for both log lines, not the document.
    await waitFor(() => lines.some((l) => l.startsWith("trigger failing")) && lines.some((l) => l.startsWith("trigger everySecond")));
    scheduler.stop();

    expect(lines).toContainEqual(expect.stringMatching(/^trigger everySecond -> tick ok \d+ms ops=1$/));
    expect(lines).toContainEqual(expect.stringMatching(/^trigger failing -> fail error: boom \d+ms ops=0$/));
    expect(lines.some((l) => l.includes("off"))).toBe(false);
    expect(store.documents("t", "runs")[0]).toMatchObject({ system: true, asSystem: true });

    const count = store.documents("t", "runs").length;
    await new Promise((r) => setTimeout(r, 1300));
    expect(store.documents("t", "runs").length).toBe(count);
  });

  it("escapes a function's error message, so a newline in it cannot forge a log line", async () => {
    const lines: string[] = [];
    const scheduler = startScheduler([{ name: "forging", function_name: "forge", schedule: "* * * * * *", disabled: false }], () => runtime, (line) => lines.push(line));
    await waitFor(() => lines.length > 0);
    scheduler.stop();
    expect(lines[0]).toMatch(/^trigger forging -> forge error: boom\\u000atrigger forged -> tick ok 1ms ops=0 \d+ms ops=0$/);
    expect(lines.every((l) => !l.includes("\n"))).toBe(true);
  });
});

