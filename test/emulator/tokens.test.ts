/**
 * Bearer tokens: standard HS256 JWTs signed and verified by jose, refused when the header names
 * another algorithm, and an admin-typed token counts only for a live admin session of the key pair
 * the emulator accepts now. Loopback HTTP only.
 */
import * as path from "node:path";
import { SignJWT, decodeProtectedHeader, jwtVerify } from "jose";
import { createHmac } from "node:crypto";
import { ADMIN, CLIENT, adminLogin, anonLogin, appPath, call, jwtPayload, makeFixtureApp, startTestEmulator, tempDir, type TestEmulator } from "../helpers/emulator";

const appDir = makeFixtureApp();

function signingKeyOf(emulator: TestEmulator): Uint8Array {
  return Buffer.from(emulator.state.toSnapshot().signingKey, "base64");
}

/** Re-signs a token's payload under another header, with HMAC-SHA256 and the emulator's key. */
function resignWithHeader(token: string, header: Record<string, unknown>, key: Uint8Array): string {
  const head = Buffer.from(JSON.stringify(header)).toString("base64url");
  const body = token.split(".")[1];
  return `${head}.${body}.${createHmac("sha256", key).update(`${head}.${body}`).digest("base64url")}`;
}

describe("tokens", () => {
  let emulator: TestEmulator;
  beforeAll(async () => {
    emulator = await startTestEmulator({ appDir });
  });
  afterAll(() => emulator.close());

  it("are HS256 JWTs that a standard verifier accepts with the signing key", async () => {
    const { access } = await anonLogin(emulator);
    expect(decodeProtectedHeader(access)).toEqual({ alg: "HS256", typ: "JWT" });
    const { payload } = await jwtVerify(access, signingKeyOf(emulator), { algorithms: ["HS256"], issuer: "app-services-emulator" });
    expect(payload).toMatchObject({ typ: "access", sub: expect.any(String), sid: expect.any(String), exp: expect.any(Number) });
  });

  it.each([
    ["HS384 named in the header", { alg: "HS384", typ: "JWT" }],
    ["alg none", { alg: "none", typ: "JWT" }],
  ])("refuses a token whose header says %s, even with a valid HMAC-SHA256 signature", async (_what, header) => {
    const { access } = await anonLogin(emulator);
    const forged = resignWithHeader(access, header, signingKeyOf(emulator));
    const res = await call(emulator.url, "GET", `${CLIENT}/auth/profile`, { token: forged });
    expect(res.status).toBe(401);
    expect(res.body.error_code).toBe("InvalidSession");
  });

  describe("admin-typed tokens count only for live admin sessions", () => {
    async function mintAdminAccess(claims: Record<string, unknown>): Promise<string> {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ typ: "admin-access", iat: now, exp: now + 600, jti: "forged", iss: "app-services-emulator", ...claims })
        .setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .sign(signingKeyOf(emulator));
    }

    it("an admin token minted on a client session's id and subject is refused with 401 InvalidSession", async () => {
      const client = await anonLogin(emulator);
      const { sid, sub } = jwtPayload(client.access);
      const forged = await mintAdminAccess({ sid, sub });
      const res = await call(emulator.url, "GET", `${appPath(emulator)}/users`, { token: forged });
      expect(res.status).toBe(401);
      expect(res.body.error_code).toBe("InvalidSession");
    });

    it("an admin token for a session that was never opened is refused", async () => {
      const admin = await adminLogin(emulator);
      const forged = await mintAdminAccess({ sid: "00000000-0000-4000-8000-000000000000", sub: jwtPayload(admin.access).sub });
      const res = await call(emulator.url, "GET", `${appPath(emulator)}/users`, { token: forged });
      expect(res.status).toBe(401);
      expect(res.body.error_code).toBe("InvalidSession");
    });

    it("a replayed admin access token stops working when its session is closed", async () => {
      const admin = await adminLogin(emulator);
      expect((await call(emulator.url, "GET", `${appPath(emulator)}/users`, { token: admin.access })).status).toBe(200);
      expect((await call(emulator.url, "DELETE", `${ADMIN}/auth/session`, { token: admin.refresh })).status).toBe(204);
      const replay = await call(emulator.url, "GET", `${appPath(emulator)}/users`, { token: admin.access });
      expect(replay.status).toBe(401);
      expect(replay.body.error_code).toBe("InvalidSession");
    });
  });
});

describe("admin sessions across a restart", () => {
  it("count only for the key pair the emulator accepts now", async () => {
    const dataFile = path.join(tempDir("emulator-tokens"), "state.json");
    const oldKeys = { adminApiPublicKeySecret: "oldkeysa", adminApiPrivateKeySecret: "11111111-2222-3333-4444-555555555555" };
    const newKeys = { adminApiPublicKeySecret: "newkeysb", adminApiPrivateKeySecret: "66666666-7777-8888-9999-000000000000" };
    const first = await startTestEmulator({ appDir, dataFile, secrets: oldKeys });
    const admin = await adminLogin(first);
    await first.close();

    const same = await startTestEmulator({ appDir, dataFile, secrets: oldKeys });
    try {
      expect((await call(same.url, "GET", `${appPath(same)}/users`, { token: admin.access })).status).toBe(200);
    } finally {
      await same.close();
    }
    const rotated = await startTestEmulator({ appDir, dataFile, secrets: newKeys });
    try {
      const res = await call(rotated.url, "GET", `${appPath(rotated)}/users`, { token: admin.access });
      expect(res.status).toBe(401);
      expect(res.body.error_code).toBe("InvalidSession");
      expect((await call(rotated.url, "POST", `${ADMIN}/auth/session`, { token: admin.refresh })).status).toBe(401);
    } finally {
      await rotated.close();
    }
  });
});
