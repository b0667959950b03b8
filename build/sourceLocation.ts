/**
 * Where a compatibility violation was written: the TypeScript file, line and column, mapped
 * through esbuild's source map with @jridgewell/trace-mapping. A report never names a line of a
 * built file, which the user cannot open (and which the build does not write when it fails).
 *
 * The map stays in memory: the deployed files carry no map and no sourceMappingURL, because
 * App Services shows each function's source in its UI and the map would only bloat it.
 */
import { originalPositionFor, TraceMap, type SourceMapInput } from "@jridgewell/trace-mapping";
import { relative, sep } from "node:path";
import type { CompatViolation } from "./compat";

/** A violation at a place the user can open. */
export interface LocatedViolation {
  /** `functions/hello.ts:4:3`, or the function's file and why esbuild generated the code. */
  at: string;
  rule: string;
  message: string;
}

/**
 * esbuild's runtime helpers that reach what the runtime lacks, and the source construct that
 * makes esbuild emit them when it lowers to ES2017. A helper has no source position of its own.
 */
const ESBUILD_HELPER_REASONS: Record<string, string> = {
  __privateAdd: "#private methods and accessors lower to a WeakSet",
  __reflectGet: "`super` in a static field or static block lowers to Reflect.get",
  __reflectSet: "`super` assignments in a static field or static block lower to Reflect.set",
};
const ESBUILD_GENERIC_REASON = "while lowering the source to ES2017";

/** Positions in one esbuild output, mapped back to the project's sources. */
export class BundleSourceMap {
  private readonly map: TraceMap;

  /**
   * @param map esbuild's source map for the output
   * @param mapFile where esbuild would have written the map (its `sources` are relative to it)
   * @param projectDir paths are reported relative to it
   * @param entryLabel the function's source (`functions/hello.ts`), for code with no source position
   */
  constructor(
    map: SourceMapInput,
    mapFile: string,
    private readonly projectDir: string,
    private readonly entryLabel: string,
  ) {
    this.map = new TraceMap(map, mapFile);
  }

  locate(violation: CompatViolation): LocatedViolation {
    // trace-mapping's columns are 0-based, the violation's 1-based.
    const original = originalPositionFor(this.map, { line: violation.line, column: violation.column - 1 });
    const at =
      original.source === null
        ? `${this.entryLabel} (code esbuild generated for it ${generatedReason(violation.declaredIn)})`
        : `${this.label(original.source)}:${original.line}:${original.column + 1}`;
    return { at, rule: violation.rule, message: violation.message };
  }

  private label(source: string): string {
    const path = source.startsWith("file://") ? new URL(source).pathname : source;
    return relative(this.projectDir, path).split(sep).join("/");
  }
}

function generatedReason(helper: string | undefined): string {
  const reason = helper === undefined ? undefined : ESBUILD_HELPER_REASONS[helper];
  return reason ? `in ${helper}: ${reason}` : ESBUILD_GENERIC_REASON;
}

/** For a hand-written file with no map: the file itself is what the user opens. */
export function locateInFile(file: string): (violation: CompatViolation) => LocatedViolation {
  return (v) => ({ at: `${file}:${v.line}:${v.column}`, rule: v.rule, message: v.message });
}

/**
 * `functions/hello.ts:4:3 no-number-static: ...`, one line per distinct violation; a violation
 * in shared code reached from several functions is listed once, naming them.
 */
export function formatViolations(found: Array<{ functionName: string; violations: LocatedViolation[] }>): string {
  const byLine = new Map<string, Set<string>>();
  for (const { functionName, violations } of found) {
    for (const v of violations) {
      const line = `${v.at} ${v.rule}: ${v.message}`;
      if (!byLine.has(line)) byLine.set(line, new Set());
      byLine.get(line)?.add(functionName);
    }
  }
  const many = found.length > 1;
  return [...byLine.entries()]
    .sort(([a], [b]) => a.localeCompare(b, "en", { numeric: true }))
    .map(([line, functions]) => (many ? `${line} [in ${[...functions].join(", ")}]` : line))
    .join("\n");
}
