/**
 * A realm-web client of the emulator, each with its own in-memory storage: what the realm-web
 * suites and the bench's load scenario sign in with. No jest here, so bench/ imports it too.
 */
import * as Realm from "realm-web";

/** realm-web's Storage interface, in memory and private to one App, so no client sees another's users. */
export class MemoryStorage {
  private readonly data = new Map<string, string>();
  private readonly listeners = new Set<() => void>();
  constructor(
    private readonly root: MemoryStorage | undefined = undefined,
    private readonly keyPrefix = "",
  ) {}
  private get store(): Map<string, string> {
    return this.root ? this.root.data : this.data;
  }
  get(key: string): string | null {
    return this.store.get(this.keyPrefix + key) ?? null;
  }
  set(key: string, value: string): void {
    this.store.set(this.keyPrefix + key, value);
    this.fire();
  }
  remove(key: string): void {
    this.store.delete(this.keyPrefix + key);
    this.fire();
  }
  prefix(part: string): MemoryStorage {
    return new MemoryStorage(this.root ?? this, `${this.keyPrefix}${part}:`);
  }
  clear(prefix = ""): void {
    for (const key of [...this.store.keys()]) if (key.startsWith(this.keyPrefix + prefix)) this.store.delete(key);
    this.fire();
  }
  addListener(listener: () => void): void {
    (this.root ?? this).listeners.add(listener);
  }
  removeListener(listener: () => void): void {
    (this.root ?? this).listeners.delete(listener);
  }
  private fire(): void {
    for (const listener of (this.root ?? this).listeners) listener();
  }
}

/** A realm-web App for the emulator at `emulator.url`, with storage of its own. */
export function realmApp(emulator: { clientAppId: string; url: string }): Realm.App {
  return new Realm.App({ id: emulator.clientAppId, baseUrl: emulator.url, storage: new MemoryStorage() });
}
