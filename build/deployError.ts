/** The one error `npm run deploy` fails with: the step that failed, and a message naming the fix. */

export type DeployStep =
  | "usage"
  | "replace-app"
  | "cli-missing"
  | "not-logged-in"
  | "secrets"
  | "app-dir"
  | "project"
  | "admin-login"
  | "app-lookup"
  | "secrets-list"
  | "secret-set"
  | "push";

export class DeployError extends Error {
  override name = "DeployError";
  constructor(
    readonly step: DeployStep,
    message: string,
  ) {
    super(message);
  }
}
