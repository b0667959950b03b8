/**
 * `npm start` as a user runs it: the real CLI in a child process on 127.0.0.1 (port 0). It builds,
 * creates the emulator's own secrets once, seeds the demo, serves realm-web's routes, keeps the
 * data file, and stops cleanly on Ctrl-C (SIGINT) and SIGTERM.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { PROJECT_ROOT } from "../../build/build";
import { tempDir } from "../helpers/emulator";

const tsx = path.join(PROJECT_ROOT, "node_modules", ".bin", "tsx");

interface Started {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
  url: string;
}

/** Starts the CLI and waits for its banner. */
function start(args: string[]): Promise<Started> {
  const child = spawn(tsx, [path.join(PROJECT_ROOT, "emulator", "cli.ts"), "--port", "0", ...args], { cwd: PROJECT_ROOT });
  let text = "";
  child.stdout.on("data", (chunk: Buffer) => (text += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (text += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner within 60 s:\n${text}`)), 60_000);
    const poll = setInterval(() => {
      const url = /running at (http:\/\/127\.0\.0\.1:\d+)/.exec(text)?.[1];
      if (url && text.includes("Press Ctrl-C to stop.")) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve({ child, output: () => text, url });
      }
    }, 50);
    child.on("exit", (code) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before its banner:\n${text}`));
    });
  });
}

function stop(started: Started, signal: NodeJS.Signals): Promise<number | null> {
  return new Promise((resolve) => {
    started.child.on("exit", (code) => resolve(code));
    started.child.kill(signal);
  });
}

describe("npm start", () => {
  const dir = tempDir("npm-start");
  const secretsFile = path.join(dir, "secrets.json");
  const dataFile = path.join(dir, "state.json");

  it("builds, serves realm-web's routes on 127.0.0.1, seeds the demo, and stops on Ctrl-C", async () => {
    const started = await start(["--secrets", secretsFile, "--data", dataFile, "--app-id", "cli-test-abcde"]);
    const location = await fetch(`${started.url}/api/client/v2.0/app/cli-test-abcde/location`);
    expect(await location.json()).toMatchObject({ hostname: started.url });
    expect(started.output()).toMatch(/Built 10 functions/);
    expect(started.output()).toMatch(/alice@example\.com {2}password: \S+/);

    const secrets = JSON.parse(fs.readFileSync(secretsFile, "utf8")) as Record<string, string>;
    expect(Object.keys(secrets).sort()).toEqual(["adminApiPrivateKeySecret", "adminApiPublicKeySecret"]);
    expect(fs.statSync(secretsFile).mode & 0o777).toBe(0o600);
    expect(started.output()).not.toContain(secrets.adminApiPrivateKeySecret);
    expect(JSON.parse(fs.readFileSync(dataFile, "utf8")).state.users).toHaveLength(2);

    expect(await stop(started, "SIGINT")).toBe(0);
    expect(started.output()).toMatch(/SIGINT: stopping the emulator/);
  }, 90_000);

  it("reuses its key pair and data on the next start, and stops on SIGTERM", async () => {
    const before = fs.readFileSync(secretsFile, "utf8");
    const started = await start(["--secrets", secretsFile, "--data", dataFile]);
    expect(fs.readFileSync(secretsFile, "utf8")).toBe(before);
    expect(started.output()).toMatch(/Demo users \(seeded earlier/);
    expect(await stop(started, "SIGTERM")).toBe(0);
  }, 90_000);
});
