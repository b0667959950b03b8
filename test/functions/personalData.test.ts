/**
 * A pending user's email never reaches an error returned to a client, a log line, or a scheduled
 * run's error (issue 10, item 4), whatever the Admin API answers: a fault at each step (500, a
 * dropped connection), and a server that echoes the email back in a 429 or a plain-text 500.
 */
import type { FaultKind } from "../../emulator/faults";
import { personalDataRedactor } from "../../lib/adminRequest";
import { callFunction, clientLogin } from "../helpers/emulator";
import { SYSTEM_USER, runFunction, createUser, startBuiltApp, userOf, type Harness } from "../helpers/builtApp";
import { startProxy } from "../helpers/proxy";

let h: Harness;
let admin: string;
let adminToken: string;
let emails = 0;
/** Every pending address registered so far: a purge run may report any of them. */
const registered: string[] = [];

beforeAll(async () => {
  h = await startBuiltApp({ requireEmailConfirmation: true });
  const adminEmail = `admin-${Date.now()}@example.com`;
  admin = await createUser(h.emulator, adminEmail);
  h.emulator.runtime.setValue("accountAdmins", [admin]);
  // Every pending registration counts as expired, so purgePendingUsers tries each one.
  h.emulator.runtime.setValue("pendingUserMaxAgeDays", 1e-9);
  adminToken = (await clientLogin(h.emulator, adminEmail, "password-123")).access;
});
afterAll(async () => {
  await h.emulator.close();
});
afterEach(() => {
  h.emulator.faults.clear();
  h.emulator.runtime.setValue("adminApiBaseUrl", h.emulator.adminApiBaseUrl);
});

/** A new pending registration with an address whose encoded and decoded forms differ, in mixed case. */
async function pendingEmail(register = true): Promise<string> {
  const email = `Jane.Doe+case${++emails}@Example.com`;
  if (register) {
    await h.emulator.state.register(email, "password-123", true);
    registered.push(email);
  }
  return email;
}

/** Every spelling of the email that would give it away. */
function spellings(email: string): string[] {
  const forms = [email, encodeURIComponent(email), email.split("@")[0]];
  return [...forms, ...forms.map((f) => f.toLowerCase())];
}

function expectNoEmail(email: string | string[], where: string, text: string): void {
  for (const spelling of (Array.isArray(email) ? email : [email]).flatMap(spellings)) {
    if (text.toLowerCase().includes(spelling.toLowerCase())) throw new Error(`${where} holds the email (as ${JSON.stringify(spelling)}): ${text}`);
  }
}

/** The error as a client or a log would see it: its message and every own field. */
function everything(error: unknown): string {
  if (!error) return "";
  const fields = Object.fromEntries(Object.getOwnPropertyNames(error).map((k) => [k, (error as Record<string, unknown>)[k]]));
  return `${String((error as Error).message)} ${JSON.stringify(fields)}`;
}

const STEPS: Array<[string, boolean]> = [
  // [Admin API operation that fails, whether the email is registered (an unregistered one reaches the app check)]
  ["adminLogin", true],
  ["adminDeletePendingEmailPasswordUser", true],
  ["adminGetApplication", false],
  ["adminDeleteSession", true],
];

describe("deletePendingUser with a fault at each step", () => {
  for (const kind of ["status500", "drop"] as FaultKind[]) {
    it.each(STEPS)(`%s (${kind})`, async (operation, registered) => {
      const email = await pendingEmail(registered);
      const lines = h.lines.length;
      h.emulator.faults.inject({ match: operation, kind });
      const direct = await runFunction(h.emulator, "deletePendingUser", userOf(admin), [email]);
      if (operation !== "adminDeleteSession") expect(direct.error?.message).toContain(operation);
      expectNoEmail(email, "the error", everything(direct.error));
      expectNoEmail(email, "the result", JSON.stringify(direct.result ?? null));

      // The same through the client API, as an app would see it.
      h.emulator.faults.inject({ match: operation, kind });
      const answer = await callFunction(h.emulator, adminToken, "deletePendingUser", [email]);
      expectNoEmail(email, "the client's answer", answer.text);
      expectNoEmail(email, "the log", h.lines.slice(lines).join("\n"));
    });
  }
});

describe("an Admin API that echoes the email back", () => {
  const answers: Array<[string, (path: string) => { status: number; body: string }]> = [
    [
      "429 with the path and the address in a JSON error",
      (path) => ({ status: 429, body: JSON.stringify({ error: `too many requests for ${path} (${decodeURIComponent(path.split("/").pop() ?? "").toLowerCase()})`, error_code: "TooManyRequests" }) }),
    ],
    ["500 in plain text", (path) => ({ status: 500, body: `upstream failed on ${decodeURIComponent(path)}` })],
  ];

  it.each(answers)("%s", async (_label, answer) => {
    const proxy = await startProxy(h.emulator.url, ({ path }) => (path.includes("/by_email/") ? answer(path) : undefined));
    try {
      const { port } = proxy.address() as { port: number };
      h.emulator.runtime.setValue("adminApiBaseUrl", `http://127.0.0.1:${port}/api/admin/v3.0`);
      const email = await pendingEmail();
      const lines = h.lines.length;
      const direct = await runFunction(h.emulator, "deletePendingUser", userOf(admin), [email]);
      expect(direct.error?.message).toMatch(/adminDeletePendingEmailPasswordUser \(DELETE .*\/by_email\/\{email\}\) failed with status (429|500)/);
      expectNoEmail(email, "the error", everything(direct.error));
      const answerText = (await callFunction(h.emulator, adminToken, "deletePendingUser", [email])).text;
      expectNoEmail(email, "the client's answer", answerText);
      const purge = await runFunction(h.emulator, "purgePendingUsers", SYSTEM_USER, [], "system");
      expect(purge.error?.message).toMatch(/could not be deleted/);
      expectNoEmail(registered, "the scheduled run's error", everything(purge.error));
      expectNoEmail(registered, "the log", h.lines.slice(lines).join("\n"));
    } finally {
      proxy.close();
    }
  });
});

describe("purgePendingUsers with a fault at each step", () => {
  const purgeSteps = ["adminLogin", "adminListPendingUsers", "adminDeletePendingEmailPasswordUser", "adminDeleteSession"];

  for (const kind of ["status500", "drop"] as FaultKind[]) {
    it.each(purgeSteps)(`%s (${kind})`, async (operation) => {
      await pendingEmail();
      const lines = h.lines.length;
      h.emulator.faults.inject({ match: operation, kind, times: 50 });
      const { result, error } = await runFunction(h.emulator, "purgePendingUsers", SYSTEM_USER, [], "system");
      if (operation !== "adminDeleteSession") expect(error?.message).toContain(operation);
      expectNoEmail(registered, "the scheduled run's error", everything(error));
      expectNoEmail(registered, "the result", JSON.stringify(result ?? null));
      expectNoEmail(registered, "the log", h.lines.slice(lines).join("\n"));
    });
  }
});

describe("personalDataRedactor", () => {
  const url = "https://admin.example/api/admin/v3.0/groups/g/apps/a/user_registrations/by_email/J%C3%B6rg%2Bx%40Example.com";
  const redact = personalDataRedactor(url);

  it("redacts the segment as sent, decoded, in any case, and any email-shaped text", () => {
    expect(redact(url)).toBe("https://admin.example/api/admin/v3.0/groups/g/apps/a/user_registrations/by_email/{email}");
    expect(redact("no pending user jörg+x@example.com here")).toBe("no pending user {email} here");
    expect(redact("JÖRG+X@EXAMPLE.COM")).toBe("{email}");
    expect(redact("dial tcp: lookup failed for J%C3%B6rg%2Bx%40Example.com")).toBe("dial tcp: lookup failed for {email}");
    expect(redact("someone.else@example.org wrote")).toBe("{email} wrote");
  });

  it("leaves text without personal data as it is", () => {
    expect(redact("failed with status 500: internal server error")).toBe("failed with status 500: internal server error");
    expect(personalDataRedactor("https://x/users/65f0c0de0000000000000fff")("users/65f0c0de0000000000000fff not found")).toBe("users/65f0c0de0000000000000fff not found");
  });
});
