/**
 * Bridges a mingo 7 gap in updates with arrayFilters (../shared/docs/toolchain.md): mingo refuses two
 * paths under one filtered positional operator ($set "a.$[x].b" with $unset "a.$[x].c", or even two
 * paths in one $unset) as "would create a conflict", which MongoDB allows. MongoDB evaluates the
 * array filters once, on the document as it was before the update
 * (https://www.mongodb.com/docs/manual/reference/operator/update/positional-filtered/), so the same
 * result comes from resolving every "$[x]" and "$[]" to the concrete indexes they select in that
 * document and applying the update with plain index paths, which mingo handles.
 */
import { Query } from "mingo";

type Document = Record<string, unknown>;

/**
 * The update with its filtered positional paths resolved against `doc`, or undefined when there is
 * nothing to resolve or the shape is one this bridge leaves to mingo (a pipeline, a path that does
 * not lead to an array, an identifier without a filter): mingo then answers as before.
 */
export function resolveArrayFilters(doc: Document, update: unknown, arrayFilters: Document[] | undefined, options: object): Document | undefined {
  if (!arrayFilters || Array.isArray(update) || update === null || typeof update !== "object") return undefined;
  const filters = filtersByIdentifier(arrayFilters, options);
  if (!filters) return undefined;
  const resolved: Document = {};
  for (const [operator, fields] of Object.entries(update as Document)) {
    if (fields === null || typeof fields !== "object" || Array.isArray(fields)) return undefined;
    const paths: Document = {};
    for (const [path, value] of Object.entries(fields as Document)) {
      if (!path.includes("$[")) {
        paths[path] = value;
        continue;
      }
      const concrete = expand(path.split("."), doc, filters);
      if (!concrete) return undefined;
      for (const p of concrete) paths[p] = value;
    }
    if (Object.keys(paths).length > 0) resolved[operator] = paths;
  }
  return resolved;
}

type ElementTest = (element: unknown) => boolean;

/** Each array filter document names one identifier ("x" in { "x.id": ... }); undefined for a shape mingo should judge. */
function filtersByIdentifier(arrayFilters: Document[], options: object): Map<string, ElementTest> | undefined {
  const filters = new Map<string, ElementTest>();
  for (const filter of arrayFilters) {
    const names = new Set(Object.keys(filter).map((key) => key.split(".")[0]));
    if (names.size !== 1) return undefined;
    const [name] = [...names];
    if (name.startsWith("$") || filters.has(name)) return undefined;
    const query = new Query(filter, options);
    filters.set(name, (element) => query.test({ [name]: element }));
  }
  return filters;
}

/** The concrete paths one path with "$[x]" / "$[]" segments selects in `value`, or undefined when it cannot be resolved. */
function expand(segments: string[], value: unknown, filters: Map<string, ElementTest>): string[] | undefined {
  const at = segments.findIndex((segment) => segment.startsWith("$["));
  if (at < 0) return [segments.join(".")];
  if (at === 0) return undefined;
  let array: unknown = value;
  for (const segment of segments.slice(0, at)) {
    array = array !== null && typeof array === "object" ? (array as Document)[segment] : undefined;
  }
  if (!Array.isArray(array)) return undefined;
  const positional = segments[at];
  const name = positional.slice(2, -1);
  const test = name === "" ? () => true : filters.get(name);
  if (!test) return undefined;
  const head = segments.slice(0, at).join(".");
  const concrete: string[] = [];
  for (let index = 0; index < array.length; index++) {
    if (!test(array[index])) continue;
    const rest = expand(segments.slice(at + 1), array[index], filters);
    if (!rest) return undefined;
    for (const tail of rest) concrete.push(tail ? `${head}.${index}.${tail}` : `${head}.${index}`);
  }
  return concrete;
}
