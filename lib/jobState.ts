/**
 * Resume points for the scheduled functions: one small document per job in the value
 * jobStateCollection, so a run cut short by its time budget continues where it stopped.
 */
import type { SharedConfig } from "./config";

export interface JobState {
  /** The position to resume after, or undefined to start from the beginning. */
  load(): Promise<string | undefined>;
  save(position: string | undefined): Promise<void>;
}

/** `services`: the run's counted services (lib/operationBudget.ts), so the state's reads and writes count against its budget. */
export function jobState(config: SharedConfig, job: string, services: AppServicesContext["services"]): JobState {
  const { database, collection } = config.jobStateCollection;
  const states = services.get(config.dataSourceName).db(database).collection(collection);
  return {
    async load() {
      const doc = await states.findOne({ _id: job });
      return typeof doc?.resumeAfter === "string" ? doc.resumeAfter : undefined;
    },
    async save(position) {
      await states.updateOne({ _id: job }, { $set: { resumeAfter: position ?? null, updatedAt: new Date() } }, { upsert: true });
    },
  };
}
