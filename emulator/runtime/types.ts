/**
 * The contract between the emulator's function runtime (emulator/runtime/) and the servers that
 * call it (emulator/server.ts, clientApi.ts, adminApi.ts). Shapes follow ../shared/docs/app-services.md.
 */

/** `context.user` as App Services gives it to a function. */
export interface RuntimeUser {
  /** Absent for the system user (triggers, scheduled runs). */
  id?: string;
  type: "normal" | "server" | "system";
  data: Record<string, unknown>;
  custom_data: Record<string, unknown>;
  identities: Array<{ id: string; provider_type: string; data?: Record<string, unknown> }>;
}

/** `context.app`. */
export interface RuntimeAppInfo {
  id: string;
  clientAppId: string;
  name: string;
  projectId: string;
  deployment: { model: string; providerRegion: string };
  lastDeployed: string;
  hostingUri: string;
}

/** One entry of functions/config.json. */
export interface FunctionConfig {
  name: string;
  private: boolean;
  run_as_system: boolean;
  disable_arg_logs: boolean;
  can_evaluate?: Record<string, unknown>;
}

/** How a call reached the runtime: clients cannot call private functions. */
export type CallOrigin = "client" | "system";

/**
 * `context.user` in the flowerbase profile: the flattened access token for a client call, `{}` for
 * a trigger (flowerforce/flowerbase packages/flowerbase/src/features/functions/controller.ts:35-54, 440).
 */
export type FlowerbaseUser = { [key: string]: unknown };

/** Whatever a call passes as `context.user`: App Services' shape, or Flowerbase's. */
export type ContextUser = RuntimeUser | FlowerbaseUser;

/** Which platform the runtime plays: App Services (the default) or Flowerbase. */
export type Platform = "appservices" | "flowerbase";

/** The Flowerbase profile's auth collection, where its auth service's deleteUser deletes. */
export interface FlowerbaseAuthConfig {
  database: string;
  collection: string;
}

/** `context.user` for calls with no caller: triggers and scheduled runs. */
export const SYSTEM_USER: RuntimeUser = { type: "system", data: {}, custom_data: {}, identities: [] };
