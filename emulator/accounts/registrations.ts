/** Email/password registrations waiting for confirmation (the Admin API's pending users). */
import { newObjectIdAt, type Clock } from "./clock";
import { EmailIndex } from "./emails";
import { page, type PendingRecord } from "./records";

export class PendingRegistrations {
  private readonly pending = new Map<string, PendingRecord>();
  private readonly byEmail = new EmailIndex();

  constructor(
    private readonly clock: Clock,
    private readonly changed: () => void,
    restored: PendingRecord[] = [],
  ) {
    for (const p of restored) this.insert(p);
  }

  private insert(record: PendingRecord): void {
    this.pending.set(record.id, record);
    this.byEmail.add(record.email, record.id);
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
    const id = this.byEmail.find(email);
    return id === undefined ? undefined : this.pending.get(id);
  }

  add(email: string, passwordHash: string): PendingRecord {
    const record: PendingRecord = { id: newObjectIdAt(this.clock), email, passwordHash };
    this.insert(record);
    this.changed();
    return record;
  }

  delete(id: string): boolean {
    const record = this.pending.get(id);
    if (!record) return false;
    this.pending.delete(id);
    this.byEmail.remove(record.email, id);
    this.changed();
    return true;
  }
}
