/**
 * The Admin API login helper and client from lib/, run directly (for coverage) with the runtime's
 * context.http against the emulator's Admin API on 127.0.0.1.
 */
import { createServer, type Server } from "node:http";
import { adminLogin, connectAdminApi, createAdminApiClient } from "../../lib/adminApi";
import type { AdminApiConfig } from "../../lib/config";
import { isAdminApiError, isConfigError } from "../../lib/errors";
import { createContextHttp } from "../../emulator/runtime/http";
import { builtAppDir, startBuiltApp, type Harness } from "../helpers/builtApp";

const http = createContextHttp() as unknown as AppServicesHttp;
let h: Harness;
let config: AdminApiConfig;

beforeAll(async () => {
  await builtAppDir();
  h = await startBuiltApp({ requireEmailConfirmation: true });
  config = {
    baseUrl: h.emulator.adminApiBaseUrl,
    groupId: h.emulator.appInfo.projectId,
    appId: h.emulator.appInfo.id,
    publicKey: h.emulator.adminKeys.publicKey,
    privateKey: h.emulator.adminKeys.privateKey,
  };
});
afterAll(() => h.emulator.close());

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
}

describe("adminLogin", () => {
  it("returns an access token and the session's refresh token for a valid key pair", async () => {
    const session = await adminLogin(http, config);
    expect(await h.emulator.state.checkToken(session.accessToken, "admin-access")).toMatchObject({ ok: true });
    expect(await h.emulator.state.checkToken(session.refreshToken, "admin-refresh")).toMatchObject({ ok: true });
  });

  it("turns a refused key into a ConfigError naming the values, without the key", async () => {
    const error = await rejection(adminLogin(http, { ...config, privateKey: "wrong-private-key" }));
    expect(isConfigError(error)).toBe(true);
    expect(error.message).toMatch(/status 401.*adminApiPublicKey and adminApiPrivateKey/);
    expect(error.message).not.toContain("wrong-private-key");
    expect(error.message).not.toContain(config.publicKey);
  });

  it("reports a server that answers 200 without a token as a base URL problem", async () => {
    const server: Server = createServer((_req, res) => res.writeHead(200, { "Content-Type": "application/json" }).end("{}"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    try {
      const error = await rejection(adminLogin(http, { ...config, baseUrl: `http://127.0.0.1:${port}` }));
      expect(error.message).toMatch(/without an access_token: check that the value adminApiBaseUrl/);
    } finally {
      server.close();
    }
  });

  it("keeps a non-JSON error body as the error text", async () => {
    const server: Server = createServer((_req, res) => res.writeHead(502, { "Content-Type": "text/html" }).end("<h1>Bad gateway</h1>"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    try {
      const error = await rejection(adminLogin(http, { ...config, baseUrl: `http://127.0.0.1:${port}` }));
      expect(isAdminApiError(error)).toBe(true);
      expect(error).toMatchObject({ status: 502, operation: "adminLogin", method: "POST" });
      expect(error.message).toMatch(/failed with status 502: <h1>Bad gateway<\/h1>/);
    } finally {
      server.close();
    }
  });
});

describe("the Admin API client", () => {
  it("gets, lists page by page, disables, enables, logs out and deletes users", async () => {
    const client = await connectAdminApi(http, config);
    const ids: string[] = [];
    for (let i = 0; i < 55; i++) ids.push((await h.emulator.state.createEmailPasswordUser(`client${i}@example.com`, "password-123")).id);

    expect(await client.getUser(ids[0])).toMatchObject({ _id: ids[0] });
    expect(await client.getUser("65f0c0de0000000000000fff")).toBeUndefined();

    const first = await client.listUsers();
    expect(first).toHaveLength(50);
    const second = await client.listUsers(first[first.length - 1]._id);
    expect(second.length).toBeGreaterThanOrEqual(5);
    expect(new Set([...first, ...second].map((u) => u._id)).size).toBe(first.length + second.length); // no user on two pages

    await client.disableUser(ids[1]);
    expect(h.emulator.state.getUser(ids[1])?.disabled).toBe(true);
    await client.enableUser(ids[1]);
    expect(h.emulator.state.getUser(ids[1])?.disabled).toBe(false);
    await h.emulator.state.createSession("client", ids[2]);
    await client.logoutUser(ids[2]);
    expect(h.emulator.state.sessionCount("client", ids[2])).toBe(0);

    expect(await client.deleteUser(ids[3])).toBe("deleted");
    expect(await client.deleteUser(ids[3])).toBe("alreadyGone");
  });

  it("lists and deletes pending registrations", async () => {
    await h.emulator.state.register("pending-client@example.com", "password-123", true);
    const client = await connectAdminApi(http, config);
    const pending = await client.listPendingUsers();
    expect(pending.map((p) => p.login_ids[0].id)).toContain("pending-client@example.com");
    expect(await client.deletePendingUser("pending-client@example.com")).toBe("deleted");
    expect(await client.deletePendingUser("pending-client@example.com")).toBe("alreadyGone");
  });

  it("never takes a 404 for 'already gone' when the app itself does not exist", async () => {
    const session = await adminLogin(http, config);
    const wrongApp = createAdminApiClient(http, { ...config, appId: "65f0c0de0000000000000eee" }, session);
    const error = await rejection(wrongApp.deleteUser("65f0c0de0000000000000fff"));
    expect(isConfigError(error)).toBe(true);
    expect(error.message).toMatch(/no app 65f0c0de0000000000000eee in project/);
    await expect(wrongApp.assertAppExists()).rejects.toMatchObject({ name: "ConfigError" });
  });

  it("throws on a 200 whose body is not a list (an empty page would make every later owner look deleted), and takes any 200 from getUser for a live user", async () => {
    // A server on 127.0.0.1 answering 200 with a non-list for the user list, and 200 with no body for one user.
    const server: Server = createServer((req, res) => {
      if (/\/users\/[0-9a-f]{24}$/.test(req.url ?? "")) res.writeHead(200).end();
      else res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ users: [] }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    try {
      const client = createAdminApiClient(http, { ...config, baseUrl: `http://127.0.0.1:${port}` }, { accessToken: "test-access", refreshToken: "" });
      const error = await rejection(client.listUsers());
      expect(isAdminApiError(error)).toBe(true);
      expect(error).toMatchObject({ operation: "adminListUsers", status: 200 });
      expect(error.message).toMatch(/adminListUsers \(GET .*\) failed with status 200: the answer is not a list; check that the value adminApiBaseUrl/);
      await expect(client.listPendingUsers()).rejects.toMatchObject({ name: "AdminApiError", operation: "adminListPendingUsers" });
      expect(await client.getUser("65f0c0de0000000000000fff")).toMatchObject({ _id: "65f0c0de0000000000000fff" });
    } finally {
      server.close();
    }
  });

  it("names operation, method, URL and status on failure", async () => {
    const client = await connectAdminApi(http, config);
    h.emulator.faults.inject({ match: "adminEnableUser", kind: "status500" });
    const error = await rejection(client.enableUser("65f0c0de0000000000000fff"));
    expect(error).toMatchObject({ name: "AdminApiError", operation: "adminEnableUser", method: "PUT", status: 500 });
    expect(error.message).toMatch(/adminEnableUser \(PUT http:\/\/127\.0\.0\.1:\d+\/api\/admin\/v3\.0\/groups\/\w+\/apps\/\w+\/users\/65f0c0de0000000000000fff\/enable\) failed with status 500: internal server error/);
  });
});
