/**
 * The errors an execution ends with. Both threads build them from here: the worker when the
 * function fails or passes a limit, the main thread when the time limit passes first.
 */
import { LIMITS, LIMIT_SOURCES, citation } from "./rules";

/** The `name` of each error the runtime throws; the client API maps them to App Services' answers. */
export const RUNTIME_ERRORS = {
  notFound: "FunctionNotFoundError",
  notCallable: "FunctionNotCallableError",
  timeout: "FunctionTimeoutError",
  execution: "FunctionExecutionError",
} as const;

export type RuntimeErrorName = (typeof RUNTIME_ERRORS)[keyof typeof RUNTIME_ERRORS];

export class RuntimeError extends Error {
  constructor(
    override readonly name: RuntimeErrorName,
    message: string,
    /** The async operations the execution had started when it ended (see LIMITS.asyncOperations). */
    readonly ops = 0,
    /** The name of the error the function itself threw (Flowerbase answers with it); undefined when the runtime ended the execution. */
    readonly thrownName?: string,
  ) {
    super(message);
  }
}

/** The async operations a failed execution had started (RuntimeError.ops), 0 for any other error. */
export function opsOf(error: unknown): number {
  const ops = (error as { ops?: unknown } | null)?.ops;
  return typeof ops === "number" ? ops : 0;
}

/** The runtime's error name of anything the runtime threw, or undefined for anything else. */
export function runtimeErrorName(error: unknown): RuntimeErrorName | undefined {
  const name = (error as { name?: unknown } | null)?.name;
  return Object.values(RUNTIME_ERRORS).find((n) => n === name);
}

/** The `name` an error carries, for errors a function threw (any value can be thrown). */
export function thrownNameOf(error: unknown): string | undefined {
  if (error instanceof RuntimeError) return error.thrownName;
  const name = (error as { name?: unknown } | null)?.name;
  return typeof name === "string" ? name : undefined;
}

export function timeLimitMessage(functionName: string, timeoutMs: number): string {
  return `function '${functionName}' exceeded the time limit of ${timeoutMs / 1000} seconds`;
}

/** What a refused call says once its execution has ended (time limit, operation limit). */
export function stoppedMessage(what: string): string {
  return `${what}: the function has passed its time limit and was stopped`;
}

export function operationLimitMessage(functionName: string, operation: string): string {
  const limit = LIMITS.asyncOperations;
  return (
    `function '${functionName}' exceeded the limit of ${limit} async operations per execution ` +
    `(operation ${limit + 1} was ${operation}); batch the work or spread it over several runs ${citation(LIMIT_SOURCES.asyncOperations)}`
  );
}
