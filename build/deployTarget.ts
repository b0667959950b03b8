/**
 * Which app deploy sets secrets on, as the Admin API names it: the Atlas project (group) id and
 * the app's ObjectId `_id` (the Admin API never takes the client app id; the spec's
 * "Project & Application IDs" section).
 *
 * The project comes from `--project`, or from the app directory's `.mdb/app_meta.json`, the file
 * in which the App Services CLI (10gen/realm-cli internal/local/app.go, `AppMeta`) keeps
 * `group_id`, `app_id` and `config_version` when it has them. The `_id` is found by listing the
 * project's apps (adminListApplications) and matching the client app id given with `--app`; when
 * `.mdb/app_meta.json` names an app, it must be that one.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { AppInstance } from "./adminApiSession";
import { DeployError } from "./deployError";

const APP_META_FILE = path.join(".mdb", "app_meta.json");
/** Atlas project ids are ObjectIds: 24 hexadecimal digits. */
const PROJECT_ID = /^[0-9a-f]{24}$/i;
const WHERE_PROJECT_ID = "Atlas shows it under Project Settings → Project ID";

export interface AppMeta {
  groupId?: string;
  appId?: string;
}

/** A bad --project is refused before anything runs. */
export function checkProjectId(projectId: string, source: string): void {
  if (PROJECT_ID.test(projectId)) return;
  throw new DeployError("project", `${source} is "${projectId}", which is not an Atlas project id (24 hexadecimal digits; ${WHERE_PROJECT_ID}). Pass the right one with --project. Nothing was deployed.`);
}

/** `.mdb/app_meta.json` of the app directory, when it exists; a malformed one is refused. */
export function readAppMeta(dir: string): AppMeta {
  const file = path.join(dir, APP_META_FILE);
  if (!fs.existsSync(file)) return {};
  const fix = "fix it, or remove it and pass --project";
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {
    throw new DeployError("project", `${file} is not valid JSON: ${fix}. Nothing was deployed.`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new DeployError("project", `${file} must hold a JSON object (group_id, app_id): ${fix}. Nothing was deployed.`);
  }
  const { group_id: groupId, app_id: appId } = parsed as Record<string, unknown>;
  const text = (value: unknown) => (typeof value === "string" && value !== "" ? value : undefined);
  return { ...(text(groupId) ? { groupId: text(groupId) } : {}), ...(text(appId) ? { appId: text(appId) } : {}) };
}

/** The project id: --project, else the app directory's metadata; they must agree when both are there. */
export function resolveProject(flag: string | undefined, meta: AppMeta, dir: string): string {
  const metaFile = path.join(dir, APP_META_FILE);
  if (flag !== undefined && meta.groupId !== undefined && flag !== meta.groupId) {
    throw new DeployError(
      "project",
      `--project is ${flag} but ${metaFile} says the app directory was pulled from project ${meta.groupId}: pass the project the app is in, or pull the app again. Nothing was deployed.`,
    );
  }
  const projectId = flag ?? meta.groupId;
  if (projectId === undefined) {
    throw new DeployError(
      "project",
      `No Atlas project id: pass --project <project id> (${WHERE_PROJECT_ID}). Deploy needs it to set the app's secrets through the Admin API. Nothing was deployed.`,
    );
  }
  checkProjectId(projectId, flag !== undefined ? "--project" : `group_id in ${metaFile}`);
  return projectId;
}

/** The `_id` of the app whose client app id (or, failing that, unique name) is `app`. */
export function pickApp(apps: AppInstance[], app: string, projectId: string, meta: AppMeta, dir: string): string {
  const byClientId = apps.filter((a) => a.client_app_id === app);
  const byName = apps.filter((a) => a.name === app);
  const found = byClientId.length === 1 ? byClientId[0] : byClientId.length === 0 && byName.length === 1 ? byName[0] : undefined;
  if (!found) {
    const known = apps.map((a) => a.client_app_id).sort();
    const listed = known.length > 0 ? `its apps are: ${known.join(", ")}` : "it has no App Services apps the key can see";
    throw new DeployError(
      "app-lookup",
      `No app "${app}" in project ${projectId} (${listed}). Check --app (the client app id, e.g. my-app-abcde) and --project. Nothing was deployed.`,
    );
  }
  if (meta.appId !== undefined && meta.appId !== found._id) {
    throw new DeployError(
      "app-lookup",
      `${path.join(dir, APP_META_FILE)} says the app directory was pulled from app ${meta.appId}, but "${app}" is app ${found._id}: deploy the directory to the app it came from, or pull "${app}" and install the bundle into that. Nothing was deployed.`,
    );
  }
  return found._id;
}
