/**
 * The emulator's own log never holds an email address, whatever a function's error or a request
 * path says (issue 10: a pending user's email reached the emulator's log through an error).
 */
import { CLIENT, anonLogin, call, makeFixtureApp, startTestEmulator } from "../helpers/emulator";

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
});
