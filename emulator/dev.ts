/**
 * `npm run dev`: `npm start`, plus a watcher that rebuilds the bundle when a source changes and
 * reloads the running emulator, printing which functions changed. A failing build is reported
 * and the emulator keeps running the last good one.
 */
import { messageOf } from "../lib/errors";
import { existsSync, watch, type FSWatcher } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT, buildApp, type BuildResult } from "../build/build";
import { main as start, reportStartFailure } from "./cli";
import type { AppChanges, Emulator } from "./server";

/** What a rebuild watches: every input of the build. */
export const WATCHED = ["functions", "lib", "values", "root_config.json", "secrets.example.json"];

export interface WatchOptions {
  emulator: Pick<Emulator, "reload">;
  projectDir?: string;
  build?: () => Promise<BuildResult>;
  log?: (line: string) => void;
  /** Quiet time after the last change before rebuilding, so a save of many files builds once. */
  debounceMs?: number;
}

export function describeChanges(changes: AppChanges): string {
  const parts = [
    changes.added.length ? `added ${changes.added.join(", ")}` : "",
    changes.changed.length ? `changed ${changes.changed.join(", ")}` : "",
    changes.removed.length ? `removed ${changes.removed.join(", ")}` : "",
  ].filter(Boolean);
  return parts.length ? parts.join("; ") : "no function changed (values and triggers reloaded)";
}

/** Starts watching; returns a function that stops it. */
export function watchAndReload(options: WatchOptions): () => void {
  const projectDir = options.projectDir ?? PROJECT_ROOT;
  const build = options.build ?? (() => buildApp({ projectDir }));
  const log = options.log ?? function printDevLine(line: string) { console.log(line); };
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const touched = new Set<string>();

  const rebuild = async (): Promise<void> => {
    const files = [...touched].sort();
    touched.clear();
    try {
      const result = await build();
      log(`[dev] ${files.join(", ")} changed: rebuilt in ${Math.round(result.milliseconds)} ms; ${describeChanges(options.emulator.reload())}`);
    } catch (error) {
      log(`[dev] build failed, still serving the last good build: ${messageOf(error)}`);
    }
  };
  const schedule = (file: string) => {
    touched.add(file);
    clearTimeout(timer);
    // Rebuilds run one at a time; a change during a rebuild schedules one more.
    timer = setTimeout(() => {
      running = running.then(rebuild);
    }, options.debounceMs ?? 150);
  };

  const watchers: FSWatcher[] = WATCHED.map((entry) => join(projectDir, entry))
    .filter((path) => existsSync(path))
    .map((path) => watch(path, { recursive: true }, (_event, file) => schedule(file ? join(path, file).slice(projectDir.length + 1) : path)));
  return () => {
    clearTimeout(timer);
    for (const w of watchers) w.close();
  };
}

/** npm start's usage text, told as npm run dev's (the options are the same). */
export function devUsage(message: string): string {
  return message.replace(/npm start --/g, "npm run dev --").replace(/^Usage: npm run dev --/m, "Usage (npm start, rebuilt and reloaded on every source change): npm run dev --");
}

if (require.main === module) {
  start(process.argv.slice(2)).then(
    function watchSources(emulator) {
      watchAndReload({ emulator });
      console.log(`[dev] watching ${WATCHED.join(", ")} for changes`);
    },
    (error: unknown) => reportStartFailure(error, devUsage),
  );
}
