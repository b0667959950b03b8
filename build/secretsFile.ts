/**
 * secrets.example.json: the secrets the app's values read (`{ "<secret name>": "<placeholder>" }`),
 * read the same way by the build (every from_secret value must name one) and by deploy (each is
 * set from secrets.json). Errors come from the caller's `fail`, so each keeps its own error type.
 */
import * as fs from "node:fs";

export const EXAMPLE_FILE = "secrets.example.json";
/** The real values, next to the example; git-ignored. */
export const SECRETS_FILE = "secrets.json";

/** The secrets holding the Atlas API key pair: the functions call the Admin API with it, and deploy logs in with it. */
export const ADMIN_KEY_SECRETS = { publicKey: "adminApiPublicKeySecret", privateKey: "adminApiPrivateKeySecret" } as const;

/** App Services secret names: up to 64 letters, digits, _ and -, starting with a letter or digit. */
export const SECRET_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

type Fail = (message: string) => Error;

/** The example file's names and placeholders; refuses names App Services would refuse. */
export function readSecretsExample(file: string, fail: Fail): Record<string, unknown> {
  if (!fs.existsSync(file)) {
    throw fail(`${file} is missing: it lists the secrets the app's values need, as { "<secret name>": "<placeholder>" }. Restore it from version control.`);
  }
  const example = parseSecretsMap(fs.readFileSync(file, "utf8"), file, true, fail);
  const badNames = Object.keys(example).filter((name) => !SECRET_NAME.test(name));
  if (badNames.length > 0) {
    throw fail(
      `${file} has secret names App Services does not accept (up to 64 letters, digits, _ and -, starting with a letter or digit): ${badNames.join(", ")}. Rename them there and in values/.`,
    );
  }
  return example;
}

/**
 * One JSON object of `"<secret name>": "<value>"` pairs. `showDetail` is false for secrets.json:
 * a parser's message quotes the text around the error, which may be a secret.
 */
export function parseSecretsMap(text: string, file: string, showDetail: boolean, fail: Fail): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const detail = showDetail && error instanceof Error ? ` (${error.message})` : "";
    throw fail(`${file} is not valid JSON${detail}: fix it; it must hold one object of "<secret name>": "<value>" pairs.`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw fail(`${file} must hold one JSON object of "<secret name>": "<value>" pairs.`);
  }
  return parsed as Record<string, unknown>;
}

/** Longest secret value App Services accepts (define-and-manage-secrets). */
export const SECRET_VALUE_MAX = 500;

export type SecretStatus =
  | "ready"
  | "missing"
  | "not a string"
  | "empty"
  | "still the placeholder from the example"
  | `longer than ${typeof SECRET_VALUE_MAX} characters`;

/** Each secret the example lists, by name, with whether secrets.json has it ready: what deploy and its dry run both judge by. */
export function secretsReadiness(example: Record<string, unknown>, provided: Record<string, unknown>): Array<{ name: string; status: SecretStatus }> {
  return Object.keys(example)
    .sort()
    .map((name) => ({ name, status: secretStatus(Object.hasOwn(provided, name) ? provided[name] : undefined, example[name]) }));
}

/** Whether one secret's value in secrets.json can be set; never says anything about the value itself. */
export function secretStatus(value: unknown, placeholder: unknown): SecretStatus {
  if (value === undefined) return "missing";
  if (typeof value !== "string") return "not a string";
  if (value.trim() === "") return "empty";
  if (value === placeholder) return "still the placeholder from the example";
  if (value.length > SECRET_VALUE_MAX) return `longer than ${SECRET_VALUE_MAX} characters`;
  return "ready";
}
