/**
 * What each function source declares about itself; the build turns it into functions/config.json
 * entries and, for scheduled functions, triggers/<name>.json.
 */
export interface FunctionMeta {
  /** Private functions can be called only by other functions and triggers, never by clients. */
  private: boolean;
  /**
   * Run with full data access, bypassing the data source's rules. The caller stays in
   * context.user: App Services documents that context.user "always resolve[s] to the
   * authenticated user that called a function if there was one, even if the function runs as a
   * system function" (docs-app-services, source/functions.txt).
   */
  runAsSystem: boolean;
  /** Keep arguments out of App Services' logs (arguments that carry an email or other personal data). */
  disableArgLogs: boolean;
  /** A cron schedule: the build adds a SCHEDULED trigger that runs this function. */
  schedule?: string;
}

export function defineFunction(meta: FunctionMeta): FunctionMeta {
  return meta;
}
