/** The user store the platform calls for (lib/platform.ts decides which). */
import { appServicesUserStore } from "./appServicesUserStore";
import { flowerbaseUserStore } from "./flowerbaseUserStore";
import type { PlatformConfig } from "./platform";
import type { ScanningUserStore, UserStore } from "./userStore";

type Services = AppServicesContext["services"];

export function openUserStore(fn: string, platform: PlatformConfig): UserStore {
  if (platform.platform === "appservices") return appServicesUserStore(fn, context.http, platform.config.adminApi);
  return openFlowerbaseStore(platform);
}

/**
 * Flowerbase's store over `services`: a scheduled run passes its counted services
 * (lib/operationBudget.ts), so every data call of the store counts against the run's budget.
 */
export function openFlowerbaseStore(platform: Extract<PlatformConfig, { platform: "flowerbase" }>, services: Services = context.services): ScanningUserStore {
  // readPlatformConfig has checked that the data source exists.
  return flowerbaseUserStore(services.get(platform.config.dataSourceName), platform.auth, platform.config.userStore);
}
