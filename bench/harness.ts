/**
 * Starting the emulator for the benchmark and the load test: loopback only (127.0.0.1, port 0),
 * a fault plan that counts every Admin API operation and data-service call, a clock that can be
 * moved into the past, and a log sink that scans every line for secrets as it arrives.
 */
import { startEmulator, type Emulator, type EmulatorOptions } from "../emulator/server";
import { FaultPlan, type FaultKind, type FaultTarget } from "../emulator/faults";
import type { Clock } from "../emulator/accounts/clock";
import { JWT_PATTERN } from "../emulator/accounts/tokens";

/** A FaultPlan that also counts the calls it is asked about (every Admin API operation and data call). */
export class CountingFaultPlan extends FaultPlan {
  readonly counts = new Map<FaultTarget, number>();

  override take(target: FaultTarget, applicable: readonly FaultKind[]): FaultKind | undefined {
    this.counts.set(target, (this.counts.get(target) ?? 0) + 1);
    return super.take(target, applicable);
  }

  resetCounts(): void {
    this.counts.clear();
  }

  count(match: (target: FaultTarget) => boolean): number {
    let total = 0;
    for (const [target, n] of this.counts) if (match(target)) total += n;
    return total;
  }

  /** Admin API requests (targets that are operation ids). */
  adminCalls(operationId?: string): number {
    return this.count((t) => !t.startsWith("data:") && (operationId === undefined || t === operationId));
  }

  dataCalls(): number {
    return this.count((t) => t.startsWith("data:"));
  }
}

/** The real time minus an offset: registrations made while the offset is set carry a past time. */
export class OffsetClock implements Clock {
  offsetMs = 0;
  now(): number {
    return Date.now() - this.offsetMs;
  }
}


export interface SecretFinding {
  line: string;
  what: string;
}

/**
 * Collects log lines (or only counts them, for long runs) and checks each against the secrets and
 * the JWT shape. Lines that arrive before the secrets are known are checked once they are set.
 */
export class LogSink {
  readonly lines: string[] = [];
  readonly findings: SecretFinding[] = [];
  count = 0;
  private secrets: Array<{ value: string; what: string }> | undefined;
  private unchecked: string[] = [];

  constructor(private readonly retain = true) {}

  /** The emulator's `log` option. */
  readonly log = (line: string): void => this.add(line);

  /** The emulator's `functionConsole` option (what functions print). */
  readonly console = {
    log: (...args: unknown[]): void => this.add(args.map(String).join(" ")),
    error: (...args: unknown[]): void => this.add(args.map(String).join(" ")),
  };

  /**
   * Adds secrets to look for. Lines already seen are checked against the new ones too when they
   * were kept (or not yet checked); a sink that only counts must be given its secrets first.
   */
  addSecrets(secrets: Record<string, string>): void {
    const added = Object.entries(secrets)
      .filter(([, value]) => value.length > 0)
      .map(([what, value]) => ({ what, value }));
    const first = this.secrets === undefined;
    this.secrets = [...(this.secrets ?? []), ...added];
    if (first) {
      const pending = this.unchecked;
      this.unchecked = [];
      for (const line of pending) this.check(line);
    } else if (this.retain) {
      for (const line of this.lines) for (const secret of added) if (line.includes(secret.value)) this.findings.push({ line, what: secret.what });
    }
  }

  add(line: string): void {
    this.count += 1;
    if (this.retain) this.lines.push(line);
    if (this.secrets) this.check(line);
    else this.unchecked.push(line);
  }

  private check(line: string): void {
    if (JWT_PATTERN.test(line)) this.findings.push({ line, what: "a JWT-shaped string" });
    for (const secret of this.secrets ?? []) if (line.includes(secret.value)) this.findings.push({ line, what: secret.what });
  }
}

/**
 * Sends console.log/info/warn/error/debug of this process to the sink too (and on to the terminal
 * when `forward`); returns a function that restores them.
 */
export function captureProcessConsole(sink: LogSink, forward: boolean): () => void {
  const methods = ["log", "info", "warn", "error", "debug"] as const;
  const original = methods.map((m) => console[m]);
  methods.forEach((m, i) => {
    console[m] = (...args: unknown[]) => {
      sink.add(args.map(String).join(" "));
      if (forward) original[i].apply(console, args);
    };
  });
  return () => methods.forEach((m, i) => (console[m] = original[i]));
}

export interface BenchEmulator {
  emulator: Emulator;
  faults: CountingFaultPlan;
  sink: LogSink;
}

export interface BenchEmulatorOptions extends Partial<Omit<EmulatorOptions, "faults" | "log" | "functionConsole" | "host" | "port">> {
  appDir: string;
  latencyMs?: number;
  /** Keep every log line (default true); false only counts and scans them. */
  retainLines?: boolean;
}

/** Starts the emulator on 127.0.0.1, port 0, with a counting fault plan and a scanning log sink. */
export async function startBenchEmulator(options: BenchEmulatorOptions): Promise<BenchEmulator> {
  const { latencyMs = 0, retainLines = true, ...rest } = options;
  const faults = new CountingFaultPlan();
  faults.latencyMs = latencyMs;
  const sink = new LogSink(retainLines);
  const emulator = await startEmulator({ ...rest, host: "127.0.0.1", port: 0, faults, log: sink.log, functionConsole: sink.console });
  sink.addSecrets({ "the Admin API public key": emulator.adminKeys.publicKey, "the Admin API private key": emulator.adminKeys.privateKey });
  return { emulator, faults, sink };
}

export { SYSTEM_USER } from "../emulator/runtime/types";
