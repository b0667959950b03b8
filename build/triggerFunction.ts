/**
 * The function a trigger calls, read one way by the install (merge.ts) and the emulator
 * (emulator/runtime/appDirectory.ts). App Services exports `event_processors.FUNCTION.config.function_name`
 * and its reference shows a top-level `function_name` for scheduled triggers (docs-app-services
 * source/reference/config/triggers.txt, "General Configuration" and "Scheduled Triggers"); older
 * app directories and Flowerbase's reader's fallback use the latter (../shared/docs/flowerbase.md).
 */
import { isRecord } from "./json";

/** Every function name the trigger gives, in either form, as written (not checked to be strings); processor form first. */
export function triggerFunctionNames(trigger: unknown): unknown[] {
  if (!isRecord(trigger)) return [];
  const processors = isRecord(trigger.event_processors) ? trigger.event_processors : undefined;
  const fn = processors && isRecord(processors.FUNCTION) ? processors.FUNCTION : undefined;
  const config = fn && isRecord(fn.config) ? fn.config : undefined;
  return [config?.function_name, trigger.function_name].filter((name) => name !== undefined);
}
