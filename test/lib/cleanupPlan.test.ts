import { parseCleanupPlan } from "../../lib/cleanupPlan";

const rule = (extra: Record<string, unknown> = {}) => ({ database: "app", collection: "posts", ownerField: "owner_id", action: "delete", ...extra });

describe("parseCleanupPlan", () => {
  it("treats an absent or empty plan as no cleanup", () => {
    expect(parseCleanupPlan(undefined)).toEqual({ rules: [], problems: [] });
    expect(parseCleanupPlan(null)).toEqual({ rules: [], problems: [] });
    expect(parseCleanupPlan([])).toEqual({ rules: [], problems: [] });
  });

  it("names every character a database or collection name may not hold", () => {
    for (const collection of ["a$b", "a/b", "a\\b", 'a"b', "a b"]) {
      expect(parseCleanupPlan([rule({ collection })]).problems.join(" ")).toMatch(/"collection" must be a non-empty string without "\$", "\/", "\\", a double quote or white space, that does not start with "system\."/);
    }
    expect(parseCleanupPlan([rule({ database: "a.b" })]).problems.join(" ")).toMatch(/"database" must be a non-empty string without "\$", "\/", "\\", a double quote or white space, or "\."/);
  });

  it("accepts delete and anonymize rules with dotted owner paths", () => {
    const { rules, problems } = parseCleanupPlan([
      rule({ ownerField: "meta.owner" }),
      { database: "app", collection: "messages", ownerField: "sender", action: "anonymize", set: { senderName: "Deleted user" }, unset: ["email"] },
      { database: "app", collection: "profiles", ownerField: "_id", action: "delete" },
    ]);
    expect(problems).toEqual([]);
    expect(rules).toEqual([
      { database: "app", collection: "posts", ownerField: "meta.owner", action: "delete" },
      { database: "app", collection: "messages", ownerField: "sender", action: "anonymize", set: { senderName: "Deleted user" }, unset: ["email"] },
      { database: "app", collection: "profiles", ownerField: "_id", action: "delete" },
    ]);
  });

  it.each([
    ["a plan that is not an array", { database: "x" }, /must be a JSON array/],
    ["a rule that is not an object", ["posts"], /userDataCleanup\[0\]: must be an object/],
    ["a missing database", [rule({ database: "" })], /userDataCleanup\[0\]: "database"/],
    ["a database with a dot", [rule({ database: "a.b" })], /"database"/],
    ["a system collection", [rule({ collection: "system.users" })], /"collection"/],
    ["a missing owner field", [rule({ ownerField: undefined })], /ownerField must be a non-empty field path/],
    ["an owner field with an empty segment", [rule({ ownerField: "a..b" })], /not a plain field path/],
    ["an operator as owner field", [rule({ ownerField: "$where" })], /not a plain field path/],
    ["an unknown action", [rule({ action: "remove" })], /"action" must be "delete" or "anonymize", got "remove"/],
    ["a misspelled key", [rule({ owner_field: "x" })], /unknown key "owner_field"/],
    ["set on a delete rule", [rule({ set: { a: 1 } })], /unknown key "set" for action "delete"/],
    ["an anonymize rule with nothing to change", [rule({ action: "anonymize" })], /needs "set" or "unset"/],
    ["an anonymize rule with unset not a list", [rule({ action: "anonymize", unset: "email" })], /"unset" must be an array/],
    ["overlapping fields", [rule({ action: "anonymize", unset: ["profile", "profile.name"] })], /overlap/],
    ["the owner field in unset", [rule({ action: "anonymize", unset: ["owner_id"] })], /owner field: it is removed anyway/],
    ["anonymize keyed by _id", [rule({ action: "anonymize", ownerField: "_id", unset: ["a"] })], /cannot use "_id"/],
    ["_id in set", [rule({ action: "anonymize", set: { _id: 1 } })], /cannot be "_id"/],
    ["two rules for the same collection and field", [rule(), rule()], /two rules cover app\.posts by owner_id/],
  ])("rejects %s, naming the rule", (_, plan, message) => {
    const { problems } = parseCleanupPlan(plan);
    expect(problems.join("\n")).toMatch(message);
  });

  it("reports every bad rule, not only the first", () => {
    const { problems } = parseCleanupPlan([rule({ action: "x" }), rule({ collection: "ok" }), rule({ collection: "c", database: "" })]);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^userDataCleanup\[0\]/);
    expect(problems[1]).toMatch(/^userDataCleanup\[2\]/);
  });
});
