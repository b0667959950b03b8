/**
 * The Admin API operations `npm run deploy` uses besides the user endpoints: listing the project's
 * apps (adminListApplications, to find an app's `_id` by its client app id) and the app's secrets
 * (adminGetAllSecrets, adminCreateASecret, adminModifyASecret, adminDeleteSecret), answering as
 * ../shared/admin-api/openapi-admin-v3.yaml describes them.
 *
 * Secret values live in memory only. They are never logged, never persisted to the data file and
 * never answered: the spec's list and create answers carry `_id` and `name` alone, and an error
 * names the secret, never its value. Limits follow the App Services docs (define-and-manage-secrets,
 * ../shared/docs/app-services.md): names up to 64 letters, digits, `_` and `-`; values up to 500
 * characters. The spec is silent on a name already taken; the emulator answers 409 in the spec's
 * `Error` shape.
 */
import type { IncomingMessage } from "node:http";
import { randomBytes } from "node:crypto";
import { SECRET_NAME, SECRET_VALUE_MAX } from "../../build/secretsFile";
import { sameSecret } from "../accounts/passwords";
import type { EmulatorState } from "../accounts/accountState";
import { authenticateRequest } from "./auth";
import { readJsonObject } from "./body";
import { HttpError, empty, json, type Reply } from "./reply";
import type { RouteParams } from "./router";

/** The spec's `product` values for adminListApplications; `standard` when none is given. */
const PRODUCTS = ["standard", "atlas", "data-api", "device-sync"];

interface StoredSecret {
  id: string;
  name: string;
  value: string;
}

/** The app's secrets, by `_id`. Hands out names and ids; a value goes in and never comes out. */
export class AdminSecretStore {
  private readonly byId = new Map<string, StoredSecret>();

  list(): Array<{ _id: string; name: string }> {
    return [...this.byId.values()].map((s) => ({ _id: s.id, name: s.name }));
  }

  names(): string[] {
    return [...this.byId.values()].map((s) => s.name).sort();
  }

  /** Whether the secret `name` holds exactly `candidate`: lets a test check a value without reading it. */
  holds(name: string, candidate: string): boolean {
    const secret = this.findByName(name);
    return secret !== undefined && sameSecret(candidate, secret.value);
  }

  create(name: string, value: string): { _id: string; name: string } {
    if (this.findByName(name)) throw nameTaken(name);
    const id = randomBytes(12).toString("hex");
    this.byId.set(id, { id, name, value });
    return { _id: id, name };
  }

  update(id: string, name: string, value: string): void {
    const secret = this.byId.get(id);
    if (!secret) throw secretNotFound(id);
    const other = this.findByName(name);
    if (other && other.id !== id) throw nameTaken(name);
    this.byId.set(id, { id, name, value });
  }

  delete(id: string): void {
    if (!this.byId.delete(id)) throw secretNotFound(id);
  }

  private findByName(name: string): StoredSecret | undefined {
    return [...this.byId.values()].find((s) => s.name === name);
  }
}

interface RouteContext {
  req: IncomingMessage;
  params: RouteParams;
  query: URLSearchParams;
}

export interface AdminRoute {
  method: string;
  /** Relative to /api/admin/v3.0, in the Router's `:param` form. */
  pattern: string;
  operationId: string;
  /** Checked by the Admin API before `run`: an access token, and the emulator's group and app. */
  appScoped: boolean;
  run(ctx: RouteContext): Promise<Reply>;
}

export interface AdminSecretsDeps {
  state: EmulatorState;
  store: AdminSecretStore;
  groupId: string;
  /** The adminGetApplication answer for the emulator's one app (an `AppInstance`). */
  application(): Promise<Reply>;
}

export function adminSecretsRoutes(deps: AdminSecretsDeps): AdminRoute[] {
  const secrets = "/groups/:groupId/apps/:appId/secrets";
  return [
    { method: "GET", pattern: "/groups/:groupId/apps", operationId: "adminListApplications", appScoped: false, run: listApplications },
    { method: "GET", pattern: secrets, operationId: "adminGetAllSecrets", appScoped: true, run: async () => json(200, deps.store.list()) },
    { method: "POST", pattern: secrets, operationId: "adminCreateASecret", appScoped: true, run: createSecret },
    { method: "PUT", pattern: `${secrets}/:secretId`, operationId: "adminModifyASecret", appScoped: true, run: modifySecret },
    { method: "DELETE", pattern: `${secrets}/:secretId`, operationId: "adminDeleteSecret", appScoped: true, run: deleteSecret },
  ];

  async function listApplications({ req, params, query }: RouteContext): Promise<Reply> {
    await authenticateRequest(deps.state, req, "admin-access");
    if (params.groupId !== deps.groupId) throw new HttpError(404, `group not found: no project ${params.groupId}`, "GroupNotFound");
    const products = (query.get("product") ?? "standard").split(",");
    const unknown = products.filter((p) => !PRODUCTS.includes(p));
    if (unknown.length > 0) throw new HttpError(400, `invalid product "${unknown.join(",")}": expected ${PRODUCTS.join(", ")}`, "InvalidParameter");
    if (!products.includes("standard")) return json(200, []);
    const app = await deps.application();
    return json(200, app.kind === "json" ? [app.body] : []);
  }

  async function createSecret({ req }: RouteContext): Promise<Reply> {
    const { name, value } = checkSecretBody(await readJsonObject(req));
    return json(201, deps.store.create(name, value));
  }

  async function modifySecret({ req, params }: RouteContext): Promise<Reply> {
    const { name, value } = checkSecretBody(await readJsonObject(req));
    deps.store.update(params.secretId, name, value);
    return empty(204);
  }

  async function deleteSecret({ params }: RouteContext): Promise<Reply> {
    deps.store.delete(params.secretId);
    return empty(204);
  }
}

/** The spec's request body: `name` and `value`, both strings. Errors never quote the value. */
function checkSecretBody(body: Record<string, unknown>): { name: string; value: string } {
  const { name, value } = body;
  if (typeof name !== "string" || typeof value !== "string") {
    throw new HttpError(400, "expected a JSON body with string fields name and value", "BadRequest");
  }
  if (!SECRET_NAME.test(name)) {
    throw new HttpError(400, "invalid secret name: use up to 64 letters, digits, _ and -, starting with a letter or digit", "InvalidParameter");
  }
  if (value.length > SECRET_VALUE_MAX) {
    throw new HttpError(400, `invalid value for secret "${name}": longer than ${SECRET_VALUE_MAX} characters`, "InvalidParameter");
  }
  return { name, value };
}

function secretNotFound(id: string): HttpError {
  return new HttpError(404, `secret not found: no secret with id ${id}`, "SecretNotFound");
}

function nameTaken(name: string): HttpError {
  return new HttpError(409, `a secret named "${name}" already exists`, "DuplicateName");
}
