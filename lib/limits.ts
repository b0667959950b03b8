/**
 * The platform's limits on one execution ("Constraints" in docs-app-services source/functions.txt),
 * in a module of their own: lib/config.ts needs them, and importing them from
 * emulator/runtime/rules.ts put its whole table of forbidden members into every built function.
 * emulator/runtime/rules.ts re-exports them with their citations (LIMIT_SOURCES).
 */
export const LIMITS = {
  /** "Functions are capped at 300 seconds of runtime per request". */
  timeLimitMs: 300_000,
  /** "Functions are limited to 1000 async operations": a total per execution, the strictest reading. */
  asyncOperations: 1000,
  /** "Incoming requests are limited to a maximum size of 18 MB" (all arguments together). */
  requestBytes: 18 * 1024 * 1024,
  /** "Functions may use up to 350MB of memory at any time." */
  memoryBytes: 350 * 1024 * 1024,
  /** "A Function may open a maximum of 25 sockets using the net built-in module." */
  sockets: 25,
} as const;

