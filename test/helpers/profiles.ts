/**
 * The built app in either emulator profile, with the same questions asked of both: who exists,
 * who is disabled or pending, and whether a user's sessions still work, checked over real HTTP
 * with the tokens a real login gave. Flowerbase's user documents are read where Flowerbase keeps
 * them (emulator/flowerbase/documents.ts names the source of each shape).
 */
import { EJSON } from "bson";
import type { Emulator, EmulatorOptions } from "../../emulator/server";
import { SYSTEM_USER, type Platform, type RuntimeUser } from "../../emulator/runtime/types";
import { startBuiltApp } from "./builtApp";
import { flowerbaseAppWithBundle } from "./flowerbaseApp";
import { CLIENT, call, callFunction, clientLogin, passwordLogin } from "./emulator";

export const PLATFORMS: Platform[] = ["appservices", "flowerbase"];

/** What a Flowerbase trigger's function gets as context.user (features/functions/controller.ts:440). */
export const FLOWERBASE_TRIGGER_USER = {} as RuntimeUser;
/** context.user for a trigger's or scheduled run's call on this profile. */
export const triggerUserOf = (h: ProfileHarness): RuntimeUser => (h.platform === "flowerbase" ? FLOWERBASE_TRIGGER_USER : SYSTEM_USER);

export interface Tokens {
  access: string;
  refresh: string;
  userId: string;
}

export interface ProfileHarness {
  platform: Platform;
  emulator: Emulator;
  lines: string[];
  /** A confirmed email/password user; returns its id. */
  createUser(email: string, password?: string): Promise<string>;
  /** A pending (unconfirmed) email/password registration. */
  registerPending(email: string, password?: string): Promise<void>;
  userExists(userId: string): Promise<boolean>;
  isDisabled(userId: string): Promise<boolean>;
  pendingExists(email: string): Promise<boolean>;
  close(): Promise<void>;
}

export const PASSWORD = "password-123";

export async function startProfile(platform: Platform, options: Partial<EmulatorOptions> = {}): Promise<ProfileHarness> {
  // On Flowerbase: the bundle installed with --into into an app shaped as Flowerbase apps are.
  const appDir = platform === "flowerbase" ? await flowerbaseAppWithBundle() : undefined;
  const { emulator, lines } = await startBuiltApp({ platform, requireEmailConfirmation: true, ...(appDir ? { appDir } : {}), ...options });
  const base = { platform, emulator, lines, close: () => emulator.close() };
  const fb = emulator.flowerbase;
  if (!fb) {
    const { state } = emulator;
    return {
      ...base,
      createUser: async (email, password = PASSWORD) => (await state.createEmailPasswordUser(email, password)).id,
      registerPending: async (email, password = PASSWORD) => void (await state.register(email, password, true)),
      userExists: async (id) => state.getUser(id) !== undefined,
      isDisabled: async (id) => state.getUser(id)?.disabled === true,
      pendingExists: async (email) => state.listPending({ limit: 10000 }).some((p) => p.email === email),
    };
  }
  return {
    ...base,
    createUser: (email, password = PASSWORD) => fb.createUser(email, password, "confirmed"),
    registerPending: async (email, password = PASSWORD) => void (await fb.createUser(email, password, "pending")),
    userExists: async (id) => (await fb.findUser(id)) !== undefined,
    isDisabled: async (id) => (await fb.findUser(id))?.status === "disabled",
    pendingExists: async (email) => (await fb.users.findOne({ email, status: "pending" })) !== null,
  };
}

export const login = (h: ProfileHarness, email: string, password = PASSWORD): Promise<Tokens> => clientLogin(h.emulator, email, password);

/** Whether the access token is still accepted (profile) and the refresh token still refreshes. */
export async function sessionWorks(h: ProfileHarness, tokens: Tokens): Promise<{ access: boolean; refresh: boolean }> {
  const profile = await call(h.emulator.url, "GET", `${CLIENT}/auth/profile`, { token: tokens.access });
  const refreshed = await call(h.emulator.url, "POST", `${CLIENT}/auth/session`, { token: tokens.refresh });
  return { access: profile.status === 200, refresh: refreshed.status === 201 };
}

/** A function call over the client API; `result` is the parsed EJSON answer, `error` the error text. */
export async function callAs(h: ProfileHarness, tokens: Tokens, name: string, args: unknown[] = []): Promise<{ status: number; result?: any; error?: string }> {
  const res = await callFunction(h.emulator, tokens.access, name, args);
  if (res.status === 200) return { status: 200, result: EJSON.parse(res.text, { relaxed: true }) };
  return { status: res.status, error: errorMessage(String(res.body?.error ?? res.text)) };
}

/** Flowerbase puts JSON of { message, name } in `error` (features/functions/controller.ts:454-460); App Services the message. */
function errorMessage(error: string): string {
  try {
    const parsed = JSON.parse(error) as { message?: unknown };
    return typeof parsed.message === "string" ? parsed.message : error;
  } catch {
    return error;
  }
}

/** Whether email/password login works. */
export async function canLogIn(h: ProfileHarness, email: string, password = PASSWORD): Promise<boolean> {
  return (await passwordLogin(h.emulator, email, password)).status === 200;
}

let counter = 0;
export function uniqueEmail(label: string): string {
  return `${label}-${++counter}-${Date.now()}@example.com`;
}
