/**
 * The emulator's app list and secrets endpoints (emulator/http/adminSecrets.ts), which `npm run deploy`
 * uses: each response validated with ajv against ../shared/admin-api/openapi-admin-v3.yaml (the
 * operation's schema for its status, or the spec's `Error` for an error status it does not list),
 * each request body against the operation's requestBody schema; and a secret value never comes
 * back in an answer or reaches the emulator's log.
 */
import { AdminSecretStore } from "../../emulator/http/adminSecrets";
import { ADMIN, adminLogin, appPath, call, makeFixtureApp, startTestEmulator, type ApiRequest, type ApiResponse, type TestEmulator } from "../helpers/emulator";
import { findTemplate, loadSpec, pointer, reportMissingSpec, specAvailable, type Spec } from "../helpers/openapiSpec";
import type Ajv2020 from "ajv/dist/2020";

reportMissingSpec("Admin API secrets contract tests");

const VALUE = "SECRET-VALUE-emulator-5d2f";
const OTHER_VALUE = "SECRET-VALUE-other-77aa";

(specAvailable ? describe : describe.skip)("Admin API: apps and secrets", () => {
  let spec: Spec;
  let ajv: Ajv2020;
  let emulator: TestEmulator;
  let token: string;
  const store = new AdminSecretStore();
  const texts: string[] = [];

  beforeAll(async () => {
    ({ spec, ajv } = loadSpec());
    emulator = await startTestEmulator({ appDir: makeFixtureApp(), adminSecrets: store });
    token = (await adminLogin(emulator)).access;
  });
  afterAll(() => emulator?.close());
  beforeEach(() => {
    for (const { _id } of store.list()) store.delete(_id);
  });

  function operationFor(method: string, urlPath: string) {
    const relative = new URL(urlPath, emulator.url).pathname.slice(ADMIN.length);
    const template = findTemplate(spec, relative);
    const operation = template ? spec.paths[template]?.[method.toLowerCase()] : undefined;
    if (!template || !operation) throw new Error(`no spec operation for ${method} ${relative}`);
    return { template, operation };
  }

  /** One request; its body and its answer are checked against the spec before the test sees them. */
  async function request(method: string, urlPath: string, options: ApiRequest = {}): Promise<ApiResponse> {
    const { template, operation } = operationFor(method, urlPath);
    const m = method.toLowerCase();
    if (options.body !== undefined && operation.requestBody) {
      const validate = ajv.compile({ $ref: `openapi${pointer("paths", template, m, "requestBody", "content", "application/json", "schema")}` });
      if (!validate(options.body)) throw new Error(`request body breaks the spec: ${ajv.errorsText(validate.errors)}`);
    }
    const res = await call(emulator.url, method, urlPath, options);
    texts.push(res.text);
    const declared = operation.responses[String(res.status)];
    const schema = declared?.content?.["application/json"]?.schema;
    const label = `${operation.operationId} → ${res.status}`;
    if (declared && schema) {
      const validate = ajv.compile({ $ref: `openapi${pointer("paths", template, m, "responses", String(res.status), "content", "application/json", "schema")}` });
      expect({ label, errors: validate(res.body) ? null : ajv.errorsText(validate.errors) }).toEqual({ label, errors: null });
    } else if (declared) {
      expect({ label, text: res.text }).toEqual({ label, text: "" });
    } else {
      expect({ label, error: res.status >= 400 }).toEqual({ label, error: true });
      const validate = ajv.getSchema(`openapi${pointer("components", "schemas", "Error")}`)!;
      expect({ label, error: validate(res.body) && typeof res.body?.error === "string" && typeof res.body?.error_code === "string" }).toEqual({ label, error: true });
    }
    return res;
  }

  const apps = () => `${ADMIN}/groups/${emulator.appInfo.projectId}/apps`;
  const secrets = () => `${appPath(emulator)}/secrets`;

  test("lists the project's app, so a client app id leads to the app's _id", async () => {
    const res = await request("GET", apps(), { token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual([expect.objectContaining({ _id: emulator.appInfo.id, client_app_id: emulator.clientAppId, group_id: emulator.appInfo.projectId })]);
    expect((await request("GET", `${apps()}?product=atlas`, { token })).body).toEqual([]);
    expect((await request("GET", `${apps()}?product=standard,atlas`, { token })).body).toHaveLength(1);
  });

  test("the app list needs an access token, a known project and a known product", async () => {
    expect((await request("GET", apps())).status).toBe(401);
    expect((await request("GET", `${ADMIN}/groups/000000000000000000000000/apps`, { token })).status).toBe(404);
    expect((await request("GET", `${apps()}?product=bogus`, { token })).status).toBe(400);
  });

  test("creates, lists, updates and deletes a secret; no answer ever holds the value", async () => {
    expect((await request("GET", secrets(), { token })).body).toEqual([]);
    const created = await request("POST", secrets(), { token, body: { name: "webhookToken", value: VALUE } });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ _id: expect.stringMatching(/^[0-9a-f]{24}$/), name: "webhookToken" });
    expect(store.holds("webhookToken", VALUE)).toBe(true);

    const listed = await request("GET", secrets(), { token });
    expect(listed.body).toEqual([{ _id: created.body._id, name: "webhookToken" }]);

    const updated = await request("PUT", `${secrets()}/${created.body._id}`, { token, body: { _id: created.body._id, name: "webhookToken", value: OTHER_VALUE } });
    expect(updated.status).toBe(204);
    expect(store.holds("webhookToken", OTHER_VALUE)).toBe(true);
    expect(store.holds("webhookToken", VALUE)).toBe(false);

    expect((await request("DELETE", `${secrets()}/${created.body._id}`, { token })).status).toBe(204);
    expect((await request("GET", secrets(), { token })).body).toEqual([]);
  });

  test("refuses a taken name, an unknown id, a bad name and a value over 500 characters, never quoting the value", async () => {
    await request("POST", secrets(), { token, body: { name: "taken", value: VALUE } });
    expect((await request("POST", secrets(), { token, body: { name: "taken", value: OTHER_VALUE } })).status).toBe(409);
    expect(store.holds("taken", VALUE)).toBe(true);
    expect((await request("PUT", `${secrets()}/000000000000000000000000`, { token, body: { name: "taken", value: OTHER_VALUE } })).status).toBe(404);
    expect((await request("POST", secrets(), { token, body: { name: "has space", value: VALUE } })).status).toBe(400);
    const long = `${VALUE}${"x".repeat(500)}`;
    const tooLong = await request("POST", secrets(), { token, body: { name: "long", value: long } });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error).toContain("500 characters");
    expect(store.names()).toEqual(["taken"]);
  });

  test("secrets need an access token for the emulator's own app", async () => {
    expect((await request("GET", secrets())).status).toBe(401);
    expect((await request("POST", secrets(), { body: { name: "x", value: VALUE } })).status).toBe(401);
    const otherApp = `${ADMIN}/groups/${emulator.appInfo.projectId}/apps/000000000000000000000000/secrets`;
    expect((await request("GET", otherApp, { token })).status).toBe(404);
    expect(store.names()).toEqual([]);
  });

  test("no answer and no log line held a secret value", () => {
    expect(texts.length).toBeGreaterThan(10);
    for (const text of [...texts, ...emulator.logLines]) expect(text).not.toMatch(/SECRET-VALUE/);
  });
});
