/**
 * Estimates for a scheduled run that stopped short of the end: how much remains and how many runs
 * that takes at this run's pace, for its log line (a run that falls behind says so).
 */

/** Runs needed for `remaining` items at `perRun` a run (at least 1); undefined when this run settled nothing. */
export function runsToFinish(remaining: number, perRun: number): number | undefined {
  if (perRun <= 0) return undefined;
  return Math.max(1, Math.ceil(remaining / perRun));
}

/** The creation time of an ObjectId, in seconds: its first 4 bytes. */
export function objectIdSeconds(hex: string): number {
  return parseInt(hex.slice(0, 8), 16);
}

/**
 * Items left up to `endSeconds` when they are ordered by an ObjectId whose first bytes are their
 * creation time, assuming the density (items per second of creation time) this run saw between
 * `firstId` and `lastId` holds on. A span under a second counts as one second.
 */
export function remainingByIdTime(done: number, firstId: string, lastId: string, endSeconds: number): number {
  const span = Math.max(1, objectIdSeconds(lastId) - objectIdSeconds(firstId));
  const ahead = Math.max(0, endSeconds - objectIdSeconds(lastId));
  return Math.round((done / span) * ahead);
}
