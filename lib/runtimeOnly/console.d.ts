// The App Services runtime's console, for tsconfig.functions.json only: the root tsconfig gets
// console from @types/node, which would clash with this declaration.
interface AppServicesConsole {
  log(...args: unknown[]): void;
  error(...args: unknown[]): void;
  warn(...args: unknown[]): void;
}
declare const console: AppServicesConsole;
