/**
 * `--data FILE`: users, password hashes, sessions, pending registrations and documents survive a
 * restart; each change is on disk before its answer; a corrupt or unreadable file stops start-up
 * with an error naming it and is never overwritten. Also the CLI's persisted secrets file.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { writeFileAtomic } from "../../emulator/data/atomicFile";
import { StateFileError } from "../../emulator/data/stateFile";
import { startEmulator } from "../../emulator/server";
import { loadOrCreateSecrets } from "../../emulator/cli";
import {
  ADMIN,
  CLIENT,
  adminLogin,
  appPath,
  call,
  callFunction,
  clientLogin,
  makeFixtureApp,
  startTestEmulator,
  tempDir,
} from "../helpers/emulator";

const appDir = makeFixtureApp();

describe("persistence with a data file", () => {
  it("keeps users, passwords, sessions, pending users and documents across a restart", async () => {
    const dir = tempDir("emulator-data");
    const dataFile = path.join(dir, "state.json");
    const secrets = { adminApiPublicKeySecret: "persistk", adminApiPrivateKeySecret: "11111111-2222-3333-4444-555555555555" };

    const first = await startTestEmulator({ appDir, dataFile, secrets, requireEmailConfirmation: true });
    const admin = (await adminLogin(first)).access;
    const created = await call(first.url, "POST", `${appPath(first)}/users`, { token: admin, body: { email: "rita@example.com", password: "rita-password" } });
    expect(created.status).toBe(201);
    const other = await call(first.url, "POST", `${appPath(first)}/users`, { token: admin, body: { email: "sam@example.com", password: "sam-password" } });
    await call(first.url, "PUT", `${appPath(first)}/users/${other.body._id}/disable`, { token: admin });
    const reg = await call(first.url, "POST", `${CLIENT}/app/${first.clientAppId}/auth/providers/local-userpass/register`, {
      body: { email: "tess@example.com", password: "tess-password" },
    });
    expect(reg.status).toBe(201);
    const session = await clientLogin(first, "rita@example.com", "rita-password");
    expect((await callFunction(first, session.access, "addNote", ["persisted note"])).status).toBe(200);

    // The change is on disk before the answer left: read the file while the emulator still runs.
    const onDisk = fs.readFileSync(dataFile, "utf8");
    expect(onDisk).toContain("persisted note");
    expect(onDisk).toContain("tess@example.com");
    expect(onDisk).not.toContain("rita-password");
    await first.close();
    expect(fs.readdirSync(dir)).toEqual(["state.json"]);

    const second = await startTestEmulator({ appDir, dataFile, secrets, requireEmailConfirmation: true });
    try {
      // The old refresh token still works: the session and the signing key were kept.
      const refreshed = await call(second.url, "POST", `${CLIENT}/auth/session`, { token: session.refresh });
      expect(refreshed.status).toBe(201);
      expect((await callFunction(second, refreshed.body.access_token, "countNotes")).body).toEqual({ $numberInt: "1" });
      // The password hash was kept.
      const again = await clientLogin(second, "rita@example.com", "rita-password");
      expect(again.userId).toBe(session.userId);
      await expect(clientLogin(second, "rita@example.com", "wrong-password")).rejects.toThrow(/401/);
      // Disabled stays disabled, pending stays pending.
      await expect(clientLogin(second, "sam@example.com", "sam-password")).rejects.toThrow(/UserDisabled/);
      const token = (await adminLogin(second)).access;
      const pending = await call(second.url, "GET", `${appPath(second)}/user_registrations/pending_users`, { token });
      expect(pending.body.map((p: { login_ids: Array<{ id: string }> }) => p.login_ids[0].id)).toEqual(["tess@example.com"]);

      // A deletion persists too.
      expect((await call(second.url, "DELETE", `${appPath(second)}/users/${session.userId}`, { token })).status).toBe(204);
    } finally {
      await second.close();
    }
    const third = await startTestEmulator({ appDir, dataFile, secrets });
    try {
      expect(third.state.getUser(session.userId)).toBeUndefined();
      expect(third.state.findUserByEmail("sam@example.com")).toBeDefined();
      expect(third.store.documents("demo", "notes")).toHaveLength(1);
    } finally {
      await third.close();
    }
  });

  it("starts empty when the data file does not exist yet, and creates it on the first change", async () => {
    const dataFile = path.join(tempDir("emulator-data"), "nested", "state.json");
    const emulator = await startTestEmulator({ appDir, dataFile });
    try {
      expect(emulator.state.userCount()).toBe(0);
      expect(fs.existsSync(dataFile)).toBe(false);
      await call(emulator.url, "POST", `${CLIENT}/app/${emulator.clientAppId}/auth/providers/anon-user/login`, { body: {} });
      expect(JSON.parse(fs.readFileSync(dataFile, "utf8"))).toMatchObject({ format: "app-services-emulator-state", version: 1 });
    } finally {
      await emulator.close();
    }
  });

  describe("a bad data file stops start-up, named, and untouched", () => {
    it.each([
      ["not JSON", "{ this is not json", /is not valid JSON/],
      ["not a state file", JSON.stringify({ hello: "world" }), /not an emulator state file/],
      ["a broken user", JSON.stringify({ format: "app-services-emulator-state", version: 1, state: { signingKey: "a2V5", users: [{ id: 1 }], pending: [], sessions: [] }, documents: {} }), /state\.users\[0\]/],
      ["bad documents", JSON.stringify({ format: "app-services-emulator-state", version: 1, state: { signingKey: "a2V5", users: [], pending: [], sessions: [] }, documents: { nodot: [{ _id: 1 }] } }), /documents are invalid/],
      ["a newer version", JSON.stringify({ format: "app-services-emulator-state", version: 99 }), /version 99/],
    ])("%s", async (_what, content, reason) => {
      const dataFile = path.join(tempDir("emulator-data"), "state.json");
      fs.writeFileSync(dataFile, content);
      const before = fs.statSync(dataFile).mtimeMs;
      const attempt = startEmulator({ appDir, dataFile, port: 0, log: () => undefined });
      await expect(attempt).rejects.toBeInstanceOf(StateFileError);
      await expect(attempt).rejects.toThrow(new RegExp(`Cannot load emulator state from ${dataFile.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
      await expect(attempt).rejects.toThrow(reason);
      expect(fs.readFileSync(dataFile, "utf8")).toBe(content);
      expect(fs.statSync(dataFile).mtimeMs).toBe(before);
      expect(fs.readdirSync(path.dirname(dataFile))).toEqual(["state.json"]);
    });

    it("an unreadable path (a directory)", async () => {
      const dataFile = tempDir("emulator-data-dir");
      await expect(startEmulator({ appDir, dataFile, port: 0, log: () => undefined })).rejects.toThrow(/cannot be read \(EISDIR\)/);
    });
  });
});

describe("atomic writes", () => {
  it("leave the old file as it was and no temp file behind when the write fails", async () => {
    const dir = tempDir("atomic");
    // A non-empty directory where the file should go makes the final rename fail.
    const target = path.join(dir, "state.json");
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, "keep.txt"), "old");
    await expect(writeFileAtomic(target, "new")).rejects.toThrow();
    expect(fs.readFileSync(path.join(target, "keep.txt"), "utf8")).toBe("old");
    expect(fs.readdirSync(dir)).toEqual(["state.json"]);
  });

  it("replace the file whole when the write succeeds", async () => {
    const file = path.join(tempDir("atomic"), "state.json");
    fs.writeFileSync(file, "old");
    await writeFileAtomic(file, "new");
    expect(fs.readFileSync(file, "utf8")).toBe("new");
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });
});

describe("the CLI's secrets file", () => {
  it("generates an Admin API key pair once and reuses it", async () => {
    const file = path.join(tempDir("emulator-secrets"), ".emulator", "secrets.json");
    const first = await loadOrCreateSecrets(file);
    expect(first).toEqual({ adminApiPublicKeySecret: expect.stringMatching(/^[a-z]{8}$/), adminApiPrivateKeySecret: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(await loadOrCreateSecrets(file)).toEqual(first);
  });

  it("reports a broken secrets file by name and leaves it alone", async () => {
    const file = path.join(tempDir("emulator-secrets"), "secrets.json");
    fs.writeFileSync(file, "{ broken");
    await expect(loadOrCreateSecrets(file)).rejects.toThrow(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} is not valid JSON`));
    expect(fs.readFileSync(file, "utf8")).toBe("{ broken");
  });

  it("the emulator's Admin API accepts the key pair it was given", async () => {
    const secrets = await loadOrCreateSecrets(path.join(tempDir("emulator-secrets"), "secrets.json"));
    const emulator = await startTestEmulator({ appDir, secrets });
    try {
      const res = await call(emulator.url, "POST", `${ADMIN}/auth/providers/mongodb-cloud/login`, {
        body: { username: secrets.adminApiPublicKeySecret, apiKey: secrets.adminApiPrivateKeySecret },
      });
      expect(res.status).toBe(200);
    } finally {
      await emulator.close();
    }
  });
});
