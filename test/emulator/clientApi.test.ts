/**
 * The client API on the wire (raw HTTP, as realm-web sends it): location, login, registration,
 * profile, sessions, function calls in canonical EJSON, the built-in delete, and the call log.
 */
// The default import is node:crypto itself (a namespace import would be a copy), so a spy sees the emulator's calls.
import crypto from "node:crypto";
import { EJSON, Long, ObjectId } from "bson";
import { ManualClock } from "../../emulator/accounts/clock";
import { MAX_FUNCTION_NAME_LENGTH } from "../../emulator/http/clientApi";
import {
  CLIENT,
  anonLogin,
  call,
  callFunction,
  clientLogin,
  jwtPayload,
  makeFixtureApp,
  startTestEmulator,
  type TestEmulator,
} from "../helpers/emulator";

const appDir = makeFixtureApp();

describe("client API", () => {
  let emulator: TestEmulator;
  const clock = new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0));
  const appRoute = () => `${CLIENT}/app/${emulator.clientAppId}`;

  beforeAll(async () => {
    emulator = await startTestEmulator({ appDir, clock, clientAppId: "client-test-abcde" });
  });
  afterAll(() => emulator.close());

  async function register(email: string, password = "client-password") {
    return call(emulator.url, "POST", `${appRoute()}/auth/providers/local-userpass/register`, { body: { email, password } });
  }

  it("answers the location with its own URL as hostname", async () => {
    const res = await call(emulator.url, "GET", `${appRoute()}/location`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ deployment_model: "GLOBAL", location: expect.any(String), hostname: emulator.url, ws_hostname: emulator.url.replace("http", "ws") });
  });

  it("answers 404 AppNotFound for another client app id", async () => {
    const res = await call(emulator.url, "GET", `${CLIENT}/app/someone-else-xyz/location`);
    expect(res.status).toBe(404);
    expect(res.body.error_code).toBe("AppNotFound");
  });

  it("registers (201) and logs in with email/password, answering JWT-shaped tokens", async () => {
    const reg = await register("gina@example.com");
    expect(reg.status).toBe(201);
    const res = await call(emulator.url, "POST", `${appRoute()}/auth/providers/local-userpass/login`, {
      body: { username: "gina@example.com", password: "client-password", options: { device: { deviceId: { $oid: "65f0c0de0000000000000777" }, platform: "node" } } },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ access_token: expect.any(String), refresh_token: expect.any(String), user_id: expect.any(String), device_id: "65f0c0de0000000000000777" });
    const access = jwtPayload(res.body.access_token);
    expect(access).toMatchObject({ sub: res.body.user_id, typ: "access", baas_device_id: "65f0c0de0000000000000777", user_data: {} });
    expect(access.exp).toBe(Math.floor(clock.now() / 1000) + 30 * 60);
    expect(access.iat).toBe(Math.floor(clock.now() / 1000));
    expect(jwtPayload(res.body.refresh_token).typ).toBe("refresh");
  });

  it("refuses a duplicate registration (409), a short password (400) and a wrong password (401)", async () => {
    expect((await register("hank@example.com")).status).toBe(201);
    const dup = await register("hank@example.com");
    expect(dup.status).toBe(409);
    expect(dup.body).toEqual({ error: "name already in use", error_code: "AccountNameInUse" });
    const short = await register("ivy@example.com", "abc");
    expect(short.status).toBe(400);
    await expect(clientLogin(emulator, "hank@example.com", "not-the-password")).rejects.toThrow(/401.*invalid username\/password.*InvalidPassword/);
    await expect(clientLogin(emulator, "nobody@example.com", "client-password")).rejects.toThrow(/401.*InvalidPassword/);
  });

  it("logs in anonymously and answers a profile", async () => {
    const session = await anonLogin(emulator);
    const res = await call(emulator.url, "GET", `${CLIENT}/auth/profile`, { token: session.access });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      user_id: session.userId,
      domain_id: expect.any(String),
      identities: [{ id: expect.any(String), provider_type: "anon-user", provider_id: expect.any(String), provider_data: {} }],
      data: {},
      type: "normal",
    });
  });

  it("logs a server user in with an API key; functions see type \"server\"", async () => {
    const { user, key } = emulator.state.createServerApiKey("nightly-job");
    const res = await call(emulator.url, "POST", `${appRoute()}/auth/providers/api-key/login`, { body: { key } });
    expect(res.status).toBe(200);
    expect(res.body.user_id).toBe(user.id);
    const echoed = EJSON.deserialize((await callFunction(emulator, res.body.access_token, "echo")).body) as { user: { type: string; identities: unknown[] } };
    expect(echoed.user.type).toBe("server");
    expect(echoed.user.identities).toEqual([{ id: expect.any(String), provider_type: "api-key", data: { name: "nightly-job" } }]);
    const wrong = await call(emulator.url, "POST", `${appRoute()}/auth/providers/api-key/login`, { body: { key: "0".repeat(64) } });
    expect(wrong.status).toBe(401);
  });

  it("refuses unsupported providers", async () => {
    const res = await call(emulator.url, "POST", `${appRoute()}/auth/providers/oauth2-google/login`, { body: {} });
    expect(res.status).toBe(404);
    expect(res.body.error_code).toBe("AuthProviderNotFound");
  });

  it("passes context.user to functions: id, type, data.email, identities", async () => {
    await register("jack@example.com");
    const session = await clientLogin(emulator, "jack@example.com", "client-password");
    const res = await callFunction(emulator, session.access, "echo", ["hello", 2]);
    expect(res.status).toBe(200);
    expect(EJSON.deserialize(res.body)).toEqual({
      args: ["hello", 2],
      user: {
        id: session.userId,
        type: "normal",
        data: { email: "jack@example.com" },
        custom_data: {},
        identities: [{ id: expect.any(String), provider_type: "local-userpass", data: { email: "jack@example.com" } }],
      },
    });
  });

  it("reads canonical EJSON arguments and answers canonical EJSON", async () => {
    const session = await anonLogin(emulator);
    const args = [{ id: new ObjectId("65f0c0de0000000000000abc"), n: Long.fromNumber(7), when: new Date(86_400_000) }];
    const res = await call(emulator.url, "POST", `${appRoute()}/functions/call`, {
      token: session.access,
      raw: EJSON.stringify({ name: "echo", arguments: args }, { relaxed: false }),
      headers: { "Content-Type": "application/json" },
    });
    expect(res.status).toBe(200);
    expect(res.body.args[0].id).toEqual({ $oid: "65f0c0de0000000000000abc" });
    expect(res.body.args[0].when).toEqual({ $date: { $numberLong: "86400000" } });

    const typed = await callFunction(emulator, session.access, "bsonTypes");
    expect(typed.body).toEqual({
      id: { $oid: "65f0c0de0000000000000123" },
      big: { $numberLong: "9007199254740993" },
      at: { $date: { $numberLong: "0" } },
      n: { $numberDouble: "1.5" },
    });
  });

  it("answers a function that returns nothing with EJSON undefined", async () => {
    const session = await anonLogin(emulator);
    const res = await callFunction(emulator, session.access, "nothing");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ $undefined: true });
  });

  it("hides private functions from clients: 404 function not found", async () => {
    const session = await anonLogin(emulator);
    const res = await callFunction(emulator, session.access, "secretOnly");
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: "function not found: 'secretOnly'", error_code: "FunctionNotFound", link: expect.any(String) });
  });

  it("refreshes the access token (201) and logs out (204), after which the refresh token is dead", async () => {
    const session = await anonLogin(emulator);
    const refreshed = await call(emulator.url, "POST", `${CLIENT}/auth/session`, { token: session.refresh });
    expect(refreshed.status).toBe(201);
    expect(refreshed.body).toEqual({ access_token: expect.any(String) });
    expect((await callFunction(emulator, refreshed.body.access_token, "whoami")).body).toBe(session.userId);

    const out = await call(emulator.url, "DELETE", `${CLIENT}/auth/session`, { token: session.refresh });
    expect(out.status).toBe(204);
    const again = await call(emulator.url, "POST", `${CLIENT}/auth/session`, { token: session.refresh });
    expect(again.status).toBe(401);
    expect(again.body).toEqual({ error: "invalid session: failed to find refresh token", error_code: "InvalidSession" });
    const access = await callFunction(emulator, refreshed.body.access_token, "whoami");
    expect(access.status).toBe(401);
  });

  it("an access token stops working 30 minutes after issue", async () => {
    const session = await anonLogin(emulator);
    clock.advance(30 * 60 * 1000);
    const res = await callFunction(emulator, session.access, "whoami");
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: "invalid session: access token expired", error_code: "InvalidSession" });
  });

  it("deletes the calling user with DELETE auth/delete (204)", async () => {
    await register("kim@example.com");
    const session = await clientLogin(emulator, "kim@example.com", "client-password");
    const res = await call(emulator.url, "DELETE", `${CLIENT}/auth/delete`, { token: session.access });
    expect(res.status).toBe(204);
    expect(emulator.state.getUser(session.userId)).toBeUndefined();
    expect((await call(emulator.url, "GET", `${CLIENT}/auth/profile`, { token: session.access })).status).toBe(401);
    await expect(clientLogin(emulator, "kim@example.com", "client-password")).rejects.toThrow(/401/);
    // The email is free again.
    expect((await register("kim@example.com")).status).toBe(201);
  });

  it("a disabled user cannot log in", async () => {
    await register("lou@example.com");
    const user = emulator.state.findUserByEmail("lou@example.com")!;
    emulator.state.setDisabled(user.id, true);
    await expect(clientLogin(emulator, "lou@example.com", "client-password")).rejects.toThrow(/401.*user disabled.*UserDisabled/);
  });

  it("logs one line per call with function, user id, outcome and duration; never arguments or tokens", async () => {
    const session = await anonLogin(emulator);
    emulator.logLines.length = 0;
    await callFunction(emulator, session.access, "quiet", ["a-private-argument-value"]);
    await callFunction(emulator, session.access, "fail");
    expect(emulator.logLines).toHaveLength(2);
    expect(emulator.logLines[0]).toMatch(new RegExp(`^function quiet user=${session.userId} ok \\d+ms ops=0$`));
    expect(emulator.logLines[1]).toMatch(new RegExp(`^function fail user=${session.userId} error: FunctionExecutionError: boom: the widget is broken \\d+ms ops=0$`));
    const all = emulator.logLines.join("\n");
    expect(all).not.toContain("a-private-argument-value");
    expect(all).not.toContain(session.access);
  });

  describe("function names", () => {
    it("a name with a newline or a bidi override is logged escaped, on one line that cannot be forged", async () => {
      const session = await anonLogin(emulator);
      emulator.logLines.length = 0;
      const forged = `echo\nfunction deleteCurrentUser user=${session.userId} ok 1ms\u202e`;
      const res = await call(emulator.url, "POST", `${appRoute()}/functions/call`, { token: session.access, body: { name: forged, arguments: [] } });
      expect(res.status).toBe(404);
      expect(emulator.logLines).toHaveLength(1);
      const [line] = emulator.logLines;
      expect(line).not.toMatch(/[\n\r\u202e]/);
      expect(line).toMatch(new RegExp(`^function echo\\\\u000afunction deleteCurrentUser user=${session.userId} ok 1ms\\\\u202e user=${session.userId} error: FunctionNotFound: `));
    });

    it("a backslash is doubled, so an escape in a name cannot pass for one the log made", async () => {
      const session = await anonLogin(emulator);
      emulator.logLines.length = 0;
      await call(emulator.url, "POST", `${appRoute()}/functions/call`, { token: session.access, body: { name: "a\\u000ab", arguments: [] } });
      expect(emulator.logLines[0]).toMatch(/^function a\\\\u000ab user=/);
    });

    it(`a name over ${MAX_FUNCTION_NAME_LENGTH} characters is refused with 400 before it is logged or echoed`, async () => {
      const session = await anonLogin(emulator);
      emulator.logLines.length = 0;
      const longest = await call(emulator.url, "POST", `${appRoute()}/functions/call`, { token: session.access, body: { name: "n".repeat(MAX_FUNCTION_NAME_LENGTH), arguments: [] } });
      expect(longest.status).toBe(404);
      expect(emulator.logLines).toHaveLength(1);

      emulator.logLines.length = 0;
      const huge = "x".repeat(5 * 1024 * 1024);
      const res = await call(emulator.url, "POST", `${appRoute()}/functions/call`, { token: session.access, body: { name: huge, arguments: [] } });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: `function name is ${huge.length} characters long; names are at most ${MAX_FUNCTION_NAME_LENGTH}`, error_code: "InvalidParameter" });
      const over = await call(emulator.url, "POST", `${appRoute()}/functions/call`, { token: session.access, body: { name: "n".repeat(MAX_FUNCTION_NAME_LENGTH + 1), arguments: [] } });
      expect(over.status).toBe(400);
      expect(emulator.logLines).toEqual([]);
    });
  });

  describe("email keys are normalised (NFKC, then lower case)", () => {
    const decomposed = "jose\u0301@example.com"; // "josé" as macOS keyboards may send it
    const composed = "jos\u00e9@example.com";

    it("a decomposed look-alike of a registered address is the same account: no twin, and login works either way", async () => {
      expect((await register(composed, "jose-password")).status).toBe(201);
      const twin = await register(decomposed, "attacker-password");
      expect(twin.status).toBe(409);
      expect(twin.body.error_code).toBe("AccountNameInUse");
      const viaDecomposed = await clientLogin(emulator, decomposed, "jose-password");
      expect(viaDecomposed.userId).toBe(emulator.state.findUserByEmail(composed)!.id);
    });

    it("a look-alike made of compatibility characters cannot be registered, so it cannot block the real address", async () => {
      const fullwidth = "\uff4eed@example.com"; // fullwidth "ｎ"
      const res = await register(fullwidth);
      expect(res.status).toBe(400);
      expect(res.body.error).toMatch(/compatibility characters/);
      expect(res.text).not.toContain("ed@example.com");
      expect((await register("ned@example.com")).status).toBe(201);
      // Logging in with the look-alike spelling reaches the real account, never another one.
      expect((await clientLogin(emulator, fullwidth, "client-password")).userId).toBe(emulator.state.findUserByEmail("ned@example.com")!.id);
    });

    it("a Kelvin sign K is stored as the plain letter it stands for, and keys like any case of it", async () => {
      expect((await register("\u212Aai@example.com")).status).toBe(201);
      const user = emulator.state.findUserByEmail("KAI@example.com")!;
      expect(user.data.email).toBe("Kai@example.com");
      expect((await register("kai@example.com")).status).toBe(409);
    });

    it("a deleted account frees its address for every spelling of it", async () => {
      await register("ora@example.com");
      expect(emulator.state.deleteUser(emulator.state.findUserByEmail("ora@example.com")!.id)).toBe(true);
      expect(emulator.state.findUserByEmail("ORA@example.com")).toBeUndefined();
      expect((await register("ORA@example.com")).status).toBe(201);
      expect(emulator.state.findUserByEmail("ora@example.com")!.data.email).toBe("ORA@example.com");
    });
  });

  describe("login takes the same work for every email", () => {
    let confirming: TestEmulator;
    beforeAll(async () => {
      confirming = await startTestEmulator({ appDir, requireEmailConfirmation: true });
      await confirming.state.createEmailPasswordUser("nia@example.com", "nia-password");
      await confirming.state.createEmailPasswordUser("off@example.com", "off-password");
      confirming.state.setDisabled(confirming.state.findUserByEmail("off@example.com")!.id, true);
      await confirming.state.register("pat@example.com", "pat-password", true);
    });
    afterAll(() => confirming.close());

    /** The scrypt runs (with their cost parameters) one login request makes, and its answer. */
    async function hashRunsOfLogin(username: string, password: string) {
      const scrypt = jest.spyOn(crypto, "scrypt");
      try {
        const res = await call(confirming.url, "POST", `${CLIENT}/app/${confirming.clientAppId}/auth/providers/local-userpass/login`, { body: { username, password } });
        return { status: res.status, code: res.body.error_code, runs: scrypt.mock.calls.map((c) => ({ keylen: c[2], options: c[3] })) };
      } finally {
        scrypt.mockRestore();
      }
    }

    it("one password hash of the same cost runs for a known, unknown, pending or disabled email", async () => {
      const known = await hashRunsOfLogin("nia@example.com", "wrong-password");
      expect(known).toMatchObject({ status: 401, code: "InvalidPassword" });
      expect(known.runs).toHaveLength(1);
      const others = [
        await hashRunsOfLogin("nobody@example.com", "wrong-password"),
        await hashRunsOfLogin("pat@example.com", "wrong-password"),
        await hashRunsOfLogin("off@example.com", "off-password"),
        await hashRunsOfLogin("nia@example.com", "nia-password"),
      ];
      expect(others.map((o) => [o.status, o.code])).toEqual([
        [401, "InvalidPassword"],
        [401, "AuthError"],
        [401, "UserDisabled"],
        [200, undefined],
      ]);
      for (const other of others) expect(other.runs).toEqual(known.runs);
    });
  });

  describe("with requireEmailConfirmation", () => {
    let confirming: TestEmulator;
    beforeAll(async () => {
      confirming = await startTestEmulator({ appDir, requireEmailConfirmation: true });
    });
    afterAll(() => confirming.close());

    it("keeps a registration pending: login answers 'confirmation required' until confirmed", async () => {
      const reg = await call(confirming.url, "POST", `${CLIENT}/app/${confirming.clientAppId}/auth/providers/local-userpass/register`, {
        body: { email: "max@example.com", password: "client-password" },
      });
      expect(reg.status).toBe(201);
      expect(confirming.state.pendingCount()).toBe(1);
      expect(confirming.state.userCount()).toBe(0);
      await expect(clientLogin(confirming, "max@example.com", "client-password")).rejects.toThrow(/401.*confirmation required/);
      confirming.state.confirmPending("max@example.com");
      await expect(clientLogin(confirming, "max@example.com", "client-password")).resolves.toHaveProperty("userId");
    });
  });
});
