/**
 * The platform decision and the Flowerbase configuration, on plain context shapes: the runtime
 * value must match the context; with neither context.app nor Flowerbase's auth service nothing
 * is decided; environment strings are parsed, a bad one named; userDataCleanup must be set.
 */
import { detectPlatform, readPlatformConfig, type PlatformContext } from "../../lib/platform";
import { isJsonValued, readFlowerbaseConfig } from "../../lib/flowerbaseConfig";
import { VALUE_NAMES } from "../../lib/config";
import { TEST_APP as APP, configErrorMessage, valuesOf } from "../helpers/configErrors";

const AUTH = { emailPasswordAuth: { deleteUser: async () => ({ deletedCount: 1 }) } };
const DATA = { db: () => ({}) };
const appServices = (values: Record<string, unknown> = {}): PlatformContext => ({ app: APP, values: valuesOf(values), services: { get: (name: string) => (name === "mongodb-atlas" ? DATA : undefined) } });
const flowerbase = (values: Record<string, unknown> = {}): PlatformContext => ({ values: valuesOf(values), services: { get: (name: string) => (name === "auth" ? AUTH : name === "mongodb-atlas" ? DATA : undefined) } });
const ENV = { userDataCleanup: "[]", userStoreDatabase: "main" };

describe("detectPlatform", () => {
  it("is App Services with context.app, Flowerbase with its auth service and no context.app", () => {
    expect(detectPlatform(appServices())).toBe("appservices");
    expect(detectPlatform(flowerbase())).toBe("flowerbase");
    // App Services has no "auth" service: even a throwing services.get is not mistaken for Flowerbase.
    expect(detectPlatform({ app: APP, values: valuesOf({}), services: { get: () => { throw new Error("no such service"); } } })).toBe("appservices");
  });

  it("with neither, is a configuration error naming the fix", () => {
    const message = configErrorMessage(() => detectPlatform({ values: valuesOf({}), services: { get: () => undefined } }));
    expect(message).toMatch(/No user store: this runtime has neither context.app \(App Services\) nor the "auth" service/);
    expect(message).toMatch(/set the value "runtime" to "appservices" or "flowerbase"/);
    // An auth service without deleteUser is not Flowerbase's.
    expect(configErrorMessage(() => detectPlatform({ values: valuesOf({}), services: { get: () => ({ emailPasswordAuth: {} }) } }))).toMatch(/No user store/);
  });

  it("the runtime value must be one of the two and match the context", () => {
    expect(detectPlatform(appServices({ runtime: "appservices" }))).toBe("appservices");
    expect(detectPlatform(flowerbase({ runtime: "flowerbase" }))).toBe("flowerbase");
    expect(configErrorMessage(() => detectPlatform(flowerbase({ runtime: "appservices" })))).toMatch(/"runtime" says "appservices", but this runtime has no context.app/);
    expect(configErrorMessage(() => detectPlatform(appServices({ runtime: "flowerbase" })))).toMatch(/"runtime" says "flowerbase", but this runtime has context.app/);
    expect(configErrorMessage(() => detectPlatform(appServices({ runtime: "realm" })))).toMatch(/"runtime" must be "appservices" or "flowerbase"/);
  });
});

describe("readFlowerbaseConfig (environment strings)", () => {
  it("parses JSON-valued settings and applies the defaults", () => {
    const config = readFlowerbaseConfig(
      valuesOf({ ...ENV, accountAdmins: '["6500000000000000000000CC"]', pendingUserMaxAgeDays: "3", allowServerUserSelfDelete: "false", deletionAuditCollection: "null" }),
    );
    expect(config).toMatchObject({ accountAdmins: ["6500000000000000000000cc"], pendingUserMaxAgeDays: 3, cleanupRules: [], dataSourceName: "mongodb-atlas" });
    expect(config.userStore).toEqual({ database: "main", collection: "auth_users", customData: { database: "main", collection: "users", userIdField: "id" } });
    expect(config.auditCollection).toBeUndefined();
  });

  it("reads every setting that is not a plain string as JSON, the operation budget included", () => {
    const config = readFlowerbaseConfig(
      valuesOf({ ...ENV, scheduledRunOperationBudget: "450", batchConcurrency: "4", scheduledRunBudgetSeconds: "60", jobStateCollection: '{"database":"ops","collection":"jobs"}' }),
    );
    expect(config).toMatchObject({ scheduledRunOperationBudget: 450, batchConcurrency: 4, scheduledRunBudgetSeconds: 60, jobStateCollection: { database: "ops", collection: "jobs" } });
  });

  it("names a variable that is not valid JSON, without quoting it", () => {
    const message = configErrorMessage(() => readFlowerbaseConfig(valuesOf({ ...ENV, accountAdmins: "[6500000000000000000000cc" })));
    expect(message).toMatch(/Environment variable "accountAdmins" is not valid JSON: write it as JSON text on one line, e\.g\. accountAdmins=\["64b7f0c2a1b2c3d4e5f60718"\]/);
    expect(message).not.toContain("6500000000000000000000cc");
  });

  it("suggests, for every JSON-valued variable, an example that is itself accepted", () => {
    const examples: Record<string, string> = {};
    for (const name of Object.values(VALUE_NAMES).filter(isJsonValued)) {
      const message = configErrorMessage(() => readFlowerbaseConfig(valuesOf({ ...ENV, [name]: "{" })));
      const suggested = message.match(new RegExp(`e\\.g\\. .*${name}=(.+?)\\.(?: |$)`));
      expect(suggested).not.toBeNull();
      examples[name] = suggested![1];
      expect(() => readFlowerbaseConfig(valuesOf({ ...ENV, [name]: examples[name] }))).not.toThrow();
    }
    // Run state and audit records apart: an example must not send both to one collection.
    expect(JSON.parse(examples.jobStateCollection)).not.toEqual(JSON.parse(examples.deletionAuditCollection));
  });

  it("an unset userDataCleanup is a configuration error, never a silent empty plan; [] means none", () => {
    expect(configErrorMessage(() => readFlowerbaseConfig(valuesOf({ userStoreDatabase: "main" })))).toMatch(/"userDataCleanup" is not set: set it to the cleanup plan as JSON, or to \[\]/);
    expect(configErrorMessage(() => readFlowerbaseConfig(valuesOf({ userStoreDatabase: "main", userDataCleanup: "" })))).toMatch(/"userDataCleanup" is not set/);
    expect(readFlowerbaseConfig(valuesOf(ENV)).cleanupRules).toEqual([]);
  });

  it("requires userStoreDatabase and reports every problem at once", () => {
    const message = configErrorMessage(() => readFlowerbaseConfig(valuesOf({ pendingUserMaxAgeDays: "{" })));
    expect(message).toMatch(/"pendingUserMaxAgeDays" is not valid JSON/);
    expect(message).toMatch(/"userDataCleanup" is not set/);
    expect(message).toMatch(/"userStoreDatabase" is not set: set it to Flowerbase's auth database/);
  });

  it("never needs the Admin API keys, and readPlatformConfig hands over Flowerbase's auth service", () => {
    const platform = readPlatformConfig(flowerbase(ENV));
    expect(platform.platform).toBe("flowerbase");
    if (platform.platform === "flowerbase") expect(platform.auth).toBe(AUTH);
    expect(configErrorMessage(() => readPlatformConfig(appServices(ENV)))).toMatch(/"adminApiPublicKey" is missing/);
  });
});
