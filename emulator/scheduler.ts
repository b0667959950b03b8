/**
 * Runs the app's scheduled triggers on their cron schedules (UTC, as App Services does), each as
 * the system user, one run at a time per trigger.
 */
import { messageOf } from "../lib/errors";
import { Cron } from "croner";
import { escapeForLog } from "./http/logText";
import type { TriggerDefinition } from "./runtime/appDirectory";
import { opsOf } from "./runtime/errors";
import type { FunctionRuntime } from "./runtime/functionRuntime";
import { SYSTEM_USER, type ContextUser } from "./runtime/types";

export interface Scheduler {
  /** When each enabled trigger runs next. */
  nextRuns(): Array<{ trigger: string; at: Date | null }>;
  stop(): void;
}

/** `user`: App Services' system user, or `{}` in the flowerbase profile (Flowerbase's context.user for a trigger). */
export function startScheduler(triggers: TriggerDefinition[], runtime: () => FunctionRuntime, log: (line: string) => void, user: ContextUser = SYSTEM_USER): Scheduler {
  const jobs = triggers
    .filter((t) => !t.disabled)
    .map((trigger) => {
      // protect: a run still going when the next is due is skipped, not doubled.
      const job = new Cron(trigger.schedule, { timezone: "UTC", protect: true }, function runTrigger() {
        // Logged either way; a failed run waits for its next schedule.
        return runAndLogTrigger(trigger, runtime(), user, log).then(
          () => undefined,
          () => undefined,
        );
      });
      return { trigger, job };
    });
  return {
    nextRuns: () => jobs.map(({ trigger, job }) => ({ trigger: trigger.name, at: job.nextRun() })),
    stop: () => jobs.forEach(({ job }) => job.stop()),
  };
}

/**
 * Runs a trigger's function once, timed, and logs one line either way (the error message escaped,
 * so a newline in it cannot forge a log line); returns the execution or rethrows. `how` tells a
 * run on demand from a scheduled one in the log.
 */
export async function runAndLogTrigger<T extends { ops: number }>(
  trigger: Pick<TriggerDefinition, "name" | "function_name">,
  runner: { run(name: string, args: unknown[], user: ContextUser, origin: "system"): Promise<T> },
  user: ContextUser,
  log: (line: string) => void,
  how = "",
): Promise<T> {
  const started = Date.now();
  const label = `trigger ${trigger.name} -> ${trigger.function_name}${how ? ` ${how}` : ""}`;
  try {
    const execution = await runner.run(trigger.function_name, [], user, "system");
    log(`${label} ok ${Date.now() - started}ms ops=${execution.ops}`);
    return execution;
  } catch (error) {
    log(`${label} error: ${escapeForLog(messageOf(error))} ${Date.now() - started}ms ops=${opsOf(error)}`);
    throw error;
  }
}
