/**
 * The emulator's Admin API: every operation the bundle uses, paging, authentication, wrong ids,
 * revocation of client sessions, and injected faults. Loopback HTTP only.
 */
import { FaultPlan } from "../../emulator/faults";
import { ManualClock } from "../../emulator/accounts/clock";
import {
  ADMIN,
  CLIENT,
  adminLogin,
  appPath,
  call,
  clientLogin,
  makeFixtureApp,
  startTestEmulator,
  type TestEmulator,
} from "../helpers/emulator";

const appDir = makeFixtureApp();

describe("Admin API", () => {
  let emulator: TestEmulator;
  let token: string;
  const clock = new ManualClock(Date.UTC(2026, 0, 15, 12, 0, 0));

  beforeAll(async () => {
    emulator = await startTestEmulator({ appDir, clock, requireEmailConfirmation: true });
  });
  afterAll(() => emulator.close());
  beforeEach(async () => {
    emulator.faults.clear();
    emulator.faults.latencyMs = 0;
    token = (await adminLogin(emulator)).access;
  });

  describe("login and sessions", () => {
    it("logs in with the key pair and answers tokens, user_id and device_id", async () => {
      const res = await call(emulator.url, "POST", `${ADMIN}/auth/providers/mongodb-cloud/login`, {
        body: { username: emulator.adminKeys.publicKey, apiKey: emulator.adminKeys.privateKey },
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        access_token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
        refresh_token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
        user_id: expect.any(String),
        device_id: expect.any(String),
      });
    });

    it("refuses a wrong private key with 401 { error, error_code }", async () => {
      const res = await call(emulator.url, "POST", `${ADMIN}/auth/providers/mongodb-cloud/login`, {
        body: { username: emulator.adminKeys.publicKey, apiKey: "00000000-0000-0000-0000-000000000000" },
      });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: expect.any(String), error_code: expect.any(String) });
      expect(res.text).not.toContain(emulator.adminKeys.privateKey);
    });

    it("refuses a wrong public key and a login without fields", async () => {
      const wrongUser = await call(emulator.url, "POST", `${ADMIN}/auth/providers/mongodb-cloud/login`, {
        body: { username: "zzzzzzzz", apiKey: emulator.adminKeys.privateKey },
      });
      expect(wrongUser.status).toBe(401);
      const missing = await call(emulator.url, "POST", `${ADMIN}/auth/providers/mongodb-cloud/login`, { body: {} });
      expect(missing.status).toBe(400);
      expect(missing.body.error_code).toBe("BadRequest");
    });

    it("refreshes an access token with the refresh token (201) and refuses an access token there", async () => {
      const { access, refresh } = await adminLogin(emulator);
      const refreshed = await call(emulator.url, "POST", `${ADMIN}/auth/session`, { token: refresh });
      expect(refreshed.status).toBe(201);
      expect(Object.keys(refreshed.body)).toEqual(["access_token"]);
      const users = await call(emulator.url, "GET", `${appPath(emulator)}/users`, { token: refreshed.body.access_token });
      expect(users.status).toBe(200);

      const wrongType = await call(emulator.url, "POST", `${ADMIN}/auth/session`, { token: access });
      expect(wrongType.status).toBe(401);
      expect(wrongType.body).toEqual({ error: "invalid refresh token: incorrect token type", error_code: "InvalidSession" });
    });

    it("refuses a refresh token used as an access token", async () => {
      const { refresh } = await adminLogin(emulator);
      const res = await call(emulator.url, "GET", `${appPath(emulator)}/users`, { token: refresh });
      expect(res.status).toBe(401);
      expect(res.body.error_code).toBe("InvalidSession");
    });

    it("expires access tokens 30 minutes after issue (injected clock); refresh gives a working one", async () => {
      const { access, refresh } = await adminLogin(emulator);
      clock.advance(29 * 60 * 1000);
      expect((await call(emulator.url, "GET", `${appPath(emulator)}/users`, { token: access })).status).toBe(200);
      clock.advance(60 * 1000);
      const expired = await call(emulator.url, "GET", `${appPath(emulator)}/users`, { token: access });
      expect(expired.status).toBe(401);
      expect(expired.body).toEqual({ error: "invalid session: access token expired", error_code: "InvalidSession" });
      const refreshed = await call(emulator.url, "POST", `${ADMIN}/auth/session`, { token: refresh });
      expect(refreshed.status).toBe(201);
      expect((await call(emulator.url, "GET", `${appPath(emulator)}/users`, { token: refreshed.body.access_token })).status).toBe(200);
    });

    it("answers 401 InvalidSession without a token or with a forged one", async () => {
      const none = await call(emulator.url, "GET", `${appPath(emulator)}/users`);
      expect(none.status).toBe(401);
      expect(none.body.error_code).toBe("InvalidSession");
      const [h, p] = token.split(".");
      const forged = await call(emulator.url, "GET", `${appPath(emulator)}/users`, { token: `${h}.${p}.AAAA` });
      expect(forged.status).toBe(401);
      expect(forged.body.error_code).toBe("InvalidSession");
    });

    it("logs an admin session out with DELETE /auth/session", async () => {
      const { refresh } = await adminLogin(emulator);
      expect((await call(emulator.url, "DELETE", `${ADMIN}/auth/session`, { token: refresh })).status).toBe(204);
      // The spec gives POST /auth/session a single 401 body, and DELETE a second one for unknown sessions.
      const refreshAgain = await call(emulator.url, "POST", `${ADMIN}/auth/session`, { token: refresh });
      expect(refreshAgain.status).toBe(401);
      expect(refreshAgain.body).toEqual({ error: "invalid refresh token: incorrect token type", error_code: "InvalidSession" });
      const logoutAgain = await call(emulator.url, "DELETE", `${ADMIN}/auth/session`, { token: refresh });
      expect(logoutAgain.status).toBe(401);
      expect(logoutAgain.body).toEqual({ error: "invalid session: failed to find refresh token", error_code: "InvalidSession" });
    });
  });

  describe("group and app ids", () => {
    it("answers 404 with an Error body for any other group or app id", async () => {
      const otherGroup = await call(emulator.url, "GET", `${ADMIN}/groups/000000000000000000000000/apps/${emulator.appInfo.id}/users`, { token });
      expect(otherGroup.status).toBe(404);
      expect(otherGroup.body).toEqual({ error: expect.any(String), error_code: expect.any(String) });
      const otherApp = await call(emulator.url, "GET", `${ADMIN}/groups/${emulator.appInfo.projectId}/apps/000000000000000000000000/users/x`, { token });
      expect(otherApp.status).toBe(404);
      const getApp = await call(emulator.url, "GET", `${ADMIN}/groups/${emulator.appInfo.projectId}/apps/000000000000000000000000`, { token });
      expect(getApp.status).toBe(404);
    });

    it("answers adminGetApplication for the emulator's own ids", async () => {
      const res = await call(emulator.url, "GET", appPath(emulator), { token });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ _id: emulator.appInfo.id, group_id: emulator.appInfo.projectId, client_app_id: emulator.clientAppId });
    });
  });

  describe("users", () => {
    it("creates (201 User), gets, and deletes (204) a user; unknown ids are 404", async () => {
      const created = await call(emulator.url, "POST", `${appPath(emulator)}/users`, { token, body: { email: "carol@example.com", password: "carol-password" } });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({
        _id: expect.stringMatching(/^[0-9a-f]{24}$/),
        identities: [{ id: expect.any(String), provider_type: "local-userpass", provider_id: expect.any(String), provider_data: { email: "carol@example.com" } }],
        type: "normal",
        creation_date: Math.floor(clock.now() / 1000),
        last_authentication_date: 0,
        disabled: false,
        data: { email: "carol@example.com" },
      });
      expect(created.text).not.toContain("carol-password");
      const id = created.body._id;

      const got = await call(emulator.url, "GET", `${appPath(emulator)}/users/${id}`, { token });
      expect(got.status).toBe(200);
      expect(got.body).toEqual(created.body);

      const deleted = await call(emulator.url, "DELETE", `${appPath(emulator)}/users/${id}`, { token });
      expect(deleted.status).toBe(204);
      expect(deleted.text).toBe("");

      for (const [method, suffix] of [["GET", ""], ["DELETE", ""], ["PUT", "/disable"], ["PUT", "/enable"], ["PUT", "/logout"]]) {
        const gone = await call(emulator.url, method, `${appPath(emulator)}/users/${id}${suffix}`, { token });
        expect(gone.status).toBe(404);
        expect(gone.body).toEqual({ error: "user not found", error_code: "UserNotFound" });
      }
    });

    it("refuses a duplicate email (409) and a short password (400)", async () => {
      const body = { email: "dave@example.com", password: "dave-password" };
      expect((await call(emulator.url, "POST", `${appPath(emulator)}/users`, { token, body })).status).toBe(201);
      const duplicate = await call(emulator.url, "POST", `${appPath(emulator)}/users`, { token, body: { ...body, email: "DAVE@example.com" } });
      expect(duplicate.status).toBe(409);
      expect(duplicate.body.error_code).toBe("AccountNameInUse");
      const short = await call(emulator.url, "POST", `${appPath(emulator)}/users`, { token, body: { email: "erin@example.com", password: "123" } });
      expect(short.status).toBe(400);
    });

    it("disables and enables a user (204), visible in GET", async () => {
      const user = await emulator.state.createEmailPasswordUser("frank@example.com", "frank-password");
      expect((await call(emulator.url, "PUT", `${appPath(emulator)}/users/${user.id}/disable`, { token })).status).toBe(204);
      expect((await call(emulator.url, "GET", `${appPath(emulator)}/users/${user.id}`, { token })).body.disabled).toBe(true);
      expect((await call(emulator.url, "PUT", `${appPath(emulator)}/users/${user.id}/enable`, { token })).status).toBe(204);
      expect((await call(emulator.url, "GET", `${appPath(emulator)}/users/${user.id}`, { token })).body.disabled).toBe(false);
    });

    it("pages users 50 at a time by `after`, sorted by id, and honours desc", async () => {
      for (let i = 0; i < 110; i++) await emulator.state.createEmailPasswordUser(`pager${i}@example.com`, "pager-password");
      const all = emulator.state.listUsers({ limit: Number.MAX_SAFE_INTEGER }).map((u) => u.id);
      expect(all.length).toBeGreaterThan(100);

      const seen: string[] = [];
      let after: string | undefined;
      let pages = 0;
      for (;;) {
        const res = await call(emulator.url, "GET", `${appPath(emulator)}/users${after ? `?after=${after}` : ""}`, { token });
        expect(res.status).toBe(200);
        expect(res.body.length).toBeLessThanOrEqual(50);
        pages += 1;
        if (res.body.length === 0) break;
        seen.push(...res.body.map((u: { _id: string }) => u._id));
        if (res.body.length < 50) break;
        after = res.body[res.body.length - 1]._id;
      }
      expect(pages).toBeGreaterThanOrEqual(3);
      expect(seen).toEqual([...all].sort());

      const desc = await call(emulator.url, "GET", `${appPath(emulator)}/users?sort=_id&desc=true`, { token });
      expect(desc.body.map((u: { _id: string }) => u._id)).toEqual([...all].sort().reverse().slice(0, 50));
      const descNext = await call(emulator.url, "GET", `${appPath(emulator)}/users?desc=true&after=${desc.body[49]._id}`, { token });
      expect(descNext.body[0]._id).toBe([...all].sort().reverse()[50]);

      const badSort = await call(emulator.url, "GET", `${appPath(emulator)}/users?sort=email`, { token });
      expect(badSort.status).toBe(400);
    });
  });

  describe("pending users", () => {
    it("pages pending registrations by `after`, 50 a page, and deletes one by email", async () => {
      for (let i = 0; i < 60; i++) await emulator.state.register(`pending${i}@example.com`, "pending-password", true);
      const first = await call(emulator.url, "GET", `${appPath(emulator)}/user_registrations/pending_users`, { token });
      expect(first.status).toBe(200);
      expect(first.body).toHaveLength(50);
      expect(first.body[0]).toEqual({
        _id: expect.stringMatching(/^[0-9a-f]{24}$/),
        user_id: "",
        domain_id: expect.stringMatching(/^[0-9a-f]{24}$/),
        login_ids: [{ id_type: "email", id: expect.stringMatching(/^pending\d+@example\.com$/) }],
      });
      // The _id is an ObjectId whose timestamp is the registration time.
      expect(parseInt(first.body[0]._id.slice(0, 8), 16)).toBe(Math.floor(clock.now() / 1000));
      const second = await call(emulator.url, "GET", `${appPath(emulator)}/user_registrations/pending_users?after=${first.body[49]._id}`, { token });
      expect(second.body).toHaveLength(10);
      const ids = [...first.body, ...second.body].map((p: { _id: string }) => p._id);
      expect(new Set(ids).size).toBe(60);
      expect(ids).toEqual([...ids].sort());

      const email = "pending7@example.com";
      const del = await call(emulator.url, "DELETE", `${appPath(emulator)}/user_registrations/by_email/${encodeURIComponent(email)}`, { token });
      expect(del.status).toBe(204);
      const again = await call(emulator.url, "DELETE", `${appPath(emulator)}/user_registrations/by_email/${encodeURIComponent(email)}`, { token });
      expect(again.status).toBe(404);
      expect(again.body.error_code).toBe("UserNotFound");
      expect(emulator.state.pendingCount()).toBe(59);
    });
  });

  describe("revoking client sessions", () => {
    async function signedInUser(email: string) {
      await emulator.state.createEmailPasswordUser(email, "client-password");
      return clientLogin(emulator, email, "client-password");
    }
    const profile = (access: string) => call(emulator.url, "GET", `${CLIENT}/auth/profile`, { token: access });
    const refresh = (refreshToken: string) => call(emulator.url, "POST", `${CLIENT}/auth/session`, { token: refreshToken });

    it.each([
      ["logout", "PUT", "/logout"],
      ["disable", "PUT", "/disable"],
      ["delete", "DELETE", ""],
    ])("%s ends the user's access and refresh tokens at once", async (what, method, suffix) => {
      const session = await signedInUser(`revoke-${what}@example.com`);
      const other = await signedInUser(`bystander-${what}@example.com`);
      expect((await profile(session.access)).status).toBe(200);

      expect((await call(emulator.url, method, `${appPath(emulator)}/users/${session.userId}${suffix}`, { token })).status).toBe(204);

      const afterAccess = await profile(session.access);
      expect(afterAccess.status).toBe(401);
      expect(afterAccess.body.error_code).toBe("InvalidSession");
      expect((await refresh(session.refresh)).status).toBe(401);
      // Another user's session is untouched.
      expect((await profile(other.access)).status).toBe(200);
    });

    it("a disabled user cannot log in until enabled", async () => {
      const session = await signedInUser("disabled-login@example.com");
      await call(emulator.url, "PUT", `${appPath(emulator)}/users/${session.userId}/disable`, { token });
      await expect(clientLogin(emulator, "disabled-login@example.com", "client-password")).rejects.toThrow(/401.*UserDisabled/);
      await call(emulator.url, "PUT", `${appPath(emulator)}/users/${session.userId}/enable`, { token });
      await expect(clientLogin(emulator, "disabled-login@example.com", "client-password")).resolves.toMatchObject({ userId: session.userId });
    });
  });

  describe("faults", () => {
    it("answers an injected status500 with an Error body, once, without performing the operation", async () => {
      const user = await emulator.state.createEmailPasswordUser("fault500@example.com", "fault-password");
      emulator.faults.inject({ match: "adminDeleteUser", kind: "status500" });
      const failed = await call(emulator.url, "DELETE", `${appPath(emulator)}/users/${user.id}`, { token });
      expect(failed.status).toBe(500);
      expect(failed.body).toEqual({ error: expect.any(String), error_code: "InternalServerError" });
      expect(emulator.state.getUser(user.id)).toBeDefined();
      expect((await call(emulator.url, "DELETE", `${appPath(emulator)}/users/${user.id}`, { token })).status).toBe(204);
    });

    it("a drop destroys the socket without answering and performs nothing", async () => {
      const user = await emulator.state.createEmailPasswordUser("faultdrop@example.com", "fault-password");
      emulator.faults.inject({ match: "adminDeleteUser", kind: "drop" });
      await expect(call(emulator.url, "DELETE", `${appPath(emulator)}/users/${user.id}`, { token })).rejects.toThrow(/fetch failed/);
      expect(emulator.state.getUser(user.id)).toBeDefined();
      expect((await call(emulator.url, "GET", `${appPath(emulator)}/users/${user.id}`, { token })).status).toBe(200);
    });

    it("faults match by operationId: adminLogin can fail while others work", async () => {
      emulator.faults.inject({ match: (target) => target === "adminLogin", kind: "status500", times: 2 });
      await expect(adminLogin(emulator)).rejects.toThrow(/500/);
      await expect(adminLogin(emulator)).rejects.toThrow(/500/);
      expect((await call(emulator.url, "GET", `${appPath(emulator)}/users?after=ffffffffffffffffffffffff`, { token })).status).toBe(200);
      await expect(adminLogin(emulator)).resolves.toHaveProperty("access");
    });

    it("adds the plan's latency before answering", async () => {
      emulator.faults.latencyMs = 150;
      const started = Date.now();
      const res = await call(emulator.url, "GET", `${appPath(emulator)}/users?after=ffffffffffffffffffffffff`, { token });
      expect(res.status).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    });

    it("uses the fault plan given in the options", async () => {
      const faults = new FaultPlan().inject({ match: "adminGetUser", kind: "status500" });
      const other = await startTestEmulator({ appDir, faults });
      try {
        expect(other.faults).toBe(faults);
        const t = (await adminLogin(other)).access;
        expect((await call(other.url, "GET", `${appPath(other)}/users/000000000000000000000000`, { token: t })).status).toBe(500);
        expect((await call(other.url, "GET", `${appPath(other)}/users/000000000000000000000000`, { token: t })).status).toBe(404);
      } finally {
        await other.close();
      }
    });
  });
});
