/**
 * deleteCurrentUser as built: the dist file runs in the emulator's vm runtime and talks over real
 * HTTP to the emulator's Admin API on 127.0.0.1.
 */
import { createServer } from "node:net";
import { SYSTEM_USER, runFunction, createUser, startBuiltApp, userOf, JWT_PATTERN, type Harness } from "../helpers/builtApp";

let h: Harness;
/** Every log line, console line, return value and error of every emulator in this file, for the secret scan. */
const seen: string[] = [];

beforeAll(async () => {
  h = await startBuiltApp({}, seen);
});
afterAll(async () => {
  await h.emulator.close();
});
afterEach(() => h.emulator.faults.clear());

/** Records what a call returned or threw, for the secret scan at the end. */
async function call(user: ReturnType<typeof userOf>, args: unknown[] = [], harness = h) {
  const outcome = await runFunction(harness.emulator, "deleteCurrentUser", user, args);
  seen.push(JSON.stringify(outcome.result ?? null), outcome.error ? `${outcome.error.name}: ${outcome.error.message}\n${outcome.error.stack}` : "");
  return outcome;
}

describe("deleteCurrentUser (built)", () => {
  it("deletes the calling user and returns a receipt", async () => {
    const id = await createUser(h.emulator);
    const other = await createUser(h.emulator);
    const { result, error } = await call(userOf(id));
    expect(error).toBeUndefined();
    expect(result).toEqual({ userId: id, account: "deleted", cleanup: [], deletedBy: "self", finishedAt: expect.any(String) });
    expect(h.emulator.state.getUser(id)).toBeUndefined();
    expect(h.emulator.state.getUser(other)).toBeDefined();
  });

  it("counts an already deleted account as success, so a retried call does not fail", async () => {
    const id = await createUser(h.emulator);
    await call(userOf(id));
    const { result, error } = await call(userOf(id));
    expect(error).toBeUndefined();
    expect(result).toMatchObject({ userId: id, account: "alreadyGone" });
  });

  it("refuses any argument and deletes nothing", async () => {
    const id = await createUser(h.emulator);
    const other = await createUser(h.emulator);
    const { error } = await call(userOf(id), [other]);
    expect(error?.message).toMatch(/deleteCurrentUser takes no arguments/);
    expect(error?.message).toMatch(/Nothing was changed/);
    expect(h.emulator.state.getUser(id)).toBeDefined();
    expect(h.emulator.state.getUser(other)).toBeDefined();
  });

  it("refuses a system caller", async () => {
    const { error } = await call(SYSTEM_USER);
    expect(error?.message).toMatch(/must be called by a signed-in user/);
  });

  it("refuses a server (API key) user unless a value allows it", async () => {
    const id = await createUser(h.emulator);
    const refused = await call(userOf(id, "server"));
    expect(refused.error?.message).toMatch(/server \(API key\) user.*"allowServerUserSelfDelete"/);
    expect(h.emulator.state.getUser(id)).toBeDefined();

    const allowing = await startBuiltApp({ valueOverrides: { allowServerUserSelfDelete: true } }, seen);
    try {
      const serverUser = await createUser(allowing.emulator);
      const { result } = await call(userOf(serverUser, "server"), [], allowing);
      expect(result).toMatchObject({ userId: serverUser, account: "deleted" });
    } finally {
      await allowing.emulator.close();
    }
  });

  it("reports an Admin API 500 naming the operation and status, keeps the account, and succeeds on retry", async () => {
    const id = await createUser(h.emulator);
    h.emulator.faults.inject({ match: "adminDeleteUser", kind: "status500" });
    const { error } = await call(userOf(id));
    expect(error?.message).toMatch(/step "deleteAccount".*adminDeleteUser \(DELETE http:\/\/127\.0\.0\.1:\d+\/api\/admin\/v3\.0\/groups\/\w+\/apps\/\w+\/users\/\w+\) failed with status 500/);
    expect(h.emulator.state.getUser(id)).toBeDefined();
    expect((await call(userOf(id))).result).toMatchObject({ account: "deleted" });
  });

  it("reports a dropped connection as no answer and keeps the account", async () => {
    const id = await createUser(h.emulator);
    h.emulator.faults.inject({ match: "adminLogin", kind: "drop" });
    const { error } = await call(userOf(id));
    expect(error?.message).toMatch(/step "login".*adminLogin .* got no answer/);
    expect(h.emulator.state.getUser(id)).toBeDefined();
  });

  it("reports a refused connection, naming the base URL value", async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const { port } = s.address() as { port: number };
        s.close(() => resolve(port));
      });
    });
    const unreachable = await startBuiltApp({ valueOverrides: { adminApiBaseUrl: `http://127.0.0.1:${closedPort}/api/admin/v3.0` } }, seen);
    try {
      const id = await createUser(unreachable.emulator);
      const { error } = await call(userOf(id), [], unreachable);
      expect(error?.message).toMatch(new RegExp(`adminLogin \\(POST http://127\\.0\\.0\\.1:${closedPort}/.*got no answer: .*ECONNREFUSED`));
      expect(unreachable.emulator.state.getUser(id)).toBeDefined();
    } finally {
      await unreachable.emulator.close();
    }
  });

  it("turns a wrong API key into a configuration error naming the values to check", async () => {
    const wrongKey = await startBuiltApp({ valueOverrides: { adminApiPrivateKey: "00000000-0000-0000-0000-000000000000" } }, seen);
    try {
      const id = await createUser(wrongKey.emulator);
      const { error } = await call(userOf(id), [], wrongKey);
      expect(error?.message).toMatch(/Admin API login was refused \(status 401\): check the values adminApiPublicKey and adminApiPrivateKey/);
      expect(wrongKey.emulator.state.getUser(id)).toBeDefined();
    } finally {
      await wrongKey.emulator.close();
    }
  });

  it("names a missing value and touches nothing", async () => {
    const missing = await startBuiltApp({ valueOverrides: { adminApiPrivateKey: undefined } }, seen);
    try {
      const id = await createUser(missing.emulator);
      const { error } = await call(userOf(id), [], missing);
      expect(error?.message).toMatch(/Value "adminApiPrivateKey" is missing/);
      expect(missing.emulator.state.getUser(id)).toBeDefined();
    } finally {
      await missing.emulator.close();
    }
  });

  it("never lets a key or token reach a log line, an error or a return value", () => {
    const everything = seen.join("\n");
    expect(seen.length).toBeGreaterThan(10);
    const { publicKey, privateKey } = h.emulator.adminKeys;
    expect(everything).not.toContain(publicKey);
    expect(everything).not.toContain(privateKey);
    expect(everything).not.toMatch(JWT_PATTERN);
  });
});
