/**
 * `npm run trigger -- NAME` (issue 12, item 6): a scheduled function runs now against the running
 * emulator, through an emulator-only route that takes an Admin API access token.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { startBuiltApp, type Harness } from "../helpers/builtApp";
import { adminLogin, anonLogin, call, tempDir } from "../helpers/emulator";
import { runScript } from "../helpers/scripts";

const trigger = (...args: string[]) => runScript("emulator/trigger.ts", args);

let h: Harness;
let secretsFile: string;
beforeAll(async () => {
  // A pending registration counts as stale after about 0.1 s.
  h = await startBuiltApp({ requireEmailConfirmation: true, valueOverrides: { pendingUserMaxAgeDays: 0.000001 } });
  secretsFile = path.join(tempDir("trigger"), "secrets.json");
  fs.writeFileSync(secretsFile, JSON.stringify({ adminApiPublicKeySecret: h.emulator.adminKeys.publicKey, adminApiPrivateKeySecret: h.emulator.adminKeys.privateKey }));
});
afterAll(() => h.emulator.close());

it("runs purgePendingUsers now: the stale pending registration is gone, and the admin session is closed", async () => {
  await h.emulator.state.register("stale-pending@example.com", "password-123", true);
  await new Promise((r) => setTimeout(r, 300));
  const sessions = h.emulator.state.sessionCount("admin");
  const { stdout } = await trigger("purgePendingUsers", "--url", h.emulator.url, "--secrets", secretsFile);
  expect(stdout).toMatch(/^purgePendingUsers -> purgePendingUsers ran: /);
  expect(h.emulator.state.toSnapshot().pending).toEqual([]);
  expect(h.emulator.state.sessionCount("admin")).toBe(sessions);
  expect(h.lines.some((l) => /trigger purgePendingUsers -> purgePendingUsers run now \(npm run trigger\) ok/.test(l))).toBe(true);
  expect(stdout).not.toContain("stale-pending@example.com");
});

it("names the triggers the app has when the name is unknown, and says how to start the emulator when none answers", async () => {
  await expect(trigger("nightly", "--url", h.emulator.url, "--secrets", secretsFile)).rejects.toMatchObject({
    code: 1,
    stderr: expect.stringMatching(/no scheduled trigger named "nightly"; the app has: purgePendingUsers, sweepOrphanedUserData/),
  });
  await expect(trigger("purgePendingUsers", "--url", "http://127.0.0.1:9", "--secrets", secretsFile)).rejects.toMatchObject({
    stderr: expect.stringMatching(/No emulator answers at http:\/\/127\.0\.0\.1:9: start it with npm start/),
  });
});

it("the route takes an Admin API access token only", async () => {
  const path = "/emulator/triggers/purgePendingUsers/run";
  expect((await call(h.emulator.url, "POST", path)).status).toBe(401);
  const client = await anonLogin(h.emulator);
  expect((await call(h.emulator.url, "POST", path, { token: client.access })).status).toBe(401);
  const admin = await adminLogin(h.emulator);
  expect((await call(h.emulator.url, "GET", path, { token: admin.access })).status).toBe(405);
  expect((await call(h.emulator.url, "POST", path, { token: admin.access })).status).toBe(200);
});

it("says plainly that the flowerbase profile has no Admin API to run a trigger through", async () => {
  const flowerbase = await startBuiltApp({ platform: "flowerbase" });
  try {
    await expect(trigger("purgePendingUsers", "--url", flowerbase.emulator.url, "--secrets", secretsFile)).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/has no Admin API \(it runs --platform flowerbase.*Its scheduler runs the triggers on their schedules/s),
    });
  } finally {
    await flowerbase.emulator.close();
  }
});

it("names a secrets file that holds null or an array, or no key pair, or is missing, instead of crashing", async () => {
  const dir = tempDir("trigger-secrets");
  for (const [name, text, expected] of [
    ["null.json", "null", /null\.json must hold one JSON object of "<secret name>": "<value>" pairs\. npm start writes that file/],
    ["array.json", "[]", /array\.json must hold one JSON object/],
    ["broken.json", "{ broken", /broken\.json is not valid JSON: fix it/],
    ["nopair.json", '{ "other": "x" }', /nopair\.json holds no Admin API key pair: restart npm start, which writes one\./],
  ] as const) {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    const failure = trigger("purgePendingUsers", "--url", h.emulator.url, "--secrets", file);
    await expect(failure).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(expected) });
    await expect(failure).rejects.toMatchObject({ stderr: expect.not.stringMatching(/TypeError|at .*\.ts:\d+/) });
  }
  await expect(trigger("purgePendingUsers", "--url", h.emulator.url, "--secrets", path.join(dir, "absent.json"))).rejects.toMatchObject({
    stderr: expect.stringMatching(/Cannot read the emulator's key pair from .*absent\.json: start the emulator with npm start first/),
  });
});

it("refuses a bad --url and a missing trigger name, with the usage", async () => {
  await expect(trigger("purgePendingUsers", "--url", "ftp://127.0.0.1", "--secrets", secretsFile)).rejects.toMatchObject({
    code: 1,
    stderr: expect.stringMatching(/--url must be the emulator's URL such as http:\/\/127\.0\.0\.1:\d+, got "ftp:\/\/127\.0\.0\.1"\.\nUsage: npm run trigger/),
  });
  await expect(trigger("--secrets", secretsFile)).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/^Name one trigger to run, e\.g\. npm run trigger -- purgePendingUsers\.\nUsage:/) });
});
