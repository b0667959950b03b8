/** The user store the platform calls for (lib/platform.ts decides which). */
import { appServicesUserStore } from "./appServicesUserStore";
import { ConfigError } from "./errors";
import { flowerbaseUserStore } from "./flowerbaseUserStore";
import type { PlatformConfig } from "./platform";
import type { UserStore } from "./userStore";

export function openUserStore(fn: string, platform: PlatformConfig): UserStore {
  if (platform.platform === "appservices") return appServicesUserStore(fn, context.http, platform.config.adminApi);
  const data = context.services.get(platform.config.dataSourceName);
  if (!data) {
    throw new ConfigError(`There is no service "${platform.config.dataSourceName}" (value "dataSourceName"): Flowerbase's MongoDB service is "mongodb-atlas". Nothing was changed.`);
  }
  return flowerbaseUserStore(data, platform.auth, platform.config.userStore);
}
