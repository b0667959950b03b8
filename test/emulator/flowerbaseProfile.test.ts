/**
 * The emulator's flowerbase profile itself, with fixture functions: Flowerbase's context (no
 * context.app or runningAsSystem, values as environment strings from flowerbase.env, the auth
 * service for system functions only), its token rules, and no Admin API.
 */
import crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { ObjectId } from "bson";
import { FLOWERBASE_DEFAULTS } from "../../emulator/flowerbase/documents";
import { startEmulator } from "../../emulator/server";
import { ADMIN, CLIENT, call, callFunction, clientLogin, jwtPayload, makeFixtureApp, startTestEmulator, type TestEmulator } from "../helpers/emulator";

const FUNCTIONS = {
  contextShape: {
    source:
      'exports = async function () { return { app: typeof context.app, runningAsSystem: typeof context.runningAsSystem, admins: context.values.get("accountAdmins"), name: context.values.get("appName"), missing: typeof context.values.get("nothing"), user: context.user, idIsObjectId: context.user._id instanceof BSON.ObjectId, other: typeof context.services.get("other-service") }; };',
  },
  deleteViaAuth: { source: 'exports = async function (id) { return context.services.get("auth").emailPasswordAuth.deleteUser({ id: id }); };' },
};

function fixtureWithEnv(env: string): string {
  const dir = makeFixtureApp(FUNCTIONS);
  fs.writeFileSync(path.join(dir, "flowerbase.env"), env);
  return dir;
}

describe("the flowerbase profile", () => {
  let emulator: TestEmulator;
  beforeAll(async () => {
    emulator = await startTestEmulator({ appDir: fixtureWithEnv('# comment\naccountAdmins=["65f0c0de00000000000000a1"]\nappName=\'#demo\'\n'), platform: "flowerbase" });
  });
  afterAll(() => emulator.close());

  it("gives functions Flowerbase's context: no context.app or runningAsSystem, values as environment strings, context.user the flattened token", async () => {
    const id = await emulator.flowerbase!.createUser("shape@example.com", "password-123");
    const tokens = await clientLogin(emulator, "shape@example.com", "password-123");
    const res = await callFunction(emulator, tokens.access, "contextShape");
    expect(res.status).toBe(200);
    const body = JSON.parse(res.text);
    expect(body).toMatchObject({ app: "undefined", runningAsSystem: "undefined", admins: '["65f0c0de00000000000000a1"]', name: "#demo", idIsObjectId: true, other: "undefined" });
    expect(body.missing).toBe("undefined");
    expect(body.user).toMatchObject({ typ: "access", id, sub: id, email: "shape@example.com", data: { _id: id, id, email: "shape@example.com" } });
    expect(body.user.type).toBeUndefined();
  });

  it("the auth service's deleteUser refuses a function that does not run as system", async () => {
    const id = await emulator.flowerbase!.createUser("kept@example.com", "password-123");
    const tokens = await clientLogin(emulator, "kept@example.com", "password-123");
    const res = await callFunction(emulator, tokens.access, "deleteViaAuth", [id]);
    expect(res.status).toBe(400);
    expect(res.body.error).toContain("only run_as_system");
    expect(await emulator.flowerbase!.findUser(id)).toBeDefined();
  });

  it("an access token dies with its user document, and once lastLogoutAt reaches its iat", async () => {
    const id = await emulator.flowerbase!.createUser("tokens@example.com", "password-123");
    const tokens = await clientLogin(emulator, "tokens@example.com", "password-123");
    const profile = () => call(emulator.url, "GET", `${CLIENT}/auth/profile`, { token: tokens.access });
    expect((await profile()).status).toBe(200);
    const iat = jwtPayload(tokens.access).iat as number;
    const users = emulator.flowerbase!.users;
    await users.updateOne({ _id: new ObjectId(id) }, { $set: { lastLogoutAt: new Date(iat * 1000 - 1) } });
    expect((await profile()).status).toBe(200);
    await users.updateOne({ _id: new ObjectId(id) }, { $set: { lastLogoutAt: new Date(iat * 1000) } });
    expect(await profile()).toMatchObject({ status: 401, body: { error_code: "InvalidSession" } });
    await users.updateOne({ _id: new ObjectId(id) }, { $unset: { lastLogoutAt: "" } });
    expect((await profile()).status).toBe(200);
    await users.deleteOne({ _id: new ObjectId(id) });
    expect((await profile()).status).toBe(401);
  });

  it("stores users, refresh tokens and logins in Flowerbase's collections and shapes", async () => {
    const app = emulator.clientAppId;
    expect((await call(emulator.url, "POST", `${CLIENT}/app/${app}/auth/providers/local-userpass/register`, { body: { email: "Mixed@Example.com", password: "password-123" } })).status).toBe(201);
    const doc = await emulator.flowerbase!.findByEmail("mixed@example.com");
    expect(doc).toMatchObject({ email: "mixed@example.com", status: "confirmed", custom_data: {}, identities: [{ provider_type: "local-userpass", provider_data: { email: "mixed@example.com" } }] });
    expect(doc!.createdAt).toBeInstanceOf(Date);
    const tokens = await clientLogin(emulator, "mixed@example.com", "password-123");
    const stored = emulator.store.documents(FLOWERBASE_DEFAULTS.database, FLOWERBASE_DEFAULTS.refreshTokensCollection).filter((t) => String(t.userId) === tokens.userId);
    expect(stored).toEqual([{ _id: expect.anything(), userId: doc!._id, tokenHash: expect.stringMatching(/^[0-9a-f]{64}$/), createdAt: expect.any(Date), expiresAt: expect.any(Date), revokedAt: null }]);
    expect(JSON.stringify(stored)).not.toContain(tokens.refresh);
    expect((await call(emulator.url, "DELETE", `${CLIENT}/auth/session`, { token: tokens.refresh })).status).toBe(204);
    expect(await call(emulator.url, "POST", `${CLIENT}/auth/session`, { token: tokens.refresh })).toMatchObject({ status: 401 });
  });

  it("registers one email once when two registrations of it run at the same time", async () => {
    const app = emulator.clientAppId;
    const register = () => call(emulator.url, "POST", `${CLIENT}/app/${app}/auth/providers/local-userpass/register`, { body: { email: "twice@example.com", password: "password-123" } });
    const statuses = (await Promise.all([register(), register()])).map((res) => res.status).sort();
    expect(statuses[0]).toBe(201);
    expect(statuses[1]).toBeGreaterThanOrEqual(400);
    expect(emulator.store.documents(emulator.flowerbase!.location.database, emulator.flowerbase!.location.collection).filter((u) => u.email === "twice@example.com")).toHaveLength(1);
  });

  it("runs one password hash of the same cost for a known and an unknown email (unlike Flowerbase, which tells them apart)", async () => {
    const app = emulator.clientAppId;
    await call(emulator.url, "POST", `${CLIENT}/app/${app}/auth/providers/local-userpass/register`, { body: { email: "known@example.com", password: "password-123" } });
    const runsOf = async (username: string) => {
      const scrypt = jest.spyOn(crypto, "scrypt");
      try {
        const res = await call(emulator.url, "POST", `${CLIENT}/app/${app}/auth/providers/local-userpass/login`, { body: { username, password: "wrong-password" } });
        expect(res.status).toBe(401);
        return scrypt.mock.calls.map((c) => ({ keylen: c[2], options: c[3] }));
      } finally {
        scrypt.mockRestore();
      }
    };
    const known = await runsOf("known@example.com");
    expect(known).toHaveLength(1);
    expect(await runsOf("nobody@example.com")).toEqual(known);
  });

  it("has no Admin API", async () => {
    const res = await call(emulator.url, "POST", `${ADMIN}/auth/providers/mongodb-cloud/login`, { body: { username: "x", apiKey: "y" } });
    expect(res.status).toBe(404);
  });

  it("refuses to start on an app directory without flowerbase.env, naming the fix", async () => {
    await expect(startEmulator({ appDir: makeFixtureApp(FUNCTIONS), port: 0, platform: "flowerbase", log: () => undefined })).rejects.toThrow(/flowerbase\.env is missing: run `npm run build`/);
  });
});
