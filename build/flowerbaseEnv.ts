/**
 * flowerbase.env: the bundle's values as environment variables, for Flowerbase, whose
 * `context.values.get(name)` returns `process.env[name]` (flowerforce/flowerbase
 * packages/flowerbase/src/utils/context/helpers.ts:213-215) and which never reads values/.
 * One `NAME=value` line per value: strings as they are, anything else as JSON on one line.
 * Secret-backed values are left out and named in a comment. The format is what `node --env-file`
 * and dotenv read: a value that starts with a quote or holds a `#` is single-quoted.
 */
export const FLOWERBASE_ENV_FILE = "flowerbase.env";

export class EnvFileError extends Error {
  override name = "EnvFileError";
}

export interface EnvValue {
  name: string;
  value: unknown;
  from_secret: boolean;
}

export function formatFlowerbaseEnv(values: EnvValue[]): string {
  const secrets = values.filter((v) => v.from_secret).map((v) => v.name);
  const lines = [
    "# The bundle's values for Flowerbase, which reads them from the environment (written by `npm run build` from values/).",
    "# Strings as they are, everything else as JSON. Load it with `node --env-file=flowerbase.env` or dotenv; set your own",
    "# variables in the environment rather than editing this file (a later `--into` install would refuse an edited copy).",
    "# Required on Flowerbase and not in values/: userStoreDatabase (Flowerbase's auth database; \"main\" unless auth_database or database_name say otherwise).",
    "# Optional: userStoreCollection (default auth_users), customUserDataCollection, runtime=flowerbase.",
  ];
  if (secrets.length > 0) lines.push(`# Left out, they come from secrets (unused on Flowerbase, which has no Admin API): ${secrets.join(", ")}`);
  for (const value of values) {
    if (value.from_secret) continue;
    lines.push(`${checkName(value.name)}=${envText(value.name, value.value)}`);
  }
  return `${lines.join("\n")}\n`;
}

function checkName(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new EnvFileError(`values/${name}.json: "${name}" is not a valid environment variable name (letters, digits and _): rename the value.`);
  }
  return name;
}

/** A value as Flowerbase's `context.values.get` gives it (process.env): a string as is, anything else as JSON; undefined stays unset. */
export function environmentString(value: unknown): string | undefined {
  return typeof value === "string" ? value : JSON.stringify(value);
}

function envText(name: string, value: unknown): string {
  const text = environmentString(value);
  if (text === undefined || /[\r\n]/.test(text)) {
    throw new EnvFileError(`values/${name}.json: the value cannot be written on one environment line (a line break, or not JSON): change the value.`);
  }
  if (!/^["'`]/.test(text) && text.indexOf("#") < 0) return text;
  if (text.indexOf("'") >= 0) {
    throw new EnvFileError(`values/${name}.json: the value needs quoting (it starts with a quote or holds #) and holds a ' too: change the value.`);
  }
  return `'${text}'`;
}

/** The variables of an env file written by formatFlowerbaseEnv (comments and blank lines skipped). */
export function parseFlowerbaseEnv(text: string, file: string): Record<string, string> {
  const variables: Record<string, string> = {};
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === "" || line.trimStart().startsWith("#")) return;
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!match) throw new EnvFileError(`${file}:${index + 1} is not a NAME=value line: rebuild with \`npm run build\`.`);
    const raw = match[2];
    variables[match[1]] = raw.length >= 2 && raw.startsWith("'") && raw.endsWith("'") ? raw.slice(1, -1) : raw;
  });
  return variables;
}
