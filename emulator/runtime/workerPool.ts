/**
 * The worker threads that run functions, off the emulator's event loop: as many as the machine
 * has cores (at least two), each able to hold several executions that are awaiting. A new
 * execution goes to the least busy worker that is not stuck running code. When an execution
 * passes its time limit it is ended at once (its caller is answered, its data calls refused);
 * its worker is asked to drop it and, if the worker does not answer within ABORT_GRACE_MS
 * (a loop that never yields), terminated and replaced.
 */
import os from "node:os";
import { Worker } from "node:worker_threads";
import { messageOf } from "../../lib/errors";
import { RUNTIME_ERRORS, stoppedMessage } from "./errors";
import { LIMITS, LIMIT_SOURCES, citation } from "./rules";
import { HEARTBEAT_MS, type DataCall, type FromWorker, type Outcome, type RunRequest, type ToWorker, type WorkerApp } from "./protocol";
import { workerSource } from "./workerSource";

/** A worker silent this long while it has executions is running code: new executions go elsewhere. */
const STALL_MS = 4 * HEARTBEAT_MS;
/** How long a worker may take to drop an execution that passed its limit before it is terminated. */
const ABORT_GRACE_MS = 4 * HEARTBEAT_MS;

/** What the pool asks of whoever started an execution. */
export interface ExecutionHandlers {
  console(level: "log" | "error", text: string): void;
  /** Runs a data call on this thread; resolves to its encoded result. */
  data(call: DataCall): Promise<string | undefined>;
}

export type PoolOutcome = Outcome | { ok: false; timedOut: true; ops: number };

interface Active {
  request: RunRequest;
  handlers: ExecutionHandlers;
  ops: number;
  resolve(outcome: PoolOutcome): void;
  timer: NodeJS.Timeout;
}

class PooledWorker {
  readonly active = new Map<number, Active>();
  appVersion = -1;
  lastHeard = Date.now();
  /** Whether it ever answered: a worker that dies before that would die again, so it is not replaced. */
  heard = false;
  stopped = false;

  constructor(readonly thread: Worker) {}

  post(message: ToWorker): void {
    if (!this.stopped) this.thread.postMessage(message);
  }

  stalled(now: number): boolean {
    return this.active.size > 0 && now - this.lastHeard > STALL_MS;
  }
}

export class WorkerPool {
  private readonly workers: PooledWorker[] = [];
  private started: Promise<string> | undefined;
  private closed = false;
  private nextExec = 1;

  /** As many workers as the machine has cores, at least two. */
  readonly size = Math.max(2, os.availableParallelism());
  /**
   * Each worker's V8 heap limit, the platform's 350 MB per execution (rules.ts LIMITS.memoryBytes).
   * A worker holds several executions, so the emulator is at least as strict: together they get
   * what one gets on App Services. Node stops a worker that grows past it
   * (ERR_WORKER_OUT_OF_MEMORY); a single allocation larger than the whole limit (one array of
   * hundreds of MB) can instead abort the emulator's process, a Node limitation.
   */
  private readonly memoryLimitMb = LIMITS.memoryBytes / (1024 * 1024);

  /** How many workers run now: `size`, plus any extra started while every worker was stuck in code. */
  get workerCount(): number {
    return this.workers.length;
  }

  /** Bundles the worker code and starts the workers (once); calls made meanwhile wait for it. */
  start(): Promise<string> {
    this.started ??= workerSource().then((code) => {
      if (!this.closed) while (this.workers.length < this.size) this.spawn(code);
      return code;
    });
    return this.started;
  }

  /** Runs one execution of `app`; resolves with its outcome (never rejects). */
  async run(app: WorkerApp, request: Omit<RunRequest, "exec" | "version" | "deadline">, handlers: ExecutionHandlers): Promise<PoolOutcome> {
    const code = await this.start();
    if (this.closed) return closedOutcome();
    const worker = this.pick(code);
    if (worker.appVersion !== app.version) {
      worker.post({ kind: "app", app });
      worker.appVersion = app.version;
    }
    const full: RunRequest = { ...request, exec: this.nextExec++, version: app.version, deadline: Date.now() + request.timeoutMs };
    return new Promise<PoolOutcome>((resolve) => {
      const timer = setTimeout(() => this.timeOut(worker, full.exec), request.timeoutMs);
      worker.active.set(full.exec, { request: full, handlers, ops: 0, resolve, timer });
      worker.post({ kind: "run", ...full });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.splice(0).map((worker) => this.stop(worker, "the emulator is shutting down")));
  }

  private pick(code: string): PooledWorker {
    const now = Date.now();
    const candidates = this.workers.filter((w) => !w.stalled(now));
    // Every worker is stuck in a loop until its limit: one more keeps other clients served meanwhile
    // (settle() retires it, or another, once idle and the pool is back over its size).
    if (candidates.length === 0) return this.spawn(code);
    return candidates.reduce((best, w) => (w.active.size < best.active.size ? w : best));
  }

  private spawn(code: string): PooledWorker {
    const worker = new PooledWorker(new Worker(code, { eval: true, name: "app-services-function", resourceLimits: { maxOldGenerationSizeMb: this.memoryLimitMb } }));
    worker.thread.on("message", (message: FromWorker) => this.onMessage(worker, message));
    worker.thread.on("error", (error) => void this.replace(worker, this.failureReason(error)));
    worker.thread.on("exit", () => void this.replace(worker, "the function's worker stopped unexpectedly"));
    // After the listeners (adding one refs the worker again): a worker never keeps the process
    // alive; the timers of executions in flight do.
    worker.thread.unref();
    this.workers.push(worker);
    return worker;
  }

  private onMessage(worker: PooledWorker, message: FromWorker): void {
    worker.lastHeard = Date.now();
    worker.heard = true;
    if (message.kind === "beat" || message.kind === "aborted") return;
    const active = worker.active.get(message.exec);
    switch (message.kind) {
      case "console":
        // Lines of an execution that has ended (its limit) are dropped: it was stopped.
        active?.handlers.console(message.level, message.text);
        return;
      case "data":
        this.serveData(worker, active, message);
        return;
      case "done":
        if (!active) return;
        this.settle(worker, message.exec, { ...message });
        return;
    }
  }

  /** A data call is served only for a live execution within its limit: nothing after the limit reaches the data. */
  private serveData(worker: PooledWorker, active: Active | undefined, message: Extract<FromWorker, { kind: "data" }>): void {
    const request = message.request;
    if (!active || Date.now() >= active.request.deadline) {
      worker.post({ kind: "reply", request, ok: false, message: stoppedMessage(`${message.call.method} on ${message.call.db}.${message.call.collection}`) });
      return;
    }
    active.ops = message.ops;
    active.handlers.data(message.call).then(
      (value) => worker.post({ kind: "reply", request, ok: true, value }),
      (error: unknown) => worker.post({ kind: "reply", request, ok: false, message: messageOf(error) }),
    );
  }

  private settle(worker: PooledWorker, exec: number, outcome: PoolOutcome): void {
    const active = worker.active.get(exec);
    if (!active) return;
    worker.active.delete(exec);
    clearTimeout(active.timer);
    active.resolve(outcome);
    this.retireIfExtra(worker);
  }

  /** A pool over its size (an extra worker started during a stall) stops an idle worker. */
  private retireIfExtra(worker: PooledWorker): void {
    if (this.workers.length <= this.size || worker.active.size > 0 || worker.stopped) return;
    const index = this.workers.indexOf(worker);
    if (index < 0) return;
    this.workers.splice(index, 1);
    void this.stop(worker, "the pool is back over its size");
  }

  /** The limit passed: answer the caller now, then make sure the worker lets go of the execution. */
  private timeOut(worker: PooledWorker, exec: number): void {
    const ops = worker.active.get(exec)?.ops ?? 0;
    this.settle(worker, exec, { ok: false, timedOut: true, ops });
    worker.post({ kind: "abort", exec });
    const askedAt = Date.now();
    const check = setTimeout(() => {
      // A worker that has said nothing since it was asked is running code that never yields.
      if (worker.lastHeard < askedAt && !worker.stopped) void this.replace(worker, "the function's worker was stopped: an execution on it passed its time limit while running code that never yields");
    }, ABORT_GRACE_MS);
    check.unref();
  }

  private failureReason(error: Error): string {
    if ((error as { code?: unknown }).code === "ERR_WORKER_OUT_OF_MEMORY") {
      return `the function used more than the ${this.memoryLimitMb} MB of memory an execution may use ${citation(LIMIT_SOURCES.memoryBytes)}, and was stopped`;
    }
    return `the function's worker failed: ${messageOf(error)}`;
  }

  /** Terminates a worker, ends what it still held, and starts another in its place. */
  private async replace(worker: PooledWorker, reason: string): Promise<void> {
    if (worker.stopped) return;
    const index = this.workers.indexOf(worker);
    if (index >= 0) this.workers.splice(index, 1);
    await this.stop(worker, reason);
    if (worker.heard && !this.closed && this.started && this.workers.length < this.size) this.spawn(await this.started);
  }

  private async stop(worker: PooledWorker, reason: string): Promise<void> {
    if (worker.stopped) return;
    worker.stopped = true;
    for (const exec of [...worker.active.keys()]) {
      const ops = worker.active.get(exec)?.ops ?? 0;
      this.settle(worker, exec, { ok: false, error: { name: RUNTIME_ERRORS.execution, message: reason }, ops });
    }
    await worker.thread.terminate();
  }
}

function closedOutcome(): PoolOutcome {
  return { ok: false, error: { name: RUNTIME_ERRORS.execution, message: "the emulator is shutting down" }, ops: 0 };
}
