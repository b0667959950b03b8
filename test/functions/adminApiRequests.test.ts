/**
 * Every Admin API request the built functions send matches an operation in the official OpenAPI
 * spec: method and path, a JSON body that validates against the operation's request schema, and
 * a Bearer token on everything but login. A recording proxy on 127.0.0.1 sits between the
 * functions and the emulator's Admin API and sees the true wire requests.
 */
import type { Server } from "node:http";
import { startProxy, type ProxiedRequest } from "../helpers/proxy";
import { BUNDLE_ADMIN_OPERATIONS, findTemplate, loadSpec, pointer, reportMissingSpec, specAvailable, type Spec } from "../helpers/openapiSpec";
import { SYSTEM_USER, runFunction, createUser, startBuiltApp, userOf, type Harness } from "../helpers/builtApp";
import type Ajv2020 from "ajv/dist/2020";

reportMissingSpec("Bundle request contract tests");

type SentRequest = ProxiedRequest;

(specAvailable ? describe : describe.skip)("the bundle's Admin API requests (OpenAPI spec)", () => {
  let spec: Spec;
  let ajv: Ajv2020;
  let h: Harness;
  let proxy: Server;
  
  const sent: SentRequest[] = [];
  const ADMIN_PREFIX = "/api/admin/v3.0";

  beforeAll(async () => {
    ({ spec, ajv } = loadSpec());
    h = await startBuiltApp({
      requireEmailConfirmation: true,
      valueOverrides: { userDataCleanup: [{ database: "app", collection: "posts", ownerField: "owner_id", action: "delete" }] },
    });
    proxy = await startProxy(h.emulator.url, (request) => void sent.push(request));
    const { port } = proxy.address() as { port: number };
    h.emulator.runtime.setValue("adminApiBaseUrl", `http://127.0.0.1:${port}${ADMIN_PREFIX}`);

    // Run every function, so every client method the bundle has sends its request.
    const admin = await createUser(h.emulator);
    h.emulator.runtime.setValue("accountAdmins", [admin]);
    const self = await createUser(h.emulator);
    const target = await createUser(h.emulator);
    const member = await createUser(h.emulator);
    h.emulator.store.insertMany("app", "posts", [{ owner_id: "65f0c0de0000000000000ddd" }, { owner_id: admin }, { owner_id: member }]);
    await h.emulator.state.register("pending-contract@example.com", "password-123", true);
    const calls: Array<[string, unknown[], ReturnType<typeof userOf>]> = [
      ["deleteCurrentUser", [], userOf(self)],
      ["deleteCurrentUser", [], userOf(self)],
      ["disableUser", [target], userOf(admin)],
      ["enableUser", [target], userOf(admin)],
      ["logoutUser", [target], userOf(admin)],
      ["deletePendingUser", ["pending-contract@example.com"], userOf(admin)],
      ["deleteUser", [target], userOf(admin)],
      ["purgePendingUsers", [], SYSTEM_USER],
      ["sweepOrphanedUserData", [], SYSTEM_USER],
    ];
    for (const [name, args, user] of calls) {
      const { error } = await runFunction(h.emulator, name, user, args, user.type === "system" ? "system" : "client");
      if (error) throw new Error(`${name} failed: ${error.message}`);
    }
    // The sweep asks for a single user only where the list cannot answer: a page out of id order.
    h.emulator.faults.inject({ match: "adminListUsers", kind: "outOfOrder" });
    const { error } = await runFunction(h.emulator, "sweepOrphanedUserData", SYSTEM_USER, [], "system");
    if (error) throw new Error(`sweepOrphanedUserData failed: ${error.message}`);
  });
  afterAll(async () => {
    proxy?.close();
    await h?.emulator.close();
  });

  const operationOf = (r: SentRequest) => {
    const path = new URL(r.path, "http://x").pathname.slice(ADMIN_PREFIX.length);
    const template = findTemplate(spec, path);
    return template ? { template, method: r.method.toLowerCase(), operation: spec.paths[template][r.method.toLowerCase()] } : undefined;
  };

  it("sent every operation the bundle's client has", () => {
    const used = new Set(sent.map((r) => operationOf(r)?.operation?.operationId));
    expect(BUNDLE_ADMIN_OPERATIONS.filter((id) => !used.has(id))).toEqual([]);
  });

  it("sent only requests whose method and path are operations in the spec", () => {
    expect(sent.filter((r) => !operationOf(r)?.operation).map((r) => `${r.method} ${r.path}`)).toEqual([]);
  });

  it("sent bodies that validate against each operation's request schema, as JSON", () => {
    const problems: string[] = [];
    for (const r of sent) {
      const found = operationOf(r)!;
      const schema = found.operation.requestBody?.content?.["application/json"]?.schema;
      if (!schema) {
        if (r.body) problems.push(`${found.operation.operationId}: a body the spec does not declare`);
        continue;
      }
      if (r.headers["content-type"] !== "application/json") problems.push(`${found.operation.operationId}: content type ${r.headers["content-type"]}`);
      const validate = ajv.compile({ $ref: `openapi${pointer("paths", found.template, found.method, "requestBody", "content", "application/json", "schema")}` });
      if (!validate(JSON.parse(r.body))) problems.push(`${found.operation.operationId}: ${ajv.errorsText(validate.errors)}`);
    }
    expect(problems).toEqual([]);
  });

  it("sent a Bearer token with everything but the login, and no credential in any URL", () => {
    for (const r of sent) {
      const id = operationOf(r)!.operation.operationId;
      if (id === "adminLogin") expect(r.headers.authorization).toBeUndefined();
      else expect([id, r.headers.authorization]).toEqual([id, expect.stringMatching(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/)]);
      expect(r.path).not.toContain(h.emulator.adminKeys.publicKey);
      expect(r.path).not.toContain(h.emulator.adminKeys.privateKey);
    }
  });
});
