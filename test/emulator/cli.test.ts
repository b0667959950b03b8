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
import { TSX, runScript } from "../helpers/scripts";

interface Started {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
  url: string;
}

/** Starts the CLI and waits for its banner. */
function start(args: string[], options: StartOptions = {}): Promise<Started> {
  return startCommand(TSX, [path.join(PROJECT_ROOT, "emulator", "cli.ts"), "--port", "0", ...args], options);
}

interface StartOptions {
  /** Its own process group (so a signal to it reaches only it). */
  detached?: boolean;
  env?: NodeJS.ProcessEnv;
}

/** Starts `command` and waits for the emulator's banner in its output. */
function startCommand(command: string, args: string[], { detached = false, env }: StartOptions = {}): Promise<Started> {
  const child = spawn(command, args, { cwd: PROJECT_ROOT, detached, env });
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

/** Whether anything still answers at `url`. */
async function answers(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(1000) });
    return true;
  } catch {
    return false;
  }
}

function killGroup(pid: number | undefined): void {
  try {
    if (pid) process.kill(-pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

async function waitUntilSilent(url: string, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!(await answers(url))) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

// A user stops what they started: SIGTERM to the npm process must stop the emulator behind it
// (npm signals its script's shell; without `exec` the shell died and the emulator kept the port).
describe.each([["start"], ["dev"]])("SIGTERM to `npm run %s`", (script) => {
  it("stops the emulator and frees its port", async () => {
    const dir = tempDir(`npm-${script}-signal`);
    // Its own process group, so that whatever the signal leaves behind is cleaned up below.
    const started = await startCommand("npm", ["run", "--silent", script, "--", "--port", "0", "--secrets", path.join(dir, "secrets.json")], { detached: true });
    try {
      expect(await answers(started.url)).toBe(true);
      started.child.kill("SIGTERM");
      expect(await waitUntilSilent(started.url, 15_000)).toBe(true);
    } finally {
      killGroup(started.child.pid);
    }
  }, 90_000);
});

describe("an emulator whose parent is killed outright", () => {
  it("stops by itself instead of keeping the port", async () => {
    const dir = tempDir("orphan");
    // tsx runs the CLI in a child node process: SIGKILL to tsx orphans it.
    const started = await start(["--secrets", path.join(dir, "secrets.json")], { detached: true });
    try {
      expect(await answers(started.url)).toBe(true);
      started.child.kill("SIGKILL");
      expect(await waitUntilSilent(started.url, 10_000)).toBe(true);
    } finally {
      killGroup(started.child.pid);
    }
  }, 90_000);
});

describe("npm start options (issue 12)", () => {
  const dir = tempDir("npm-start-options");

  it("--confirm-registrations=false keeps new registrations pending; relative --data and --secrets come from INIT_CWD", async () => {
    const started = await start(["--secrets", "s.json", "--data", "state.json", "--confirm-registrations=false"], { env: { ...process.env, INIT_CWD: dir } });
    try {
      const { url } = started;
      const text = started.output();
      expect(text).toContain("registrations:  stay pending (--confirm-registrations=false)");
      expect(fs.existsSync(path.join(dir, "s.json"))).toBe(true);
      expect(fs.existsSync(path.join(dir, "state.json"))).toBe(true);
      const client = `${url}/api/client/v2.0/app/delete-user-demo-abcde`;
      const credentials = { email: "pending-person@example.com", password: "pending-password-1" };
      const registered = await fetch(`${client}/auth/providers/local-userpass/register`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(credentials) });
      expect(registered.status).toBe(201);
      const login = await fetch(`${client}/auth/providers/local-userpass/login`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ username: credentials.email, password: credentials.password }) });
      expect(login.status).toBe(401);
      expect(JSON.parse(fs.readFileSync(path.join(dir, "state.json"), "utf8")).state.pending).toHaveLength(1);
    } finally {
      started.child.kill("SIGINT");
    }
  }, 90_000);

  it.each([
    ["emulator/cli.ts", /^Usage: npm start -- .*--allow-origin ORIGIN.*--confirm-registrations=false/],
    ["emulator/dev.ts", /^Usage \(npm start, rebuilt and reloaded on every source change\): npm run dev -- \[--port N\]/],
    ["emulator/trigger.ts", /^Usage: npm run trigger -- NAME \[--url URL\] \[--secrets FILE\]/],
    ["build/deploy.ts", /^usage: npm run deploy -- --app CLIENT_APP_ID --project PROJECT_ID --into DIR/],
  ])("%s --help prints its own usage and exits 0", async (script, usage) => {
    const { stdout } = await runScript(script, ["--help"]);
    expect(stdout).toMatch(usage);
  }, 90_000);

  it("a bad --confirm-registrations value is a usage error naming the fix", async () => {
    await expect(runScript("emulator/cli.ts", ["--confirm-registrations=no"])).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--confirm-registrations must be true or false/),
    });
  }, 90_000);
});
