/** find() and aggregate() cursors: modifiers collected synchronously, the query run on the first read. */
import { messageOf } from "../../lib/errors";
import { asSort, checkCount } from "./arguments";
import { serviceError } from "./errors";
import type { CursorModifiers } from "./query";
import type { MongoCursor, SortSpec } from "./types";
import { fromCaller, type Document } from "./wire";

export type CursorKind = "find" | "aggregate";

/** Collects modifiers synchronously; the query runs (with latency and faults) on the first next()/toArray(). */
export class Cursor implements MongoCursor {
  private readonly modifiers: CursorModifiers = { skip: 0, limit: 0 };
  private results: Promise<Document[]> | undefined;

  constructor(
    private readonly kind: CursorKind,
    private readonly namespace: string,
    private readonly fetch: (modifiers: CursorModifiers) => Promise<Document[]>,
  ) {}

  sort(spec: SortSpec): MongoCursor {
    this.modify("sort", () => {
      if (this.kind === "aggregate") throw new Error("aggregation cursors have no sort(); add a $sort stage");
      this.modifiers.sort = asSort(fromCaller(spec, "sort"), "the sort");
    });
    return this;
  }

  skip(n: number): MongoCursor {
    this.modify("skip", () => {
      const count = checkCount(n, "skip(n): n");
      if (count < 0) throw new Error("skip(n): n must not be negative");
      this.modifiers.skip = count;
    });
    return this;
  }

  limit(n: number): MongoCursor {
    this.modify("limit", () => {
      if (this.kind === "aggregate") throw new Error("aggregation cursors have no limit(); add a $limit stage");
      this.modifiers.limit = Math.abs(checkCount(n, "limit(n): n"));
    });
    return this;
  }

  next(): Promise<Document | undefined> {
    return this.load().then((buffer) => buffer.shift());
  }

  toArray(): Promise<Document[]> {
    return this.load().then((buffer) => buffer.splice(0));
  }

  private load(): Promise<Document[]> {
    this.results ??= this.fetch({ ...this.modifiers });
    return this.results;
  }

  private modify(name: string, apply: () => void): void {
    try {
      if (this.results) throw new Error("cannot be called after the cursor has started returning documents");
      apply();
    } catch (error) {
      throw serviceError(`${this.kind}().${name}`, this.namespace, messageOf(error));
    }
  }
}
