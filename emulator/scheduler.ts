/**
 * Runs the app's scheduled triggers on their cron schedules (UTC, as App Services does), each as
 * the system user, one run at a time per trigger.
 */
import { messageOf } from "../lib/errors";
import { Cron } from "croner";
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
      const job = new Cron(trigger.schedule, { timezone: "UTC", protect: true }, async function runTrigger() {
        const started = Date.now();
        try {
          const { ops } = await runtime().run(trigger.function_name, [], user, "system");
          log(`trigger ${trigger.name} -> ${trigger.function_name} ok ${Date.now() - started}ms ops=${ops}`);
        } catch (error) {
          log(`trigger ${trigger.name} -> ${trigger.function_name} error: ${messageOf(error)} ${Date.now() - started}ms ops=${opsOf(error)}`);
        }
      });
      return { trigger, job };
    });
  return {
    nextRuns: () => jobs.map(({ trigger, job }) => ({ trigger: trigger.name, at: job.nextRun() })),
    stop: () => jobs.forEach(({ job }) => job.stop()),
  };
}
