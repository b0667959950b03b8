/**
 * What the configuration suites (test/lib: config, platformConfig, plainFieldPaths) share: a
 * context.app, context.values over a plain map, and "this must throw a ConfigError; what does it say".
 */
import { isConfigError } from "../../lib/errors";

/** A context.app with the ids the Admin API paths are built from. */
export const TEST_APP = { id: "6500000000000000000000aa", projectId: "6500000000000000000000bb" };

/** context.values over a plain map. */
export const valuesOf = (map: Record<string, unknown>) => ({ get: (name: string) => map[name] });

/** Runs `action`, which must throw a ConfigError; returns that error's message. */
export function configErrorMessage(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    expect(isConfigError(error)).toBe(true);
    return (error as Error).message;
  }
  throw new Error("expected a ConfigError, but nothing was thrown");
}
