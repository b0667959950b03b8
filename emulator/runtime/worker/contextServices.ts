/** What both platforms' contexts offer alike: the counted data service and HTTP client. */
import { createContextHttp, type ContextHttp, type HttpRequestArgs } from "../http";
import type { FlowerbaseAuthConfig, Platform, RuntimeAppInfo } from "../types";
import { dataServiceClient } from "./dataClient";
import type { Execution } from "./execution";

const http = createContextHttp();
const HTTP_METHODS = ["get", "post", "put", "patch", "delete", "head"] as const;

/** The app as a context needs it. */
export interface ContextApp {
  values: Record<string, unknown>;
  appInfo: RuntimeAppInfo;
  platform: Platform;
  flowerbaseAuth?: FlowerbaseAuthConfig;
  /** The linked data sources' names (the app directory's data_sources/<name>/), served besides "mongodb-atlas". */
  dataSources?: string[];
}

export function dataService(execution: Execution) {
  return dataServiceClient({ count: (what) => execution.countOperation(what), send: (call) => execution.data(call) });
}

export function countedHttp(execution: Execution): ContextHttp {
  const counted = {} as ContextHttp;
  for (const method of HTTP_METHODS) {
    counted[method] = (args: HttpRequestArgs) => {
      try {
        execution.countOperation(`context.http.${method}`);
      } catch (error) {
        return Promise.reject(error);
      }
      return http[method](args);
    };
  }
  return counted;
}
