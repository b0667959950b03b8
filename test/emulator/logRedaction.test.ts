/**
 * The emulator's own log never holds an email address, whatever a function's error or a request
 * path says (issue 10: a pending user's email reached the emulator's log through an error).
 */
import { ADMIN, CLIENT, anonLogin, call, makeFixtureApp, startTestEmulator } from "../helpers/emulator";

const EMAIL = "Pending.Person+x@Example.org";

describe("the emulator's log", () => {
  it("redacts an email a function's error carries, in the log line and in the answer", async () => {
    const appDir = makeFixtureApp({
      leaky: { source: `exports = async function () { throw new Error("DELETE /by_email/${encodeURIComponent(EMAIL)} failed for ${EMAIL}"); };` },
    });
    const emulator = await startTestEmulator({ appDir });
    try {
      const { access } = await anonLogin(emulator);
      const res = await call(emulator.url, "POST", `${CLIENT}/app/${emulator.clientAppId}/functions/call`, { token: access, body: { name: "leaky", arguments: [] } });
      expect(res.status).toBe(400);
      const everything = [res.text, ...emulator.logLines].join("\n").toLowerCase();
      expect(emulator.logLines.some((l) => l.startsWith("function leaky"))).toBe(true);
      expect(everything).not.toContain(EMAIL.toLowerCase());
      expect(everything).not.toContain(encodeURIComponent(EMAIL).toLowerCase());
      expect(everything).toContain("{email}");
    } finally {
      await emulator.close();
    }
  });

  it("redacts a JWT and the emulator's private key a function's error or a request path carries, in the log line and in the answer", async () => {
    const appDir = makeFixtureApp({
      leakyKeys: { source: "exports = async function (token, key) { throw new Error(`calling with ${token} and ${key} failed`); };" },
    });
    const privateKey = "0d6c5e6e-1f7a-4c53-9d0b-5f2b7c1e9a44";
    const emulator = await startTestEmulator({ appDir, secrets: { adminApiPublicKeySecret: "abcdefgh", adminApiPrivateKeySecret: privateKey } });
    try {
      const { access } = await anonLogin(emulator);
      const res = await call(emulator.url, "POST", `${CLIENT}/app/${emulator.clientAppId}/functions/call`, { token: access, body: { name: "leakyKeys", arguments: [access, privateKey] } });
      expect(res.status).toBe(400);
      const line = emulator.logLines.find((l) => l.startsWith("function leakyKeys"));
      expect(line).toContain("[redacted");
      expect(res.body.error).toContain("[redacted");
      for (const path of [`${CLIENT}/app/${emulator.clientAppId}/nothing/${access}`, `${ADMIN}/nothing/${privateKey}`]) {
        const unknown = await call(emulator.url, "GET", path);
        expect(unknown.status).toBe(404);
        expect(unknown.body.error).toContain("[redacted");
      }
      const everything = [res.text, ...emulator.logLines].join("\n");
      expect(everything).not.toContain(access);
      expect(everything).not.toContain(privateKey);
    } finally {
      await emulator.close();
    }
  });
});
