/**
 * The demo the CLI seeds into an empty emulator: two email/password users and a few documents
 * each owns in the `demo` database, plus (when the app has no cleanup plan of its own) a plan
 * covering those collections, so deleting an account visibly removes its data.
 */
import type { Emulator } from "./server";
import { appValueIsEmpty } from "./valueFallbacks";

export const DEMO_DATABASE = "demo";

/** Fixed demo passwords: the CLI prints them, and they keep working after a restart with --data. */
const DEMO_USERS: ReadonlyArray<{ email: string; password: string; name: string }> = [
  { email: "alice@example.com", password: "alice-demo-password", name: "Alice" },
  { email: "bob@example.com", password: "bob-demo-password", name: "Bob" },
];

/** A userDataCleanup plan (lib/cleanupPlan.ts format) for the demo collections. */
export function demoCleanupPlan(): Array<Record<string, unknown>> {
  return [
    { database: DEMO_DATABASE, collection: "notes", ownerField: "owner_id", action: "delete" },
    // Comments stay in the thread but lose their author: the owner field goes, the name is replaced.
    { database: DEMO_DATABASE, collection: "comments", ownerField: "author_id", action: "anonymize", set: { author_name: "deleted user" }, unset: [] },
  ];
}

/** True when the built app's `userDataCleanup` value holds at least one rule. */
export function appHasCleanupPlan(appDir: string): boolean {
  return !appValueIsEmpty(appDir, "userDataCleanup");
}

export interface DemoSeed {
  /** False when the emulator already had users or documents (a restart with --data). */
  seeded: boolean;
  users: Array<{ email: string; password: string; id?: string }>;
}

/** Seeds the demo when the emulator holds no users, pending users or documents. */
export async function seedDemo(emulator: Emulator): Promise<DemoSeed> {
  const { state, store, flowerbase } = emulator;
  if (!state.isEmpty() || store.namespaces().length > 0) {
    const idOf = async (email: string) => (flowerbase ? (await flowerbase.findByEmail(email))?._id.toHexString() : state.findUserByEmail(email)?.id);
    const users = [];
    for (const { email, password } of DEMO_USERS) users.push({ email, password, id: await idOf(email) });
    return { seeded: false, users };
  }
  const users = [];
  for (const demo of DEMO_USERS) {
    // The flowerbase profile keeps users as documents in main.auth_users, as Flowerbase does.
    const id = flowerbase ? await flowerbase.createUser(demo.email, demo.password) : (await state.createEmailPasswordUser(demo.email, demo.password)).id;
    users.push({ ...demo, id });
  }
  const [alice, bob] = users;
  const day = 24 * 60 * 60 * 1000;
  const now = state.clock.now();
  store.insertMany(DEMO_DATABASE, "notes", [
    { owner_id: alice.id, title: "Groceries", body: "oat milk, lentils, coffee", created_at: new Date(now - 3 * day) },
    { owner_id: alice.id, title: "Ideas", body: "a self-service account deletion page", created_at: new Date(now - day) },
    { owner_id: bob.id, title: "Reading list", body: "Designing Data-Intensive Applications", created_at: new Date(now - 2 * day) },
  ]);
  store.insertMany(DEMO_DATABASE, "comments", [
    { author_id: alice.id, author_name: alice.name, text: "Great list, Bob!", created_at: new Date(now - day) },
    { author_id: bob.id, author_name: bob.name, text: "Thanks, Alice.", created_at: new Date(now) },
  ]);
  return { seeded: true, users: users.map(({ email, password, id }) => ({ email, password, id })) };
}
