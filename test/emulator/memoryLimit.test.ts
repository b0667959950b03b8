/**
 * The runtime's memory limit (rules.ts LIMITS.memoryBytes: "Functions may use up to 350MB of
 * memory at any time", docs-app-services source/functions.txt): an execution that goes past it is
 * stopped with an error naming the limit, while other clients are served.
 */
import { LIMITS } from "../../emulator/runtime/rules";
import type { Emulator } from "../../emulator/server";
import { anonLogin, callFunction, makeFixtureApp, startTestEmulator } from "../helpers/emulator";

const LIMIT_MB = LIMITS.memoryBytes / (1024 * 1024);

let emulator: Emulator & { logLines: string[] };
let token: string;

beforeAll(async () => {
  emulator = await startTestEmulator({
    appDir: makeFixtureApp({
      // Keeps every array alive, 256 KB at a time, until well past the limit.
      hog: { source: `exports = async function () { const kept = []; for (var i = 0; i < ${LIMIT_MB * 8}; i++) kept.push(new Array(32 * 1024).fill(i)); return kept.length; };` },
      echo: { source: "exports = async function (x) { return x; };" },
    }),
  });
  token = (await anonLogin(emulator)).access;
});

afterAll(async () => {
  await emulator?.close();
});

it(`stops an execution that uses more than ${LIMIT_MB} MB, naming the limit, and keeps serving others`, async () => {
  const hog = callFunction(emulator, token, "hog", []);
  const other = await callFunction(emulator, token, "echo", ["still here"]);
  expect(other).toMatchObject({ status: 200 });
  const refused = await hog;
  expect(refused.status).toBe(400);
  expect(JSON.stringify(refused.body)).toMatch(new RegExp(`more than the ${LIMIT_MB} MB of memory an execution may use`));
  // The pool replaced the worker: calls go on.
  expect(await callFunction(emulator, token, "echo", ["after"])).toMatchObject({ status: 200 });
}, 60_000);
