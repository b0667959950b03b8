/**
 * Plan validation refuses field paths that are not plain (issue 10, item 3): an owner field, a
 * `set` key or an `unset` entry with a `__proto__`, `constructor` or `prototype` segment, a segment
 * starting with "$", or an empty segment. Each refusal names the rule by index and collection.
 */
import { parseCleanupPlan } from "../../lib/cleanupPlan";
import { readConfig } from "../../lib/config";
import { TEST_APP, configErrorMessage } from "../helpers/configErrors";

const deleteRule = (ownerField: string) => ({ database: "app", collection: "posts", ownerField, action: "delete" });
const anonymizeRule = (extra: Record<string, unknown>) => ({ database: "app", collection: "messages", ownerField: "sender.id", action: "anonymize", ...extra });

/** A plan whose third rule is the one under test, so the message must name index 2. */
const planWith = (rule: unknown) => [deleteRule("owner_id"), deleteRule("author.id"), rule];

const NOT_PLAIN = [
  ["__proto__", "a __proto__ segment"],
  ["meta.__proto__", "a nested __proto__ segment"],
  ["constructor", "a constructor segment"],
  ["owner.constructor.id", "a nested constructor segment"],
  ["prototype", "a prototype segment"],
  ["a.prototype", "a nested prototype segment"],
  ["$where", "a $ prefix"],
  ["meta.$owner", "a nested $ prefix"],
  ["a..b", "an empty segment"],
  [".owner", "a leading empty segment"],
  ["owner.", "a trailing empty segment"],
] as const;

describe("field paths that are not plain are refused, naming the rule", () => {
  it.each(NOT_PLAIN)("ownerField %j (%s)", (path) => {
    const { rules, problems } = parseCleanupPlan(planWith(deleteRule(path)));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`userDataCleanup[2]: (app.posts) ownerField ${JSON.stringify(path)} is not a plain field path`);
    expect(rules).toHaveLength(2);
  });

  it.each(NOT_PLAIN)("a set key %j (%s)", (path) => {
    // JSON.parse, as values arrive: it makes "__proto__" an own key instead of setting the prototype.
    const set = JSON.parse(`{${JSON.stringify(path)}: "x"}`);
    const { problems } = parseCleanupPlan(planWith(anonymizeRule({ set })));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`userDataCleanup[2]: (app.messages) field ${JSON.stringify(path)} is not a plain field path`);
  });

  it.each(NOT_PLAIN)("an unset entry %j (%s)", (path) => {
    const { problems } = parseCleanupPlan(planWith(anonymizeRule({ unset: [path] })));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`userDataCleanup[2]: (app.messages) field ${JSON.stringify(path)} is not a plain field path`);
  });

  it("says which segment is refused and why", () => {
    const { problems } = parseCleanupPlan([deleteRule("meta.constructor")]);
    expect(problems[0]).toMatch(/the segment "constructor" is refused \(__proto__, constructor, prototype name JavaScript object internals, not stored fields\); rename the field/);
  });

  it("accepts plain paths that merely contain the reserved words", () => {
    const { problems } = parseCleanupPlan([
      deleteRule("proto.owner"),
      deleteRule("constructorId"),
      { database: "app", collection: "m", ownerField: "prototypes.owner", action: "anonymize", set: { "x.__proto": 1 }, unset: ["my_constructor"] },
    ]);
    expect(problems).toEqual([]);
  });

  it("a placeholder for the owner field is looked up as an own key only", () => {
    // "constructor" is refused anyway; an inherited name must never count as "set gives the owner field a placeholder".
    const { problems } = parseCleanupPlan([{ database: "app", collection: "m", ownerField: "owner", action: "anonymize", set: { name: "x" }, unset: ["owner"] }]);
    expect(problems.join(" ")).toMatch(/is the owner field: it is removed anyway/);
  });

  it("the configuration error a function throws names the rule and touches nothing", () => {
    const values = new Map<string, unknown>([
      ["adminApiPublicKey", "public"],
      ["adminApiPrivateKey", "private"],
      ["userDataCleanup", planWith(deleteRule("__proto__"))],
    ]);
    const message = configErrorMessage(() => readConfig({ get: (name) => values.get(name) }, TEST_APP));
    expect(message).toContain('userDataCleanup[2]: (app.posts) ownerField "__proto__" is not a plain field path');
  });
});
