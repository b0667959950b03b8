/**
 * `npm run trigger -- NAME` (issue 12, item 6): a scheduled function runs now against the running
 * emulator, through an emulator-only route that takes an Admin API access token.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { PROJECT_ROOT } from "../../build/build";
import { startBuiltApp, type Harness } from "../helpers/builtApp";
import { adminLogin, anonLogin, call, tempDir } from "../helpers/emulator";

const tsx = path.join(PROJECT_ROOT, "node_modules", ".bin", "tsx");
const trigger = (...args: string[]) => promisify(execFile)(tsx, [path.join(PROJECT_ROOT, "emulator", "trigger.ts"), ...args], { cwd: PROJECT_ROOT, timeout: 60_000 });

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
