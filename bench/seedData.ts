/**
 * Users and documents for the benchmark and the load test: a cleanup plan of three rules over
 * three collections (two deletes, one anonymize; owner ids stored as strings and as ObjectIds,
 * at the top level and nested), and a few documents per user in each.
 */
import { randomBytes } from "node:crypto";
import { EJSON, ObjectId } from "bson";
import type { Emulator } from "../emulator/server";
import type { DocumentStore } from "../emulator/data/store";
import { mapPool } from "./stats";

export const BENCH_DATABASE = "bench";

export interface PlanRule {
  database: string;
  collection: string;
  ownerField: string;
  action: "delete" | "anonymize";
  set?: Record<string, unknown>;
  unset?: string[];
}

/** The value userDataCleanup the benchmark and the load test run with. */
export function benchCleanupPlan(): PlanRule[] {
  return [
    { database: BENCH_DATABASE, collection: "posts", ownerField: "owner_id", action: "delete" },
    { database: BENCH_DATABASE, collection: "profiles", ownerField: "user", action: "delete" },
    {
      database: BENCH_DATABASE,
      collection: "messages",
      ownerField: "sender.id",
      action: "anonymize",
      set: { "sender.name": "Deleted user" },
      unset: ["sender.email"],
    },
  ];
}

/** Inserts `perCollection` documents owned by `userId` into each collection of the plan. */
export function seedUserDocuments(store: DocumentStore, userId: string, perCollection: number): void {
  const tag = userId.slice(-6);
  const docs = (make: (i: number) => Record<string, unknown>) => Array.from({ length: perCollection }, (_, i) => make(i));
  store.insertMany(BENCH_DATABASE, "posts", docs((i) => ({ owner_id: userId, title: `post ${i} of ${tag}`, body: "lorem ipsum dolor sit amet", likes: i })));
  // Owner stored as an ObjectId: the cleanup matches both forms.
  store.insertMany(BENCH_DATABASE, "profiles", docs((i) => ({ user: new ObjectId(userId), kind: i === 0 ? "main" : `extra ${i}`, bio: `bio of ${tag}` })));
  store.insertMany(
    BENCH_DATABASE,
    "messages",
    docs((i) => ({ thread: `thread-${i % 3}`, sender: { id: userId, name: `User ${tag}`, email: `${tag}@example.com` }, text: `message ${i}` })),
  );
}

/** A password for this run's users, random so a log line holding it cannot be a coincidence. */
export function randomPassword(): string {
  return `pw-${randomBytes(12).toString("hex")}`;
}

export interface SeededUser {
  id: string;
  email: string;
}

/** Creates confirmed email/password users directly in the emulator's state (scrypt runs on the thread pool). */
export async function createUsers(emulator: Emulator, count: number, prefix: string, password: string): Promise<SeededUser[]> {
  const run = randomBytes(3).toString("hex");
  return mapPool(Array.from({ length: count }, (_, i) => i), 8, async (i) => {
    const email = `${prefix}-${run}-${i}@example.com`;
    const user = await emulator.state.createEmailPasswordUser(email, password);
    return { id: user.id, email };
  });
}

/** The value at a dotted path. */
export function valueAt(doc: Record<string, unknown>, path: string): unknown {
  let value: unknown = doc;
  for (const part of path.split(".")) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** An owner id as a hex string, whether stored as a string or as an ObjectId. */
export function ownerIdOf(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (value instanceof ObjectId) return value.toHexString();
  const hex = (value as { toHexString?: () => string } | null | undefined)?.toHexString;
  return typeof hex === "function" ? hex.call(value) : undefined;
}

/** Canonical EJSON text of a document: equal texts mean equal documents, types included. */
export function canonical(doc: Record<string, unknown>): string {
  return EJSON.stringify(doc, { relaxed: false });
}
