import { hashTree, writeTree, type Tree } from "../helpers/tree";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { MANIFEST_FILE, MergeError, mergeInto } from "../../build/merge";

function readJson(file: string): unknown {
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

const OUR_FUNCTIONS = [
  { name: "deleteCurrentUser", private: false, run_as_system: true, disable_arg_logs: true },
  { name: "purgePendingUsers", private: true, run_as_system: true, disable_arg_logs: true },
];

function builtApp(functions = OUR_FUNCTIONS, withTrigger = true): Tree {
  const tree: Tree = {
    "root_config.json": { name: "built-app", deployment_model: "GLOBAL" },
    "functions/config.json": functions,
    "values/adminApiPrivateKey.json": { name: "adminApiPrivateKey", value: "adminApiPrivateKey", from_secret: true },
    "values/adminApiPublicKey.json": { name: "adminApiPublicKey", value: "public-key", from_secret: false },
  };
  for (const fn of functions) tree[`functions/${fn.name}.js`] = `exports = function () { return "${fn.name}"; };\n`;
  tree["flowerbase.env"] = "# values for Flowerbase\nadminApiPublicKey=public-key\n";
  if (withTrigger) {
    tree["triggers/purgePendingUsersDaily.json"] = {
      name: "purgePendingUsersDaily",
      type: "SCHEDULED",
      function_name: "purgePendingUsers",
      config: { schedule: "0 3 * * *" },
      disabled: false,
    };
  }
  return tree;
}

/** Shaped like `appservices pull` output, with 4-space JSON so a reformatting would show. */
const PULLED_CONFIG = `[
    {
        "name": "legacyReport",
        "private": true,
        "can_evaluate": {}
    },
    {
        "name": "onSignup",
        "private": false
    }
]
`;

function pulledApp(): Tree {
  return {
    "root_config.json": `{\n    "name": "production-app",\n    "deployment_model": "LOCAL"\n}\n`,
    "functions/config.json": PULLED_CONFIG,
    "functions/legacyReport.js": "exports = function () { return 1; };",
    "functions/onSignup.js": "exports = async function (user) {\n  return user;\n};\n",
    "values/supportEmail.json": `{"name":"supportEmail","value":"help@example.com","from_secret":false}`,
    "triggers/nightlyReport.json": `{\n    "name": "nightlyReport",\n    "type": "SCHEDULED",\n    "function_name": "legacyReport"\n}`,
    "auth/providers.json": `{\n    "api-key": { "name": "api-key", "type": "api-key", "disabled": true }\n}\n`,
    "data_sources/mongodb-atlas/config.json": `{"name":"mongodb-atlas","type":"mongodb-atlas"}`,
    ".mdb/meta.json": `{"config_version":20210101,"app_id":"abc-123"}`,
    // The file the CLI keeps (deployTarget.ts APP_META_FILE): an install leaves it alone too.
    ".mdb/app_meta.json": `{"config_version":20210101,"app_id":"abc-123","group_id":"65f0c0de00000000000000a1"}`,
  };
}

const OURS = new Set([
  "functions/config.json",
  "functions/deleteCurrentUser.js",
  "functions/purgePendingUsers.js",
  "values/adminApiPrivateKey.json",
  "values/adminApiPublicKey.json",
  "triggers/purgePendingUsersDaily.json",
  "flowerbase.env",
  MANIFEST_FILE,
]);

let work: string;
let built: string;
let target: string;

beforeEach(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "merge-test-"));
  built = path.join(work, "dist", "app");
  target = path.join(work, "pulled");
  writeTree(built, builtApp());
  writeTree(target, pulledApp());
});

afterEach(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

function expectRefused(action: () => unknown, ...fragments: string[]): MergeError {
  let caught: unknown;
  try {
    action();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(MergeError);
  const error = caught as MergeError;
  expect(error.name).toBe("MergeError");
  for (const fragment of fragments) expect(error.message).toContain(fragment);
  return error;
}

describe("mergeInto a pulled app", () => {
  test("leaves every unrelated file byte for byte as it was", () => {
    const before = hashTree(target);
    mergeInto(built, target);
    const after = hashTree(target);
    for (const [file, hash] of Object.entries(before)) {
      if (file === "functions/config.json") continue;
      expect({ file, hash: after[file] }).toEqual({ file, hash });
    }
    expect(Object.keys(after).filter((f) => !(f in before)).sort()).toEqual([...OURS].filter((f) => !(f in before)).sort());
  });

  test("keeps the other functions' entries, order and fields, and appends ours", () => {
    mergeInto(built, target);
    const config = readJson(path.join(target, "functions/config.json"));
    expect(config).toEqual([...(JSON.parse(PULLED_CONFIG) as unknown[]), ...OUR_FUNCTIONS]);
    // The pulled file's own indentation is kept.
    expect(fs.readFileSync(path.join(target, "functions/config.json"), "utf8")).toMatch(/^\[\n {4}\{\n {8}"name": "legacyReport"/);
  });

  test("installs our functions, values and triggers, and does not touch root_config.json", () => {
    const rootConfig = fs.readFileSync(path.join(target, "root_config.json"));
    const report = mergeInto(built, target);
    for (const file of OURS) {
      if (file === "functions/config.json" || file === MANIFEST_FILE) continue;
      expect(fs.readFileSync(path.join(target, file))).toEqual(fs.readFileSync(path.join(built, file)));
    }
    expect(fs.readFileSync(path.join(target, "root_config.json"))).toEqual(rootConfig);
    expect(report).toEqual({
      added: [...OURS].filter((f) => f !== "functions/config.json").sort(),
      updated: ["functions/config.json"],
      removed: [],
      unchanged: [],
      kept: [],
    });
  });

  test("writes a manifest naming what the bundle wrote, in the build's JSON format", () => {
    mergeInto(built, target, { version: "0.1.0" });
    const text = fs.readFileSync(path.join(target, MANIFEST_FILE), "utf8");
    expect(text.endsWith("}\n")).toBe(true);
    expect(text).toContain('\n  "manifestVersion": 2,\n');
    expect(JSON.parse(text)).toMatchObject({
      bundleVersion: "0.1.0",
      contentHash: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      functions: ["deleteCurrentUser", "purgePendingUsers"],
      values: ["adminApiPrivateKey", "adminApiPublicKey"],
      triggers: ["purgePendingUsersDaily"],
    });
    // A hash for every file and functions/config.json entry the bundle wrote.
    const files = (JSON.parse(text) as { files: Record<string, string[]> }).files;
    expect(Object.keys(files).sort()).toEqual(
      [...[...OURS].filter((f) => f !== "functions/config.json" && f !== MANIFEST_FILE), ...OUR_FUNCTIONS.map((f) => `functions/config.json#${f.name}`)].sort(),
    );
    for (const hashes of Object.values(files)) expect(hashes).toEqual([expect.stringMatching(/^sha256:[0-9a-f]{64}$/)]);
  });

  test("installs flowerbase.env as the bundle's own file, and refuses to overwrite an edited copy without --force", () => {
    mergeInto(built, target);
    expect(fs.readFileSync(path.join(target, "flowerbase.env"), "utf8")).toBe(fs.readFileSync(path.join(built, "flowerbase.env"), "utf8"));
    fs.writeFileSync(path.join(built, "flowerbase.env"), "# values for Flowerbase\nadminApiPublicKey=other-key\n");
    expect(mergeInto(built, target).updated).toContain("flowerbase.env");
    fs.writeFileSync(path.join(target, "flowerbase.env"), "userStoreDatabase=edited\n");
    expectRefused(() => mergeInto(built, target), 'file "flowerbase.env" (it changed since the bundle wrote it)');
    expect(fs.readFileSync(path.join(target, "flowerbase.env"), "utf8")).toBe("userStoreDatabase=edited\n");
    mergeInto(built, target, { force: true });
    expect(fs.readFileSync(path.join(target, "flowerbase.env"), "utf8")).toContain("other-key");
  });

  test("a second run gives the same tree and reports everything unchanged", () => {
    mergeInto(built, target);
    const first = hashTree(target);
    const report = mergeInto(built, target);
    expect(hashTree(target)).toEqual(first);
    expect(report.added).toEqual([]);
    expect(report.updated).toEqual([]);
    expect(report.removed).toEqual([]);
    expect(report.unchanged).toEqual([...OURS].sort());
  });

  test("an updated function source replaces ours and only ours", () => {
    mergeInto(built, target);
    fs.writeFileSync(path.join(built, "functions/deleteCurrentUser.js"), "exports = function () { return 2; };\n");
    const report = mergeInto(built, target);
    expect(report.updated).toEqual([MANIFEST_FILE, "functions/deleteCurrentUser.js"].sort());
    expect(fs.readFileSync(path.join(target, "functions/deleteCurrentUser.js"), "utf8")).toBe("exports = function () { return 2; };\n");
  });

  test("a function and trigger removed from the bundle are removed from the app", () => {
    mergeInto(built, target);
    const before = hashTree(target);
    fs.rmSync(built, { recursive: true });
    writeTree(built, builtApp([OUR_FUNCTIONS[0]!], false));

    const report = mergeInto(built, target);

    expect(report.removed).toEqual(["functions/purgePendingUsers.js", "triggers/purgePendingUsersDaily.json"]);
    expect(fs.existsSync(path.join(target, "functions/purgePendingUsers.js"))).toBe(false);
    expect(fs.existsSync(path.join(target, "triggers/purgePendingUsersDaily.json"))).toBe(false);
    const names = (readJson(path.join(target, "functions/config.json")) as Array<{ name: string }>).map((e) => e.name);
    expect(names).toEqual(["legacyReport", "onSignup", "deleteCurrentUser"]);
    expect(readJson(path.join(target, MANIFEST_FILE))).toMatchObject({ functions: ["deleteCurrentUser"], triggers: [] });
    for (const file of Object.keys(pulledApp()).filter((f) => f !== "functions/config.json")) {
      expect({ file, hash: hashTree(target)[file] }).toEqual({ file, hash: before[file] });
    }
  });

  test("creates functions/config.json when the app has none", () => {
    fs.rmSync(path.join(target, "functions"), { recursive: true });
    const report = mergeInto(built, target);
    expect(report.added).toContain("functions/config.json");
    expect(fs.readFileSync(path.join(target, "functions/config.json"), "utf8")).toBe(`${JSON.stringify(OUR_FUNCTIONS, null, 2)}\n`);
  });

  test("leaves no temporary files behind", () => {
    mergeInto(built, target);
    expect(Object.keys(hashTree(target)).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });
});

describe("mergeInto: names the bundle did not write", () => {
  function addForeignCollisions(): void {
    const config = JSON.parse(PULLED_CONFIG) as unknown[];
    config.splice(1, 0, { name: "deleteCurrentUser", private: true, run_as_system: false });
    writeTree(target, {
      "functions/config.json": `${JSON.stringify(config, null, 4)}\n`,
      "functions/deleteCurrentUser.js": "exports = function () { return 'theirs'; };",
      "values/adminApiPublicKey.json": `{"name":"adminApiPublicKey","value":"theirs","from_secret":false}`,
      "triggers/daily.json": `{"name":"purgePendingUsersDaily","type":"SCHEDULED","function_name":"legacyReport"}`,
    });
  }

  test("are refused without --force, each named, and nothing is written", () => {
    addForeignCollisions();
    const before = hashTree(target);
    expectRefused(
      () => mergeInto(built, target),
      'function "deleteCurrentUser" (functions/config.json, functions/deleteCurrentUser.js)',
      'value "adminApiPublicKey" (values/adminApiPublicKey.json)',
      'trigger "purgePendingUsersDaily" (triggers/daily.json)',
      "Rename",
      "--force",
      "Nothing was written",
    );
    expect(hashTree(target)).toEqual(before);
  });

  test("are taken over with force, in place", () => {
    addForeignCollisions();
    mergeInto(built, target, { force: true });
    const names = (readJson(path.join(target, "functions/config.json")) as Array<{ name: string }>).map((e) => e.name);
    expect(names).toEqual(["legacyReport", "deleteCurrentUser", "onSignup", "purgePendingUsers"]);
    expect(readJson(path.join(target, "functions/config.json"))).toContainEqual(OUR_FUNCTIONS[0]);
    expect(fs.readFileSync(path.join(target, "functions/deleteCurrentUser.js"), "utf8")).not.toContain("theirs");
    expect(readJson(path.join(target, "values/adminApiPublicKey.json"))).toMatchObject({ value: "public-key" });
    // The trigger that declared our name in another file is replaced by ours, not duplicated.
    expect(fs.existsSync(path.join(target, "triggers/daily.json"))).toBe(false);
    expect(fs.existsSync(path.join(target, "triggers/purgePendingUsersDaily.json"))).toBe(true);
    // Once taken over, they are ours: a plain second run goes through.
    expect(() => mergeInto(built, target)).not.toThrow();
  });

  test("an orphan function file with our name also collides", () => {
    writeTree(target, { "functions/purgePendingUsers.js": "exports = function () {};" });
    expectRefused(() => mergeInto(built, target), 'function "purgePendingUsers" (functions/purgePendingUsers.js)');
  });
});

describe("mergeInto: a failure part-way", () => {
  test("leaves a tree that one more run finishes, to the same result as a clean merge", () => {
    const clean = path.join(work, "clean");
    writeTree(clean, pulledApp());
    mergeInto(built, clean);

    // A directory where the bundle's purgePendingUsers.js must go makes that write fail.
    fs.mkdirSync(path.join(target, "functions", "purgePendingUsers.js", "blocker"), { recursive: true });
    expectRefused(() => mergeInto(built, target, { force: true }), "purgePendingUsers.js", "run the merge again");
    fs.rmSync(path.join(target, "functions", "purgePendingUsers.js"), { recursive: true });

    mergeInto(built, target); // no --force needed: the manifest already claims the bundle's names
    expect(hashTree(target)).toEqual(hashTree(clean));
  });
});

describe("mergeInto: bad input", () => {
  test("a malformed functions/config.json is named in the error, and nothing is written", () => {
    writeTree(target, { "functions/config.json": "[{ name: oops" });
    const before = hashTree(target);
    expectRefused(() => mergeInto(built, target), path.join(target, "functions", "config.json"), "not valid JSON");
    expect(hashTree(target)).toEqual(before);
  });

  test("a functions/config.json that is not an array is refused", () => {
    writeTree(target, { "functions/config.json": "{}" });
    expectRefused(() => mergeInto(built, target), path.join(target, "functions", "config.json"), "JSON array");
  });

  test("a missing target directory is refused", () => {
    expectRefused(() => mergeInto(built, path.join(work, "nowhere")), path.join(work, "nowhere"), "does not exist", "appservices pull");
  });

  test("a directory that is not an app is refused", () => {
    fs.rmSync(path.join(target, "root_config.json"));
    fs.rmSync(path.join(target, "data_sources"), { recursive: true });
    expectRefused(() => mergeInto(built, target), "root_config.json", "data_sources/mongodb-atlas", "appservices pull", "Flowerbase");
  });

  test("a Flowerbase app, which has no root_config.json but its data source folder, is an app", () => {
    fs.rmSync(path.join(target, "root_config.json"));
    const report = mergeInto(built, target);
    expect(report.added).toContain("functions/deleteCurrentUser.js");
    expect(fs.existsSync(path.join(target, "flowerbase.env"))).toBe(true);
    expect(fs.existsSync(path.join(target, "root_config.json"))).toBe(false);
  });

  test("a missing build is refused with the fix", () => {
    expectRefused(() => mergeInto(path.join(work, "missing"), target), "npm run build");
  });

  test("a malformed manifest is named in the error", () => {
    writeTree(target, { [MANIFEST_FILE]: "{ not json" });
    expectRefused(() => mergeInto(built, target), path.join(target, MANIFEST_FILE), "--force");
  });

  test("a manifest name that escapes the directory is refused, and nothing outside is deleted", () => {
    writeTree(work, { "victim.js": "keep me" });
    writeTree(target, { [MANIFEST_FILE]: { functions: ["../../victim"], values: [], triggers: [] } });
    expectRefused(() => mergeInto(built, target), '"../../victim"', "not a safe file name");
    expect(fs.readFileSync(path.join(work, "victim.js"), "utf8")).toBe("keep me");
  });

  test("a built function name that escapes the directory is refused", () => {
    writeTree(built, {
      "functions/config.json": [{ name: "../escape", private: true }],
      "escape.js": "exports = function () {};",
    });
    expectRefused(() => mergeInto(built, target), '"../escape"', "not a safe file name");
    expect(fs.existsSync(path.join(target, "..", "escape.js"))).toBe(false);
  });
});

/** Every file under `dir`, with its bytes, not following links (hashTree reads through them). */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (relative: string): void => {
    for (const entry of fs.readdirSync(path.join(dir, relative), { withFileTypes: true })) {
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      const full = path.join(dir, child);
      if (entry.isSymbolicLink()) files[child] = `link -> ${fs.readlinkSync(full)}`;
      else if (entry.isDirectory()) walk(child);
      else files[child] = fs.readFileSync(full, "utf8");
    }
  };
  walk("");
  return files;
}

describe("mergeInto: symbolic links", () => {
  let outside: string;

  beforeEach(() => {
    outside = path.join(work, "outside");
    writeTree(outside, { "values/keep.json": `{"name":"keep","value":1}`, "functions/keep.js": "keep", "triggers/keep.json": "{}", "secret.json": "outside file" });
  });

  function expectNothingChanged(action: () => unknown, ...fragments: string[]): void {
    const before = { target: snapshot(target), outside: snapshot(outside) };
    expectRefused(action, ...fragments);
    expect({ target: snapshot(target), outside: snapshot(outside) }).toEqual(before);
  }

  test.each(["values", "functions", "triggers"])("a symlinked %s/ folder is refused, naming it, and nothing is written on either side", (folder) => {
    fs.rmSync(path.join(target, folder), { recursive: true, force: true });
    fs.symlinkSync(path.join(outside, folder), path.join(target, folder));
    for (const force of [false, true]) {
      expectNothingChanged(() => mergeInto(built, target, { force }), path.join(fs.realpathSync(target), folder), "symbolic link", "Nothing was written");
    }
  });

  test("a symlinked functions/config.json or manifest is refused", () => {
    fs.renameSync(path.join(target, "functions/config.json"), path.join(outside, "config.json"));
    fs.symlinkSync(path.join(outside, "config.json"), path.join(target, "functions/config.json"));
    expectNothingChanged(() => mergeInto(built, target), "functions/config.json", "symbolic link");

    fs.rmSync(path.join(target, "functions/config.json"));
    fs.symlinkSync(path.join(outside, "secret.json"), path.join(target, MANIFEST_FILE));
    expectNothingChanged(() => mergeInto(built, target, { force: true }), MANIFEST_FILE, "symbolic link");
  });

  test("a symlinked value file with the bundle's name is a collision, and with --force still refused", () => {
    fs.symlinkSync(path.join(outside, "secret.json"), path.join(target, "values/adminApiPublicKey.json"));
    expectNothingChanged(() => mergeInto(built, target), 'value "adminApiPublicKey" (values/adminApiPublicKey.json, a symbolic link)', "--force");
    expectNothingChanged(() => mergeInto(built, target, { force: true }), path.join(fs.realpathSync(target), "values/adminApiPublicKey.json"), "symbolic link");
  });

  test("a symlinked function file with the bundle's name is a collision, even when the link is dangling", () => {
    fs.symlinkSync(path.join(outside, "nowhere.js"), path.join(target, "functions/deleteCurrentUser.js"));
    expectNothingChanged(() => mergeInto(built, target), 'function "deleteCurrentUser" (functions/deleteCurrentUser.js, a symbolic link)');
    expect(fs.existsSync(path.join(outside, "nowhere.js"))).toBe(false);
  });

  test("a link elsewhere in the app (not on the bundle's paths) is left alone", () => {
    fs.symlinkSync(path.join(outside, "secret.json"), path.join(target, "auth", "linked.json"));
    mergeInto(built, target);
    expect(fs.readlinkSync(path.join(target, "auth", "linked.json"))).toBe(path.join(outside, "secret.json"));
  });

  test("the app directory itself may be a link: it is the directory the user named", () => {
    const link = path.join(work, "app-link");
    fs.symlinkSync(target, link);
    mergeInto(built, link);
    expect(fs.existsSync(path.join(target, "functions/deleteCurrentUser.js"))).toBe(true);
  });
});

describe("mergeInto: the manifest's content hashes", () => {
  /** The manifest as written, with its lists replaced. */
  function editManifest(edit: (manifest: Record<string, any>) => void): void {
    const file = path.join(target, MANIFEST_FILE);
    const manifest = readJson(file) as Record<string, any>;
    edit(manifest);
    fs.writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
  }

  test("a hand-edited manifest cannot make it delete the user's own function, value or trigger", () => {
    mergeInto(built, target);
    editManifest((m) => {
      m.functions.push("legacyReport");
      m.values.push("supportEmail");
      m.triggers.push("nightlyReport");
    });
    const theirs = ["functions/legacyReport.js", "values/supportEmail.json", "triggers/nightlyReport.json"];
    const before = Object.fromEntries(theirs.map((f) => [f, fs.readFileSync(path.join(target, f), "utf8")]));

    const report = mergeInto(built, target);

    for (const file of theirs) expect(fs.readFileSync(path.join(target, file), "utf8")).toBe(before[file]);
    expect(report.removed).toEqual([]);
    expect(report.kept.map((k) => k.entry).sort()).toEqual(['function "legacyReport"', 'trigger "nightlyReport"', 'value "supportEmail"']);
    expect(report.kept.find((k) => k.entry === 'value "supportEmail"')?.reason).toContain("values/supportEmail.json: it changed since the bundle wrote it");
    expect((readJson(path.join(target, "functions/config.json")) as Array<{ name: string }>).map((e) => e.name)).toContain("legacyReport");
    // No longer claimed: the manifest lists the bundle's own names only.
    expect(readJson(path.join(target, MANIFEST_FILE))).toMatchObject({ functions: ["deleteCurrentUser", "purgePendingUsers"], values: ["adminApiPrivateKey", "adminApiPublicKey"] });
  });

  test("a hand-edited manifest cannot make it overwrite the user's function of the bundle's name", () => {
    writeTree(target, {
      "functions/config.json": `${JSON.stringify([...(JSON.parse(PULLED_CONFIG) as unknown[]), { name: "deleteCurrentUser", private: true }], null, 4)}\n`,
      "functions/deleteCurrentUser.js": "exports = function () { return 'theirs'; };",
      [MANIFEST_FILE]: { manifestVersion: 2, functions: ["deleteCurrentUser"], values: [], triggers: [], files: {} },
    });
    const before = hashTree(target);
    expectRefused(
      () => mergeInto(built, target),
      `function "deleteCurrentUser", listed in ${MANIFEST_FILE} but functions/deleteCurrentUser.js: `,
      "functions/config.json#deleteCurrentUser",
      "--force",
    );
    expect(hashTree(target)).toEqual(before);
  });

  test("an entry the user changed after the bundle wrote it is kept when the bundle drops it, saying why", () => {
    mergeInto(built, target);
    fs.appendFileSync(path.join(target, "functions/purgePendingUsers.js"), "// my change\n");
    fs.rmSync(built, { recursive: true });
    writeTree(built, builtApp([OUR_FUNCTIONS[0]!], false));

    const report = mergeInto(built, target);

    expect(fs.readFileSync(path.join(target, "functions/purgePendingUsers.js"), "utf8")).toContain("// my change");
    expect((readJson(path.join(target, "functions/config.json")) as Array<{ name: string }>).map((e) => e.name)).toContain("purgePendingUsers");
    expect(report.kept).toEqual([{ entry: 'function "purgePendingUsers"', reason: expect.stringContaining("functions/purgePendingUsers.js: it changed since the bundle wrote it") }]);
    // The unchanged trigger is the bundle's and goes.
    expect(report.removed).toEqual(["triggers/purgePendingUsersDaily.json"]);
  });

  test("reformatting a JSON file (as a pull may) keeps it the bundle's", () => {
    mergeInto(built, target);
    const file = path.join(target, "values/adminApiPublicKey.json");
    fs.writeFileSync(file, JSON.stringify(readJson(file), null, 4));
    fs.rmSync(built, { recursive: true });
    const smaller = builtApp();
    delete smaller["values/adminApiPublicKey.json"];
    writeTree(built, smaller);
    expect(mergeInto(built, target).removed).toEqual(["values/adminApiPublicKey.json"]);
  });

  test("an older manifest without hashes: nothing it lists is removed or replaced without --force, and it says so", () => {
    mergeInto(built, target);
    editManifest((m) => {
      m.manifestVersion = 1;
      delete m.files;
    });
    fs.rmSync(built, { recursive: true });
    writeTree(built, builtApp([OUR_FUNCTIONS[0]!], false));
    const before = hashTree(target);

    expectRefused(() => mergeInto(built, target), "records no content hash", "--force");
    expect(hashTree(target)).toEqual(before);

    const report = mergeInto(built, target, { force: true });
    expect(report.removed).toEqual([]);
    expect(report.kept.map((k) => k.entry)).toEqual(['function "purgePendingUsers"', 'trigger "purgePendingUsersDaily"']);
    expect(report.kept[0]!.reason).toContain("written by an older version");
    expect(fs.existsSync(path.join(target, "functions/purgePendingUsers.js"))).toBe(true);
    // Once taken over, the new manifest has hashes and plain runs go through.
    expect(mergeInto(built, target).unchanged).toContain("functions/deleteCurrentUser.js");
  });
});

describe("mergeInto: triggers in either form", () => {
  const FORMS = {
    "event_processors.FUNCTION.config.function_name": { name: "mine", type: "SCHEDULED", config: { schedule: "0 * * * *" }, event_processors: { FUNCTION: { config: { function_name: "purgePendingUsers" } } } },
    "top-level function_name": { name: "mine", type: "SCHEDULED", config: { schedule: "0 * * * *" }, function_name: "purgePendingUsers" },
  };

  test.each(Object.keys(FORMS))("a trigger of the user's calling a function the bundle drops (%s) stops the install", (form) => {
    mergeInto(built, target);
    writeTree(target, { "triggers/mine.json": FORMS[form as keyof typeof FORMS] });
    fs.rmSync(built, { recursive: true });
    writeTree(built, builtApp([OUR_FUNCTIONS[0]!], false));
    const before = hashTree(target);

    expectRefused(() => mergeInto(built, target), 'triggers/mine.json calls "purgePendingUsers"', "Nothing was written");
    expect(hashTree(target)).toEqual(before);
  });

  test("a trigger whose two forms name different functions stops the install when either is dropped, as the emulator refuses it", () => {
    mergeInto(built, target);
    const both = { name: "mine", type: "SCHEDULED", config: { schedule: "0 * * * *" }, event_processors: { FUNCTION: { config: { function_name: "onSignup" } } }, function_name: "purgePendingUsers" };
    writeTree(target, { "triggers/mine.json": both });
    fs.rmSync(built, { recursive: true });
    writeTree(built, builtApp([OUR_FUNCTIONS[0]!], false));
    const before = hashTree(target);

    expectRefused(() => mergeInto(built, target), 'triggers/mine.json calls "purgePendingUsers"', "Nothing was written");
    expect(hashTree(target)).toEqual(before);
  });

  test("the bundle's own trigger in the platform's export form is recognised by name and replaced", () => {
    mergeInto(built, target);
    const file = path.join(target, "triggers/purgePendingUsersDaily.json");
    const exported = { name: "purgePendingUsersDaily", type: "SCHEDULED", config: { schedule: "0 3 * * *" }, event_processors: { FUNCTION: { config: { function_name: "purgePendingUsers" } } }, disabled: false };
    writeTree(built, { "triggers/purgePendingUsersDaily.json": exported });
    expect(mergeInto(built, target).updated).toContain("triggers/purgePendingUsersDaily.json");
    expect(readJson(file)).toEqual(exported);
  });
});
