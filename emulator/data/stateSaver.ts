/** Saves the state file after changes, one write at a time. */
import { messageOf } from "../../lib/errors";
import type { EmulatorState } from "../accounts/accountState";
import type { Dispatch } from "../http/dispatch";
import type { ParsedRequestHandler } from "../http/listen";
import { HttpError, errorReply, sendReply } from "../http/reply";
import type { DocumentStore } from "./store";
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

/**
 * The state file's saver and what it has seen: every change (a request, a trigger, a seed) is
 * saved, and a request's answer can tell whether anything changed while it ran.
 */
export interface SavedChanges {
  saver: StateSaver;
  /** Bumped by every change to the accounts or the documents. */
  generation(): number;
  /** Settles true once every change so far is on disk, false when that write failed (already logged). */
  lastSave(): Promise<boolean>;
}

/** With a data file, every change reaches the disk, wherever it came from: a request, a trigger, a seed. */
export function saveEveryChange(dataFile: string | undefined, state: EmulatorState, store: DocumentStore, log: (line: string) => void): SavedChanges | undefined {
  if (!dataFile) return undefined;
  const saver = new StateSaver(dataFile, (): StateFileContents => ({ state: state.toSnapshot(), documents: store.toEJSON() }), function reportSaveError(error) {
    log(`state: could not save ${dataFile}: ${messageOf(error)}`);
  });
  let generation = 0;
  let lastSave = Promise.resolve(true);
  const saveAfterChange = () => {
    generation += 1;
    lastSave = saver.save().then(
      () => true,
      () => false,
    );
  };
  state.onChange(saveAfterChange);
  store.onChange(saveAfterChange);
  return { saver, generation: () => generation, lastSave: () => lastSave };
}

/**
 * A changing request is on disk before its answer leaves: a 2xx means the change survives a
 * restart, so a change that could not be saved is answered as a server error. A request that
 * changed nothing (a read, a refused call) neither writes the file nor waits for it.
 */
export function answerAfterSaving(dispatch: Dispatch, changes: SavedChanges | undefined, log: (line: string) => void): ParsedRequestHandler {
  return function handleRequest(req, res, url) {
    const before = changes?.generation();
    dispatch(req, url)
      .then(async function answer(reply) {
        if (changes && changes.generation() !== before && reply.kind !== "drop") {
          if (!(await changes.lastSave())) reply = errorReply(new HttpError(500, "the change was made but could not be saved to the data file", "InternalServerError"));
        }
        sendReply(req, res, reply);
      })
      .catch(function reportAnswerFailure(error: unknown) {
        log(`emulator: could not answer ${req.method ?? ""} ${req.url ?? ""}: ${messageOf(error)}`);
        res.destroy();
      });
  };
}
