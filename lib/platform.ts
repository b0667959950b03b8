/**
 * Which platform a call runs on, decided on every call and failing closed: the value `runtime`
 * when set (it must match the context), else `context.app` (App Services), else Flowerbase's auth
 * service. Anything else is a configuration error, raised before anything is touched.
 */
import { VALUE_NAMES, readConfig, type BundleConfig, type Values } from "./config";
import { ConfigError } from "./errors";
import { readFlowerbaseConfig, type FlowerbaseConfig } from "./flowerbaseConfig";

export type Platform = "appservices" | "flowerbase";

/** Flowerbase's auth service for functions (flowerbase services/auth/index.ts:5-12). */
export interface FlowerbaseAuthService {
  emailPasswordAuth: { deleteUser(target: { id?: string; email?: string }): Promise<{ deletedCount?: number } | undefined> };
}

/** The parts of `context` the decision reads; both platforms' contexts have this shape or less. */
export interface PlatformContext {
  app?: unknown;
  values: Values;
  services: { get(name: string): unknown };
}

export type PlatformConfig =
  | { platform: "appservices"; config: BundleConfig }
  | { platform: "flowerbase"; config: FlowerbaseConfig; auth: FlowerbaseAuthService };

/** Reads the platform and its configuration; throws a ConfigError naming the fix. */
export function readPlatformConfig(ctx: PlatformContext): PlatformConfig {
  const platform = detectPlatform(ctx);
  if (platform === "appservices") {
    const config = readConfig(ctx.values, ctx.app as { id?: string; projectId?: string });
    assertDataSourceExists(ctx, config.dataSourceName, 'the name of the app\'s linked data source (its folder under data_sources/; "mongodb-atlas" unless renamed)');
    return { platform, config };
  }
  const config = readFlowerbaseConfig(ctx.values);
  assertDataSourceExists(ctx, config.dataSourceName, 'Flowerbase\'s MongoDB service, "mongodb-atlas"');
  return { platform, config, auth: flowerbaseAuth(ctx) as FlowerbaseAuthService };
}

/**
 * Every data call starts with services.get(dataSourceName).db(): with a wrong name that fails only
 * after the Admin API login, as an unreadable "undefined" wrapped as a cleanup failure.
 */
function assertDataSourceExists(ctx: PlatformContext, name: string, rightName: string): void {
  let service: unknown;
  try {
    service = ctx.services.get(name);
  } catch (error) {
    service = undefined;
  }
  if (!service) {
    throw new ConfigError(`There is no data source "${name}" (value "${VALUE_NAMES.dataSource}"): set it to ${rightName}. Nothing was changed.`);
  }
}

export function detectPlatform(ctx: PlatformContext): Platform {
  const hasApp = typeof ctx.app === "object" && ctx.app !== null;
  const requested = ctx.values.get(VALUE_NAMES.runtime);
  if (requested !== undefined && requested !== null && requested !== "") {
    if (requested !== "appservices" && requested !== "flowerbase") {
      throw new ConfigError(`Value "${VALUE_NAMES.runtime}" must be "appservices" or "flowerbase" (or unset, to decide from the context). Nothing was changed.`);
    }
    if (requested === "appservices" && !hasApp) {
      throw new ConfigError(`Value "${VALUE_NAMES.runtime}" says "appservices", but this runtime has no context.app: on Flowerbase set it to "flowerbase" or unset it. Nothing was changed.`);
    }
    if (requested === "flowerbase" && (hasApp || !flowerbaseAuth(ctx))) {
      throw new ConfigError(
        `Value "${VALUE_NAMES.runtime}" says "flowerbase", but this runtime ${hasApp ? "has context.app (App Services)" : "has no Flowerbase auth service"}: set it to the platform the functions run on, or unset it. Nothing was changed.`,
      );
    }
    return requested;
  }
  if (hasApp) return "appservices";
  if (flowerbaseAuth(ctx)) return "flowerbase";
  throw new ConfigError(
    `No user store: this runtime has neither context.app (App Services) nor the "auth" service with emailPasswordAuth.deleteUser (Flowerbase). Run the functions on one of them, and set the value "${VALUE_NAMES.runtime}" to "appservices" or "flowerbase" to say which. Nothing was changed.`,
  );
}

/**
 * The platform by the context alone, for when the configuration cannot say (a preview still
 * checks its caller by that platform's rules): App Services has context.app, Flowerbase has not.
 */
export function contextPlatform(ctx: PlatformContext): Platform {
  try {
    return detectPlatform(ctx);
  } catch (error) {
    return typeof ctx.app === "object" && ctx.app !== null ? "appservices" : "flowerbase";
  }
}

/** Flowerbase's auth service, or undefined; services.get of an unknown name gives undefined (or may throw elsewhere). */
function flowerbaseAuth(ctx: PlatformContext): FlowerbaseAuthService | undefined {
  let service: unknown;
  try {
    service = ctx.services.get("auth");
  } catch (error) {
    return undefined;
  }
  const auth = service as { emailPasswordAuth?: { deleteUser?: unknown } } | undefined;
  return auth && auth.emailPasswordAuth && typeof auth.emailPasswordAuth.deleteUser === "function" ? (service as FlowerbaseAuthService) : undefined;
}
