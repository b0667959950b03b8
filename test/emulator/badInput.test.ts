/**
 * Bad input gets App Services-shaped JSON errors: malformed JSON, wrong content type, unknown
 * routes, bodies over 18 MB (streamed), unknown/throwing/slow functions, bad tokens, a taken port,
 * and bad command-line arguments.
 */
import * as http from "node:http";
import { ManualClock } from "../../emulator/accounts/clock";
import { PortInUseError, startEmulator } from "../../emulator/server";
import { parseCliArgs, DEFAULT_PORT } from "../../emulator/cli";
import { LIMITS } from "../../emulator/runtime/rules";
import { ADMIN, CLIENT, anonLogin, call, callFunction, makeFixtureApp, startTestEmulator, type TestEmulator } from "../helpers/emulator";

const appDir = makeFixtureApp();
const MB = 1024 * 1024;

/**
 * POSTs `totalBytes` in chunked encoding, reusing one 1 MB buffer (no big copy in the test), and
 * resolves with the answer as soon as it arrives; stops uploading then.
 */
function streamUpload(url: string, path: string, totalBytes: number, headers: Record<string, string>): Promise<{ status: number; body: any }> {
  const chunk = Buffer.alloc(MB, "a");
  return new Promise((resolve, reject) => {
    let answered = false;
    // agent: false: a socket abandoned mid-upload must never go back to a pool for the next test.
    const req = http.request(`${url}${path}`, { method: "POST", agent: false, headers: { "Content-Type": "application/json", ...headers } }, (res) => {
      answered = true;
      const parts: Buffer[] = [];
      res.on("data", (d: Buffer) => parts.push(d));
      res.on("end", () => {
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(parts).toString("utf8")) });
        req.destroy();
      });
    });
    req.on("error", (error) => {
      if (!answered) reject(error);
    });
    let sent = 0;
    const pump = () => {
      while (sent < totalBytes && !answered) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once("drain", pump);
          return;
        }
      }
      if (!answered) req.end();
    };
    pump();
  });
}

describe("bad input", () => {
  let emulator: TestEmulator;
  const clock = new ManualClock();

  beforeAll(async () => {
    emulator = await startTestEmulator({ appDir, clock, functionTimeoutMs: 300 });
  });
  afterAll(() => emulator.close());

  const appRoute = () => `${CLIENT}/app/${emulator.clientAppId}`;

  describe("request bodies", () => {
    it("answers malformed JSON with 400, without echoing the input", async () => {
      const client = await call(emulator.url, "POST", `${appRoute()}/auth/providers/local-userpass/login`, {
        raw: '{"username":"a@example.com","password":"hunter2-secret"',
        headers: { "Content-Type": "application/json" },
      });
      expect(client.status).toBe(400);
      expect(client.body).toEqual({ error: expect.stringMatching(/^invalid JSON/), error_code: "BadRequest" });
      expect(client.text).not.toContain("hunter2-secret");

      const admin = await call(emulator.url, "POST", `${ADMIN}/auth/providers/mongodb-cloud/login`, { raw: "{nope", headers: { "Content-Type": "application/json" } });
      expect(admin.status).toBe(400);
      expect(admin.body.error_code).toBe("BadRequest");
    });

    it("answers an empty body and a non-object body with 400", async () => {
      const session = await anonLogin(emulator);
      const emptyBody = await call(emulator.url, "POST", `${appRoute()}/functions/call`, { token: session.access, raw: "", headers: { "Content-Type": "application/json" } });
      expect(emptyBody.status).toBe(400);
      const array = await call(emulator.url, "POST", `${appRoute()}/functions/call`, { token: session.access, body: [1, 2] });
      expect(array.status).toBe(400);
      const noName = await call(emulator.url, "POST", `${appRoute()}/functions/call`, { token: session.access, body: { arguments: [] } });
      expect(noName.status).toBe(400);
      const badArgs = await call(emulator.url, "POST", `${appRoute()}/functions/call`, { token: session.access, body: { name: "echo", arguments: "x" } });
      expect(badArgs.status).toBe(400);
    });

    it("answers a wrong content type with 415", async () => {
      const res = await call(emulator.url, "POST", `${appRoute()}/auth/providers/anon-user/login`, { raw: "{}", headers: { "Content-Type": "text/plain" } });
      expect(res.status).toBe(415);
      expect(res.body).toEqual({ error: expect.any(String), error_code: "UnsupportedMediaType" });
      const admin = await call(emulator.url, "POST", `${ADMIN}/auth/providers/mongodb-cloud/login`, { raw: "username=a", headers: { "Content-Type": "application/x-www-form-urlencoded" } });
      expect(admin.status).toBe(415);
    });

    it("streams a body over 18 MB and answers 413 without reading it all; the server keeps serving", async () => {
      const session = await anonLogin(emulator);
      const res = await streamUpload(emulator.url, `${appRoute()}/functions/call`, 19 * MB, { Authorization: `Bearer ${session.access}` });
      expect(res.status).toBe(413);
      expect(res.body).toEqual({ error: expect.stringContaining("18 MB"), error_code: "RequestBodyTooLarge" });
      expect((await callFunction(emulator, session.access, "whoami")).body).toBe(session.userId);
    });

    it("takes the limit from the runtime's rules table (LIMITS.requestBytes), not a second constant", async () => {
      const limit = jest.replaceProperty(LIMITS, "requestBytes", 2 * MB);
      try {
        const session = await anonLogin(emulator);
        const res = await streamUpload(emulator.url, `${appRoute()}/functions/call`, 3 * MB, { Authorization: `Bearer ${session.access}` });
        expect(res.status).toBe(413);
        expect(res.body.error).toContain("2 MB");
      } finally {
        limit.restore();
      }
    });

    it("answers 413 at once when Content-Length announces more than 18 MB", async () => {
      const res = await new Promise<{ status: number; body: any }>((resolve, reject) => {
        const req = http.request(`${emulator.url}${appRoute()}/auth/providers/local-userpass/register`, {
          method: "POST",
          agent: false,
          headers: { "Content-Type": "application/json", "Content-Length": String(18 * MB + 1) },
        });
        req.on("response", (r) => {
          const parts: Buffer[] = [];
          r.on("data", (d: Buffer) => parts.push(d));
          r.on("end", () => {
            resolve({ status: r.statusCode ?? 0, body: JSON.parse(Buffer.concat(parts).toString("utf8")) });
            req.destroy();
          });
        });
        req.on("error", reject);
        req.write("{");
      });
      expect(res.status).toBe(413);
      expect(res.body.error_code).toBe("RequestBodyTooLarge");
    });
  });

  describe("routes", () => {
    it.each([`${CLIENT}/nope`, `${ADMIN}/nope`, "/nope.html", "/api/other/v1/x"])("answers 404 with a JSON body for %s", async (path) => {
      const res = await call(emulator.url, "GET", path);
      expect(res.status).toBe(404);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      expect(res.body).toEqual({ error: expect.any(String), error_code: "NotFound" });
    });

    it("answers a known path with the wrong method with 405 JSON", async () => {
      const res = await call(emulator.url, "GET", `${CLIENT}/auth/delete`);
      expect(res.status).toBe(405);
      expect(res.body.error_code).toBe("MethodNotAllowed");
    });
  });

  describe("functions", () => {
    it("answers an unknown function with 404 function not found", async () => {
      const session = await anonLogin(emulator);
      const res = await callFunction(emulator, session.access, "doesNotExist");
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ error: "function not found: 'doesNotExist'", error_code: "FunctionNotFound" });
    });

    it("answers a throwing function with 400 FunctionExecutionError and its message", async () => {
      const session = await anonLogin(emulator);
      const res = await callFunction(emulator, session.access, "fail");
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: "boom: the widget is broken", error_code: "FunctionExecutionError", link: expect.stringContaining("/logs?co_id=") });
    });

    it("answers a function past its time limit with an error saying so", async () => {
      const session = await anonLogin(emulator);
      const started = Date.now();
      const res = await callFunction(emulator, session.access, "hang");
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: expect.stringMatching(/time limit/), error_code: "ExecutionTimeLimitExceeded" });
    });

    it("refuses the mongo service calls realm-web's mongoClient would send", async () => {
      const session = await anonLogin(emulator);
      const res = await call(emulator.url, "POST", `${appRoute()}/functions/call`, { token: session.access, body: { name: "find", arguments: [], service: "mongodb-atlas" } });
      expect(res.status).toBe(404);
      expect(res.body.error_code).toBe("ServiceNotFound");
    });

    it("does not echo a service name that is not a short plain name", async () => {
      const session = await anonLogin(emulator);
      const service = `x\nforged line ${"y".repeat(100_000)}`;
      const res = await call(emulator.url, "POST", `${appRoute()}/functions/call`, { token: session.access, body: { name: "find", arguments: [], service } });
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: "service not found", error_code: "ServiceNotFound" });
    });
  });

  describe("tokens", () => {
    it("answers an expired access token with 401 InvalidSession", async () => {
      const session = await anonLogin(emulator);
      clock.advance(31 * 60 * 1000);
      const res = await callFunction(emulator, session.access, "whoami");
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: "invalid session: access token expired", error_code: "InvalidSession" });
    });

    it("answers a refresh token used as an access token with 401 InvalidSession", async () => {
      const session = await anonLogin(emulator);
      const res = await callFunction(emulator, session.refresh, "whoami");
      expect(res.status).toBe(401);
      expect(res.body.error_code).toBe("InvalidSession");
    });

    it("answers an access token used as a refresh token with 401 InvalidSession", async () => {
      const session = await anonLogin(emulator);
      const res = await call(emulator.url, "POST", `${CLIENT}/auth/session`, { token: session.access });
      expect(res.status).toBe(401);
      expect(res.body.error_code).toBe("InvalidSession");
    });

    it("answers garbage, forged and Admin API tokens on the client API with 401 InvalidSession", async () => {
      const session = await anonLogin(emulator);
      const [header, payload] = session.access.split(".");
      const forgedPayload = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, "base64url").toString()), sub: "000000000000000000000000" })).toString("base64url");
      const admin = await call(emulator.url, "POST", `${ADMIN}/auth/providers/mongodb-cloud/login`, {
        body: { username: emulator.adminKeys.publicKey, apiKey: emulator.adminKeys.privateKey },
      });
      for (const token of ["garbage", `${header}.${forgedPayload}.${session.access.split(".")[2]}`, admin.body.access_token]) {
        const res = await callFunction(emulator, token, "whoami");
        expect(res.status).toBe(401);
        expect(res.body.error_code).toBe("InvalidSession");
      }
      const noHeader = await call(emulator.url, "GET", `${CLIENT}/auth/profile`);
      expect(noHeader.status).toBe(401);
    });
  });

  describe("start-up", () => {
    it("rejects a second server on a taken port with an error naming the port", async () => {
      const attempt = startEmulator({ appDir, host: "127.0.0.1", port: emulator.port, log: () => undefined });
      await expect(attempt).rejects.toBeInstanceOf(PortInUseError);
      await expect(attempt).rejects.toThrow(new RegExp(`Port ${emulator.port} on 127\\.0\\.0\\.1 is already in use`));
    });

    it("binds 127.0.0.1 only unless told otherwise", async () => {
      const local = await startEmulator({ appDir, log: () => undefined });
      try {
        expect(local.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      } finally {
        await local.close();
      }
    });

    it("rejects a folder that is not a built app with a clear error", async () => {
      await expect(startEmulator({ appDir: "/nonexistent/app", port: 0, log: () => undefined })).rejects.toThrow(/not a built app directory.*npm run build/);
    });
  });

  describe("command line", () => {
    it("defaults to 127.0.0.1:8787 and the demo app id", () => {
      expect(parseCliArgs([])).toEqual({ port: DEFAULT_PORT, host: "127.0.0.1", appId: "delete-user-demo-abcde", dataFile: undefined, secretsFile: expect.stringMatching(/\/\.emulator\/secrets\.json$/), latencyMs: 0, functionTimeLimitMs: 300_000, allowOrigins: [], confirmRegistrations: true, platform: "appservices" });
      expect(parseCliArgs(["--platform", "flowerbase"]).platform).toBe("flowerbase");
      expect(parseCliArgs(["--latency", "25"]).latencyMs).toBe(25);
      expect(parseCliArgs(["--function-time-limit", "2.5"]).functionTimeLimitMs).toBe(2500);
      expect(parseCliArgs(["--port", "9000", "--app-id", "mine-xyz", "--data", "state.json", "--host", "::1"])).toMatchObject({
        port: 9000,
        appId: "mine-xyz",
        host: "::1",
        dataFile: expect.stringMatching(/\/state\.json$/),
      });
    });

    it.each([[["--port", "eighty"]], [["--port", "70000"]], [["--verbose"]], [["--app-id", "a b"]], [["--latency", "-1"]], [["--latency", "slow"]], [["--function-time-limit", "0"]], [["--function-time-limit", "301"]], [["--function-time-limit", "soon"]], [["--platform", "realm"]], [["--port="]], [["--port", " "]], [["--latency="]], [["--function-time-limit="]]])("rejects %j with a usage message", (argv) => {
      expect(() => parseCliArgs(argv)).toThrow(expect.objectContaining({ name: "UsageError" }));
    });
  });
});
