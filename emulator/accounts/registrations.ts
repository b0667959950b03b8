/** Email/password registrations waiting for confirmation (the Admin API's pending users). */
import { newObjectIdAt, type Clock } from "./clock";
import { emailKey } from "./emails";
import { page, type PendingRecord } from "./records";

export class PendingRegistrations {
  private readonly pending = new Map<string, PendingRecord>();

  constructor(
    private readonly clock: Clock,
    private readonly changed: () => void,
    restored: PendingRecord[] = [],
  ) {
    for (const p of restored) this.pending.set(p.id, p);
  }

  count(): number {
    return this.pending.size;
  }

  all(): PendingRecord[] {
    return [...this.pending.values()];
  }

  list(options: { after?: string; limit: number }): PendingRecord[] {
    return page(this.all(), options);
  }

  findByEmail(email: string): PendingRecord | undefined {
    const key = emailKey(email);
    for (const p of this.pending.values()) if (emailKey(p.email) === key) return p;
    return undefined;
  }

  add(email: string, passwordHash: string): PendingRecord {
    const record: PendingRecord = { id: newObjectIdAt(this.clock), email, passwordHash };
    this.pending.set(record.id, record);
    this.changed();
    return record;
  }

  delete(id: string): boolean {
    if (!this.pending.delete(id)) return false;
    this.changed();
    return true;
  }
}
