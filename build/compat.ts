/**
 * Runtime compatibility check for a built function file: finds what the App Services function
 * runtime rejects (see shared/docs/app-services.md, "Function files", and the one table of the
 * runtime's documented rules, emulator/runtime/rules.ts) before it is deployed.
 *
 * It parses with acorn and walks the tree with scope tracking (build/compatWalk.ts), so words
 * inside strings, template text, comments and property names never count, and a local variable
 * that shadows a global (`var module = ...`, a local `Math`) is not mistaken for it. Positions
 * are those of the checked file; build/sourceLocation.ts maps them to the TypeScript sources.
 */
import * as acorn from "acorn";
import { RULES, Walker, type CompatViolation, type Finding } from "./compatWalk";

export { RULES, type CompatViolation } from "./compatWalk";

const PARSE_ES2017: acorn.Options = { ecmaVersion: 2017, sourceType: "script", locations: true };
/** Used only to classify what made the es2017 parse fail, so the report can be specific. */
const PARSE_LATEST_MODULE: acorn.Options = {
  ecmaVersion: "latest",
  sourceType: "module",
  locations: true,
  allowImportExportEverywhere: true,
  allowAwaitOutsideFunction: true,
};
const PARSE_LATEST_SCRIPT: acorn.Options = { ecmaVersion: "latest", sourceType: "script", locations: true };

/** Rules whose constructs cannot parse as an es2017 script: a parse error on one is not reported again as "syntax". */
const SYNTAX_CLASS_RULES = new Set<string>([
  RULES.importDeclaration,
  RULES.exportDeclaration,
  RULES.dynamicImport,
  RULES.bigintLiteral,
]);
const STATEMENT_RULES = new Set<string>([RULES.importDeclaration, RULES.exportDeclaration]);

/**
 * Everything in `source` (a built function file) that the App Services function runtime rejects,
 * sorted by position; an empty array means the file is clean.
 */
export function checkCompatibility(source: string): CompatViolation[] {
  let program: acorn.Program | undefined;
  let syntaxError: AcornSyntaxError | undefined;
  try {
    program = acorn.parse(source, PARSE_ES2017);
  } catch (error) {
    syntaxError = asAcornError(error);
    program = tryParse(source, PARSE_LATEST_MODULE) ?? tryParse(source, PARSE_LATEST_SCRIPT);
  }
  const found = program ? new Walker().run(program) : [];
  // With the newer parse, the findings explain some parse errors: look past them for the rest.
  if (syntaxError && program) syntaxError = firstUnexplainedError(source, found);
  if (syntaxError) found.push(syntaxViolation(source, syntaxError));
  return sortAndDedupe(found.map(({ violation }) => violation));
}

// ---------------------------------------------------------------------------------------------
// Parsing helpers

/** acorn throws a SyntaxError with its position attached; its typings do not say so. */
type AcornSyntaxError = SyntaxError & { pos: number; loc: acorn.Position };

function asAcornError(error: unknown): AcornSyntaxError {
  if (error instanceof SyntaxError && "loc" in error && "pos" in error) return error as AcornSyntaxError;
  throw error;
}

function tryParse(source: string, options: acorn.Options): acorn.Program | undefined {
  try {
    return acorn.parse(source, options);
  } catch {
    return undefined;
  }
}

/**
 * Re-parses as es2017, masking each construct already reported under its own rule (import,
 * export, import(), bigint literal) when the parse stops on it, until the parse succeeds or stops
 * on something else: that is syntax beyond the target that no specific rule names.
 * Masking keeps every offset and line break, so positions stay those of the original source.
 */
function firstUnexplainedError(source: string, found: Finding[]): AcornSyntaxError | undefined {
  const masked = new Set<Finding>();
  let text = source;
  for (;;) {
    try {
      acorn.parse(text, PARSE_ES2017);
      return undefined;
    } catch (error) {
      const parseError = asAcornError(error);
      const culprit = found.find(
        (f) =>
          SYNTAX_CLASS_RULES.has(f.violation.rule) &&
          !masked.has(f) &&
          parseError.pos >= f.start &&
          parseError.pos <= f.end,
      );
      if (!culprit) return parseError;
      masked.add(culprit);
      text = mask(text, culprit);
    }
  }
}

/** Replaces a statement by `;` or an expression by `0`, padded with spaces, keeping line breaks. */
function mask(text: string, finding: Finding): string {
  const statement = STATEMENT_RULES.has(finding.violation.rule);
  const blank = text.slice(finding.start, finding.end).replace(/[^\r\n]/g, " ");
  const replacement = (statement ? ";" : "0") + blank.slice(1);
  return text.slice(0, finding.start) + replacement + text.slice(finding.end);
}

function syntaxViolation(source: string, error: AcornSyntaxError): Finding {
  // acorn appends "(line:column)" to its message; the violation carries the position itself.
  const reason = error.message.replace(/\s*\(\d+:\d+\)$/, "");
  const near = source.slice(error.pos).split(/\r?\n/)[0]?.slice(0, 20) ?? "";
  const detail = near ? `${reason} at "${near}"` : reason;
  return {
    start: error.pos,
    end: error.pos,
    violation: {
      rule: RULES.syntax,
      line: error.loc.line,
      column: error.loc.column + 1,
      message: `syntax beyond ES2017 (${detail}): the App Services function runtime may reject it; lower it with the build's es2017 target or rewrite it`,
    },
  };
}

function sortAndDedupe(violations: CompatViolation[]): CompatViolation[] {
  const seen = new Set<string>();
  return [...violations]
    .sort((a, b) => a.line - b.line || a.column - b.column || a.rule.localeCompare(b.rule))
    .filter((v) => {
      const key = `${v.line}:${v.column}:${v.rule}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}

