import { readConfig, DEFAULT_ADMIN_API_BASE_URL } from "../../lib/config";
import { TEST_APP as APP, configErrorMessage, valuesOf } from "../helpers/configErrors";

const base = { adminApiPublicKey: "pub-key", adminApiPrivateKey: "priv-key" };

/** readConfig's ConfigError for these values, as { message }. */
const configError = (map: Record<string, unknown>, app = APP): { message: string } => ({ message: configErrorMessage(() => readConfig(valuesOf(map), app)) });

describe("readConfig", () => {
  it("uses context.app ids and the default base URL when no value overrides them", () => {
    const config = readConfig(valuesOf(base), APP);
    expect(config.adminApi).toEqual({ baseUrl: DEFAULT_ADMIN_API_BASE_URL, groupId: APP.projectId, appId: APP.id, publicKey: "pub-key", privateKey: "priv-key" });
    expect(config).toMatchObject({ allowServerUserSelfDelete: false, cleanupRules: [], accountAdmins: [], pendingUserMaxAgeDays: 7, dataSourceName: "mongodb-atlas" });
    expect(config.auditCollection).toBeUndefined();
  });

  it("budgets 900 async operations a scheduled run by default, and takes any whole number from 20 to 1000", () => {
    expect(readConfig(valuesOf(base), APP).scheduledRunOperationBudget).toBe(900);
    expect(readConfig(valuesOf({ ...base, scheduledRunOperationBudget: 20 }), APP).scheduledRunOperationBudget).toBe(20);
    expect(readConfig(valuesOf({ ...base, scheduledRunOperationBudget: 1000 }), APP).scheduledRunOperationBudget).toBe(1000);
  });

  it("lets values override the ids and base URL (trailing slash removed)", () => {
    const config = readConfig(
      valuesOf({ ...base, adminApiBaseUrl: "http://127.0.0.1:9/api/admin/v3.0/", adminApiGroupId: "6500000000000000000000cc", adminApiAppId: "6500000000000000000000dd" }),
      APP,
    );
    expect(config.adminApi).toMatchObject({ baseUrl: "http://127.0.0.1:9/api/admin/v3.0", groupId: "6500000000000000000000cc", appId: "6500000000000000000000dd" });
  });

  it("names each missing key value and how to fix it", () => {
    const error = configError({});
    expect(error.message).toMatch(/"adminApiPublicKey" is missing/);
    expect(error.message).toMatch(/"adminApiPrivateKey" is missing/);
    expect(error.message).toMatch(/from_secret: true/);
  });

  it("rejects an empty key as well as a missing one", () => {
    expect(configError({ ...base, adminApiPrivateKey: "  " }).message).toMatch(/"adminApiPrivateKey" is empty/);
  });

  it.each([
    [{ adminApiBaseUrl: "services.cloud.mongodb.com" }, /"adminApiBaseUrl" must be an http\(s\) URL/],
    [{ adminApiGroupId: "not-an-id" }, /"adminApiGroupId" must be a 24-hex id/],
    [{ allowServerUserSelfDelete: "yes" }, /"allowServerUserSelfDelete" must be true or false/],
    [{ accountAdmins: ["bob@example.com"] }, /"accountAdmins" must be an array of App Services user ids/],
    [{ pendingUserMaxAgeDays: 0 }, /"pendingUserMaxAgeDays" must be a positive number/],
    [{ deletionAuditCollection: "audit" }, /"deletionAuditCollection" must be/],
    [{ userDataCleanup: [{ database: "app" }] }, /userDataCleanup\[0\]/],
    [{ scheduledRunOperationBudget: 1001 }, /"scheduledRunOperationBudget" must be a whole number of async operations from 20 to 1000 \(App Services stops a function at 1000.*got 1001/],
    [{ scheduledRunOperationBudget: 19 }, /"scheduledRunOperationBudget" must be a whole number .* got 19/],
    [{ scheduledRunOperationBudget: 450.5 }, /"scheduledRunOperationBudget" must be a whole number .* got 450.5/],
    [{ scheduledRunOperationBudget: "900" }, /"scheduledRunOperationBudget" must be a whole number .* got "900"/],
  ])("rejects a malformed value %p", (extra, message) => {
    expect(configError({ ...base, ...extra }).message).toMatch(message);
  });

  it("says which value to set when context.app has no ids", () => {
    expect(configError(base, { id: "", projectId: undefined } as never).message).toMatch(/set the value "adminApiGroupId"/);
  });

  it("without context.app (as on Flowerbase) reports the missing ids as a configuration error", () => {
    expect(configError(base, null as never).message).toMatch(/context.app.projectId is not available .*set the value "adminApiGroupId"/);
  });

  it("never puts a key into an error message", () => {
    const error = configError({ adminApiPublicKey: "pub-SECRET-1", adminApiPrivateKey: "priv-SECRET-2", pendingUserMaxAgeDays: -1 });
    expect(error.message).not.toMatch(/SECRET/);
  });
});
