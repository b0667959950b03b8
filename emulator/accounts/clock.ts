/** Time for the account state: tokens, ids and dates. Injectable so tests can expire tokens without waiting. */
import { ObjectId } from "bson";

/** Milliseconds since the epoch. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that moves only when told to. */
export class ManualClock implements Clock {
  constructor(private current = Date.now()) {}
  now(): number {
    return this.current;
  }
  advance(ms: number): void {
    this.current += ms;
  }
}

export function nowSeconds(clock: Clock): number {
  return Math.floor(clock.now() / 1000);
}

/** A new ObjectId hex string carrying the clock's time, as real ObjectIds carry the server's. */
export function newObjectIdAt(clock: Clock): string {
  return new ObjectId(ObjectId.generate(nowSeconds(clock))).toHexString();
}
