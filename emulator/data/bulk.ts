/** bulkWrite's operations: parsed in full before any applies, then applied to one working copy. */
import { asBoolean, asFilter, asNewDocument, asReplacement } from "./arguments";
import { allMatches, firstMatch } from "./query";
import { insertInto } from "./store";
import { applyDelete, applyReplace, applyUpdate, targetOf, updateArgsOf, type ReplaceArgs, type UpdateArgs } from "./writes";
import { isPlainObject, type Document } from "./wire";


export type BulkOperation =
  | { kind: "insertOne"; document: Document }
  | { kind: "updateOne" | "updateMany"; args: UpdateArgs }
  | { kind: "replaceOne"; args: ReplaceArgs }
  | { kind: "deleteOne" | "deleteMany"; filter: Document };

const BULK_KINDS = ["insertOne", "updateOne", "updateMany", "replaceOne", "deleteOne", "deleteMany"] as const;

function checkFields(body: Document, where: string, required: readonly string[], optional: readonly string[]): void {
  for (const key of required) if (!(key in body)) throw new Error(`${where} needs "${key}"`);
  const unknown = Object.keys(body).find((key) => !required.includes(key) && !optional.includes(key));
  if (unknown !== undefined) throw new Error(`${where}: field "${unknown}" is not supported`);
}

export function parseBulkOperation(raw: unknown, index: number): BulkOperation {
  const where = `operations[${index}]`;
  if (!isPlainObject(raw) || Object.keys(raw).length !== 1) {
    throw new Error(`${where} must be an object with exactly one key, one of ${BULK_KINDS.join(", ")}`);
  }
  const [kind, body] = Object.entries(raw)[0];
  if (!isPlainObject(body)) throw new Error(`${where}.${kind} must be an object`);
  const at = `${where}.${kind}`;
  switch (kind) {
    case "insertOne":
      checkFields(body, at, ["document"], []);
      return { kind, document: asNewDocument(body.document, `${at}.document`) };
    case "updateOne":
    case "updateMany":
      checkFields(body, at, ["filter", "update"], ["upsert", "arrayFilters"]);
      return { kind, args: updateArgsOf(asFilter(body.filter, `${at}.filter`), body.update, body, at) };
    case "replaceOne":
      checkFields(body, at, ["filter", "replacement"], ["upsert"]);
      return {
        kind,
        args: {
          filter: asFilter(body.filter, `${at}.filter`),
          replacement: asReplacement(body.replacement),
          upsert: asBoolean(body.upsert, `${at}.upsert`),
        },
      };
    case "deleteOne":
    case "deleteMany":
      checkFields(body, at, ["filter"], []);
      return { kind, filter: asFilter(body.filter, `${at}.filter`) };
    default:
      throw new Error(`${where}: unsupported operation "${kind}" (supported: ${BULK_KINDS.join(", ")})`);
  }
}

export function applyBulkOperation(working: Document[], namespace: string, op: BulkOperation): void {
  switch (op.kind) {
    case "insertOne":
      insertInto(working, [op.document], namespace);
      return;
    case "updateOne":
      applyUpdate(working, namespace, op.args, targetOf(firstMatch(working, op.args.filter, undefined)));
      return;
    case "updateMany":
      applyUpdate(working, namespace, op.args, allMatches(working, op.args.filter));
      return;
    case "replaceOne":
      applyReplace(working, namespace, op.args, firstMatch(working, op.args.filter, undefined));
      return;
    case "deleteOne":
      applyDelete(working, targetOf(firstMatch(working, op.filter, undefined)));
      return;
    case "deleteMany":
      applyDelete(working, allMatches(working, op.filter));
      return;
  }
}
