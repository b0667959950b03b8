/** Saves the state file after changes, one write at a time. */
import { writeStateFile, type StateFileContents } from "./stateFile";

/**
 * Serializes saves: any number of requests while a write runs lead to exactly one more write,
 * which sees every change made before it started.
 */
export class StateSaver {
  private running: Promise<void> | undefined;
  private waiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];

  constructor(
    private readonly file: string,
    private readonly collect: () => StateFileContents,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Resolves once a write that started after this call has finished. */
  save(): Promise<void> {
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    // A write running now picks up this waiter when it loops.
    this.running ??= this.loop();
    return done;
  }

  private async loop(): Promise<void> {
    do {
      const waiters = this.waiters;
      this.waiters = [];
      try {
        await writeStateFile(this.file, this.collect());
        waiters.forEach((w) => w.resolve());
      } catch (error) {
        this.onError(error);
        waiters.forEach((w) => w.reject(error));
      }
    } while (this.waiters.length > 0);
    this.running = undefined;
  }
}
