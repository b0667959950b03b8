/**
 * The official Admin API OpenAPI spec (../shared/admin-api/openapi-admin-v3.yaml from the project
 * root), parsed, with an ajv instance that resolves $refs inside it, and path-template matching.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { parse } from "yaml";

export const SPEC_FILE = path.join(__dirname, "..", "..", "..", "shared", "admin-api", "openapi-admin-v3.yaml");
export const specAvailable = fs.existsSync(SPEC_FILE);

/** Every Admin API operation the bundle's client (lib/adminApi.ts) sends. */
export const BUNDLE_ADMIN_OPERATIONS = [
  "adminLogin",
  "adminListUsers",
  "adminGetUser",
  "adminDeleteUser",
  "adminDisableUser",
  "adminEnableUser",
  "adminUserLogout",
  "adminListPendingUsers",
  "adminDeletePendingEmailPasswordUser",
  "adminGetApplication",
  "adminDeleteSession",
];

export interface SpecOperation {
  operationId: string;
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}

export type Spec = { paths: Record<string, Record<string, SpecOperation>> };

/** Says once, per test file, why contract tests are skipped. */
export function reportMissingSpec(what: string): void {
  if (!specAvailable) console.log(`${what} skipped: the OpenAPI spec ${SPEC_FILE} (../shared/admin-api/openapi-admin-v3.yaml from the project root) is not present.`);
}

/** The spec, and an ajv that knows it as "openapi" (so `openapi#/...` pointers resolve). */
export function loadSpec(): { spec: Spec; ajv: Ajv2020 } {
  const spec = parse(fs.readFileSync(SPEC_FILE, "utf8")) as Spec;
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
  addFormats(ajv);
  ajv.addSchema(spec as object, "openapi");
  return { spec, ajv };
}

/** A JSON pointer into the spec, e.g. pointer("components", "schemas", "User"). */
export function pointer(...segments: string[]): string {
  return `#/${segments.map((s) => encodeURIComponent(s.replace(/~/g, "~0").replace(/\//g, "~1"))).join("/")}`;
}

/** The spec path template a concrete path matches; literal segments beat parameters. */
export function findTemplate(spec: Spec, concretePath: string): string | undefined {
  const candidates = Object.keys(spec.paths).filter((template) => {
    const regex = new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}]+\}/g, "[^/]+")}$`);
    return regex.test(concretePath);
  });
  const literalCount = (t: string) => t.split("/").filter((s) => s && !s.startsWith("{")).length;
  return candidates.sort((a, b) => literalCount(b) - literalCount(a))[0];
}
