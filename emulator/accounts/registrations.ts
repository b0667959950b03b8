/** Email/password registrations waiting for confirmation (the Admin API's pending users). */
import { newObjectIdAt, type Clock } from "./clock";
import { emailKey } from "./emails";
import { page, type PendingRecord } from "./records";

export class PendingRegistrations {
  private readonly pending = new Map<string, PendingRecord>();
  /** emailKey → pending id. */
  private readonly byEmail = new Map<string, string>();

  constructor(
    private readonly clock: Clock,
    private readonly changed: () => void,
    restored: PendingRecord[] = [],
  ) {
    for (const p of restored) this.insert(p);
  }

  private insert(record: PendingRecord): void {
    this.pending.set(record.id, record);
    if (!this.byEmail.has(emailKey(record.email))) this.byEmail.set(emailKey(record.email), record.id);
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
    const id = this.byEmail.get(emailKey(email));
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
    if (this.byEmail.get(emailKey(record.email)) === id) this.byEmail.delete(emailKey(record.email));
    this.changed();
    return true;
  }
}
