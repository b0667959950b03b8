/**
 * `--data FILE`: users, password hashes, sessions, pending registrations and documents survive a
 * restart; each change is on disk before its answer; a corrupt or unreadable file stops start-up
 * with an error naming it and is never overwritten. Also the CLI's persisted secrets file.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { spawnSync } from "node:child_process";
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

  it("keeps Flowerbase profile sessions across a restart: the signing key is the persisted one", async () => {
    const dataFile = path.join(tempDir("emulator-data"), "state.json");
    const flowerbaseDir = makeFixtureApp();
    fs.writeFileSync(path.join(flowerbaseDir, "flowerbase.env"), "");
    const first = await startTestEmulator({ appDir: flowerbaseDir, dataFile, platform: "flowerbase" });
    let session: Awaited<ReturnType<typeof clientLogin>>;
    try {
      const reg = await call(first.url, "POST", `${CLIENT}/app/${first.clientAppId}/auth/providers/local-userpass/register`, { body: { email: "fay@example.com", password: "fay-password" } });
      expect(reg.status).toBe(201);
      session = await clientLogin(first, "fay@example.com", "fay-password");
    } finally {
      await first.close();
    }
    const second = await startTestEmulator({ appDir: flowerbaseDir, dataFile, platform: "flowerbase" });
    try {
      expect((await call(second.url, "GET", `${CLIENT}/auth/profile`, { token: session.access })).status).toBe(200);
      expect((await call(second.url, "POST", `${CLIENT}/auth/session`, { token: session.refresh })).status).toBe(201);
    } finally {
      await second.close();
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

  it("answers a change it could not save as a server error and logs it; a refused request keeps its own answer and writes nothing", async () => {
    const dataDir = path.join(tempDir("emulator-data"), "unwritable");
    const dataFile = path.join(dataDir, "state.json");
    const emulator = await startTestEmulator({ appDir, dataFile });
    try {
      const login = `${CLIENT}/app/${emulator.clientAppId}/auth/providers/anon-user/login`;
      expect((await call(emulator.url, "POST", login, { body: {} })).status).toBe(200);
      const savedAs = fs.statSync(dataFile).ino; // every save renames a new file over it
      // A refused request changes nothing: it stays a 401 and the file is not rewritten.
      const refused = await call(emulator.url, "POST", `${CLIENT}/app/${emulator.clientAppId}/functions/call`, { token: "not-a-token", body: { name: "echo", arguments: [] } });
      expect(refused.status).toBe(401);
      expect(fs.statSync(dataFile).ino).toBe(savedAs);
      // The data file's directory becomes a plain file (chmod would not stop root): no write can succeed.
      fs.rmSync(dataDir, { recursive: true, force: true });
      fs.writeFileSync(dataDir, "not a directory");
      expect((await call(emulator.url, "POST", `${CLIENT}/app/${emulator.clientAppId}/functions/call`, { token: "not-a-token", body: { name: "echo", arguments: [] } })).status).toBe(401);
      expect(emulator.logLines.some((l) => l.startsWith("state: could not save"))).toBe(false);
      const changed = await call(emulator.url, "POST", login, { body: {} });
      expect(changed.status).toBe(500);
      expect(changed.body.error).toBe("the change was made but could not be saved to the data file");
      expect(emulator.logLines.some((l) => l.startsWith(`state: could not save ${dataFile}:`))).toBe(true);
    } finally {
      fs.rmSync(dataDir, { force: true });
      await emulator.close();
    }
  });

  describe("a bad data file stops start-up, named, and untouched", () => {
    const strongKey = randomBytes(32).toString("base64");
    const user = {
      id: "65f0c0de0000000000000001",
      type: "normal",
      creationDate: 1_700_000_000,
      lastAuthenticationDate: 0,
      disabled: false,
      data: { email: "uma@example.com" },
      identities: [{ id: "65f0c0de0000000000000002", providerType: "local-userpass", providerId: "65f0c0de0000000000000a02", providerData: { email: "uma@example.com" }, passwordHash: "scrypt$4096$8$1$c2FsdA==$aGFzaA==" }],
    };
    const session = { id: "a-session", kind: "client", subject: user.id, deviceId: "65f0c0de0000000000000003", createdAt: 1_700_000_000_000, expiresAt: 1_800_000_000_000 };
    /** A valid state file's text, with one change made by `edit`. */
    function stateFile(edit: (file: any) => void = () => undefined): string {
      const file = { format: "app-services-emulator-state", version: 1, state: { signingKey: strongKey, users: [structuredClone(user)], pending: [], sessions: [structuredClone(session)] }, documents: {} };
      edit(file);
      return JSON.stringify(file);
    }

    it.each([
      ["not JSON", "{ this is not json", /is not valid JSON/],
      ["not a state file", JSON.stringify({ hello: "world" }), /not an emulator state file/],
      ["a newer version", JSON.stringify({ format: "app-services-emulator-state", version: 99 }), /version 99/],
      ["a user whose id is a number", stateFile((f) => (f.state.users[0].id = 1)), /\/state\/users\/0\/id must be string/],
      ["disabled as a string", stateFile((f) => (f.state.users[0].disabled = "no")), /\/state\/users\/0\/disabled must be boolean/],
      ["an unknown session type", stateFile((f) => (f.state.sessions[0].kind = "superuser")), /\/state\/sessions\/0\/kind must be equal to one of the allowed values/],
      ["an empty signing key", stateFile((f) => (f.state.signingKey = "")), /\/state\/signingKey must be a base64 string/],
      ["a short signing key", stateFile((f) => (f.state.signingKey = "a2V5")), /\/state\/signingKey is 3 bytes long; HS256 needs at least 32/],
      ["a signing key of 64 zero bytes", stateFile((f) => (f.state.signingKey = Buffer.alloc(64).toString("base64"))), /\/state\/signingKey is not random: only 1 distinct byte values/],
      ["a missing signing key", stateFile((f) => delete f.state.signingKey), /\/state must have required property 'signingKey'/],
      ["an unknown field", stateFile((f) => (f.state.users[0].isAdmin = true)), /\/state\/users\/0\/isAdmin is not a field of the state file/],
      ["documents that are not arrays", stateFile((f) => (f.documents = { "demo.notes": { _id: 1 } })), /\/documents\/demo.notes must be array/],
      ["bad documents", stateFile((f) => (f.documents = { nodot: [{ _id: 1 }] })), /documents are invalid/],
    ])("%s", async (_what, content, reason) => {
      const dataFile = path.join(tempDir("emulator-data"), "state.json");
      fs.writeFileSync(dataFile, content);
      const before = fs.statSync(dataFile).mtimeMs;
      const attempt = startEmulator({ appDir, dataFile, port: 0, log: () => undefined });
      // Should a bad file be accepted, the emulator it started is closed again.
      attempt.then((started) => started.close(), () => undefined);
      await expect(attempt).rejects.toBeInstanceOf(StateFileError);
      await expect(attempt).rejects.toThrow(new RegExp(`Cannot load emulator state from ${dataFile.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
      await expect(attempt).rejects.toThrow(reason);
      const message = await attempt.catch((error: Error) => error.message);
      // The file holds the signing key and password hashes: no value of it is quoted back.
      expect(message).not.toContain(strongKey);
      expect(message).not.toContain("uma@example.com");
      expect(fs.readFileSync(dataFile, "utf8")).toBe(content);
      expect(fs.statSync(dataFile).mtimeMs).toBe(before);
      expect(fs.readdirSync(path.dirname(dataFile))).toEqual(["state.json"]);
    });

    it("the valid file these cases start from loads", async () => {
      const dataFile = path.join(tempDir("emulator-data"), "state.json");
      fs.writeFileSync(dataFile, stateFile());
      const emulator = await startTestEmulator({ appDir, dataFile });
      try {
        expect(emulator.state.getUser(user.id)?.data).toEqual({ email: "uma@example.com" });
        expect(emulator.state.sessionCount("client", user.id)).toBe(1);
      } finally {
        await emulator.close();
      }
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

describe("leftovers of an interrupted write", () => {
  /** The pid of a process that has exited: its temp files can only be leftovers. */
  function exitedPid(): number {
    const child = spawnSync(process.execPath, ["-e", ""]);
    return child.pid;
  }

  it("are removed at start; the data file, other files and a running writer's temp file stay", async () => {
    const dir = tempDir("emulator-leftovers");
    const dataFile = path.join(dir, "state.json");
    const first = await startTestEmulator({ appDir, dataFile });
    await call(first.url, "POST", `${CLIENT}/app/${first.clientAppId}/auth/providers/anon-user/login`, { body: {} });
    await first.close();
    const saved = fs.readFileSync(dataFile, "utf8");

    const leftover = `state.json.${exitedPid()}.0a1b2c3d.tmp`;
    const inFlight = `state.json.${process.pid}.99aabbcc.tmp`;
    const unrelated = ["state.json.bak", `other.json.${exitedPid()}.0a1b2c3d.tmp`];
    for (const name of [leftover, inFlight, ...unrelated]) fs.writeFileSync(path.join(dir, name), "{ half a wri");

    const second = await startTestEmulator({ appDir, dataFile });
    try {
      expect(fs.readdirSync(dir).sort()).toEqual([inFlight, ...unrelated, "state.json"].sort());
      expect(fs.readFileSync(dataFile, "utf8")).toBe(saved);
      expect(second.state.userCount()).toBe(1);
    } finally {
      await second.close();
    }
  });

  it("of the CLI's secrets file are removed too", async () => {
    const dir = tempDir("emulator-secrets");
    const file = path.join(dir, "secrets.json");
    fs.writeFileSync(path.join(dir, `secrets.json.${exitedPid()}.0a1b2c3d.tmp`), '{ "adminApiPub');
    await loadOrCreateSecrets(file);
    expect(fs.readdirSync(dir)).toEqual(["secrets.json"]);
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
