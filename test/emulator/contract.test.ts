/**
 * The emulator's Admin API against the official OpenAPI spec: a run through every operation the
 * bundle uses (successes and errors) records each response, then each request's method and path
 * must match a spec operation and each response must validate against that operation's schema
 * for its status. Error statuses the spec does not list must still be the spec's `Error` shape.
 */
import { ADMIN, CLIENT, appPath, call, clientLogin, makeFixtureApp, startTestEmulator, type ApiRequest, type TestEmulator } from "../helpers/emulator";
import { BUNDLE_ADMIN_OPERATIONS, findTemplate, loadSpec, pointer, reportMissingSpec, specAvailable, type Spec } from "../helpers/openapiSpec";
import type Ajv2020 from "ajv/dist/2020";

reportMissingSpec("Admin API contract tests");

/** The operations the bundle uses (../shared/admin-api/README.md) plus the two the emulator adds. */
const REQUIRED_OPERATIONS = [...BUNDLE_ADMIN_OPERATIONS, "adminCreateSession", "adminCreateUser"];

interface Recorded {
  method: string;
  path: string;
  status: number;
  contentType: string | null;
  text: string;
  body: unknown;
}

(specAvailable ? describe : describe.skip)("Admin API contract (OpenAPI spec)", () => {
  let spec: Spec;
  let ajv: Ajv2020;
  let emulator: TestEmulator;
  const recorded: Recorded[] = [];

  beforeAll(async () => {
    ({ spec, ajv } = loadSpec());
    emulator = await startTestEmulator({ appDir: makeFixtureApp(), requireEmailConfirmation: true });
    await runAllOperations();
  }, 60_000);
  afterAll(() => emulator?.close());

  async function record(method: string, urlPath: string, request: ApiRequest = {}) {
    const res = await call(emulator.url, method, urlPath, request);
    const { pathname } = new URL(urlPath, emulator.url);
    recorded.push({ method, path: pathname.slice(ADMIN.length), status: res.status, contentType: res.headers.get("content-type"), text: res.text, body: res.body });
    return res;
  }

  /** Every operation, with its successes and the errors the emulator gives. */
  async function runAllOperations(): Promise<void> {
    const loginPath = `${ADMIN}/auth/providers/mongodb-cloud/login`;
    const login = await record("POST", loginPath, { body: { username: emulator.adminKeys.publicKey, apiKey: emulator.adminKeys.privateKey } });
    await record("POST", loginPath, { body: { username: emulator.adminKeys.publicKey, apiKey: "wrong" } });
    await record("POST", loginPath, { body: { username: 1 } });
    const access: string = login.body.access_token;
    const refresh: string = login.body.refresh_token;

    await record("POST", `${ADMIN}/auth/session`, { token: refresh });
    await record("POST", `${ADMIN}/auth/session`, { token: access });
    await record("POST", `${ADMIN}/auth/session`, { token: "not-a-token" });

    const app = appPath(emulator);
    const token = access;
    await record("GET", app, { token });
    await record("GET", `${ADMIN}/groups/000000000000000000000000/apps/${emulator.appInfo.id}`, { token });

    const created = await record("POST", `${app}/users`, { token, body: { email: "quinn@example.com", password: "quinn-password" } });
    await record("POST", `${app}/users`, { token, body: { email: "quinn@example.com", password: "quinn-password" } });
    await record("POST", `${app}/users`, { token, body: { email: "rae@example.com", password: "1" } });
    const userId: string = created.body._id;
    await emulator.state.register("pending-one@example.com", "pending-password", true);
    await emulator.state.register("pending-two@example.com", "pending-password", true);
    const anon = emulator.state.createAnonymousUser();
    await clientLogin(emulator, "quinn@example.com", "quinn-password");

    await record("GET", `${app}/users`, { token });
    await record("GET", `${app}/users?after=${userId}&sort=_id&desc=false`, { token });
    await record("GET", `${app}/users?sort=name`, { token });
    await record("GET", `${app}/users`);
    await record("GET", `${app}/users`, { token: refresh });
    await record("GET", `${ADMIN}/groups/${emulator.appInfo.projectId}/apps/000000000000000000000000/users`, { token });
    await record("GET", `${app}/users/${userId}`, { token });
    await record("GET", `${app}/users/${anon.id}`, { token });
    await record("GET", `${app}/users/000000000000000000000000`, { token });
    await record("PUT", `${app}/users/${userId}/disable`, { token });
    await record("PUT", `${app}/users/${userId}/enable`, { token });
    await record("PUT", `${app}/users/${userId}/logout`, { token });
    await record("PUT", `${app}/users/000000000000000000000000/logout`, { token });
    await record("GET", `${app}/user_registrations/pending_users`, { token });
    const pendingPage = await record("GET", `${app}/user_registrations/pending_users`, { token });
    await record("GET", `${app}/user_registrations/pending_users?after=${pendingPage.body[0]._id}`, { token });
    await record("DELETE", `${app}/user_registrations/by_email/${encodeURIComponent("pending-one@example.com")}`, { token });
    await record("DELETE", `${app}/user_registrations/by_email/${encodeURIComponent("pending-one@example.com")}`, { token });
    await record("DELETE", `${app}/users/${userId}`, { token });
    await record("DELETE", `${app}/users/${userId}`, { token });

    emulator.faults.inject({ match: "adminGetUser", kind: "status500" });
    await record("GET", `${app}/users/${anon.id}`, { token });

    await record("DELETE", `${ADMIN}/auth/session`, { token: refresh });
    await record("DELETE", `${ADMIN}/auth/session`, { token: refresh });
  }

  it("exercised every operation the bundle uses", () => {
    const used = new Set(recorded.map((r) => spec.paths[findTemplate(spec, r.path) ?? ""]?.[r.method.toLowerCase()]?.operationId));
    expect(REQUIRED_OPERATIONS.filter((id) => !used.has(id))).toEqual([]);
    // Both successes and errors were seen.
    expect(recorded.some((r) => r.status >= 400)).toBe(true);
    expect(recorded.some((r) => r.status < 300)).toBe(true);
  });

  it("every request's method and path match an operation in the spec", () => {
    const unmatched = recorded.filter((r) => {
      const template = findTemplate(spec, r.path);
      return !template || !spec.paths[template][r.method.toLowerCase()];
    });
    expect(unmatched.map((r) => `${r.method} ${r.path}`)).toEqual([]);
  });

  it("every response validates against its operation's schema for that status", () => {
    const problems: string[] = [];
    for (const r of recorded) {
      const template = findTemplate(spec, r.path)!;
      const method = r.method.toLowerCase();
      const operation = spec.paths[template][method];
      const label = `${operation.operationId} ${r.method} ${r.path} → ${r.status}`;
      if (r.text && !r.contentType?.startsWith("application/json")) problems.push(`${label}: body without a JSON content type`);
      const declared = operation.responses[String(r.status)];
      if (declared) {
        const schema = declared.content?.["application/json"]?.schema;
        if (schema) {
          const validate = ajv.compile({ $ref: `openapi${pointer("paths", template, method, "responses", String(r.status), "content", "application/json", "schema")}` });
          if (!validate(r.body)) problems.push(`${label}: ${ajv.errorsText(validate.errors)}`);
        } else if (r.text !== "") {
          problems.push(`${label}: the spec declares no body for this status, got ${r.text.slice(0, 100)}`);
        }
      } else if (r.status < 400) {
        problems.push(`${label}: success status not declared by the spec (declared: ${Object.keys(operation.responses).join(", ")})`);
      } else {
        const validate = ajv.getSchema(`openapi${pointer("components", "schemas", "Error")}`)!;
        const body = r.body as { error?: unknown; error_code?: unknown } | undefined;
        if (!validate(body)) problems.push(`${label}: not an Error: ${ajv.errorsText(validate.errors)}`);
        if (typeof body?.error !== "string" || typeof body?.error_code !== "string") problems.push(`${label}: an Error needs string error and error_code`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("the validator does reject a response that breaks the schema", () => {
    const userSchema = ajv.getSchema(`openapi${pointer("components", "schemas", "User")}`)!;
    expect(userSchema({ _id: "x", type: "normal", identities: [{ id: "i", provider_type: "local-userpass" }] })).toBe(true);
    expect(userSchema({ _id: 42, type: "robot" })).toBe(false);
    expect(userSchema({ _id: "x", identities: [{ provider_type: "carrier-pigeon" }] })).toBe(false);
  });

  it("a client-API route is not an Admin API operation", async () => {
    // Guards findTemplate: a client path must not be taken for an Admin API one.
    expect(findTemplate(spec, `${CLIENT}/auth/profile`)).toBeUndefined();
  });
});
