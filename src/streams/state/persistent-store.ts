/** The typed key-value store over SQLite; the database opens at init, when state.dir is known. */
import { join } from "node:path";
import type { Serde } from "../serdes.ts";
import type { BytesKeyValueStore } from "./bytes-stores.ts";
import { SqliteKeyValueBytesStore } from "./sqlite-key-value-store.ts";
import type { StateStoreContext } from "./state-store.ts";
import { TimestampedKeyValueStoreImpl, TypedKeyValueStore } from "./typed-stores.ts";

/** Opens lazily so the typed layer can be built before the task knows its directory. */
class DeferredBytesStore implements BytesKeyValueStore {
  readonly persistent = true;
  store: SqliteKeyValueBytesStore | undefined;
  private s(): SqliteKeyValueBytesStore {
    if (!this.store) throw new Error("persistent store used before init()");
    return this.store;
  }
  get(k: Buffer): Buffer | null { return this.s().get(k); }
  put(k: Buffer, v: Buffer | null): void { this.s().put(k, v); }
  delete(k: Buffer): Buffer | null { return this.s().delete(k); }
  range(a: Buffer | undefined, b: Buffer | undefined): Array<[Buffer, Buffer]> { return this.s().range(a, b); }
  size(): number { return this.s().size(); }
  close(): void { this.store?.close(); }
}

export class PersistentKeyValueStore<K, V> extends TypedKeyValueStore<K, V> {
  private readonly deferred: DeferredBytesStore;
  constructor(name: string, ks: Serde<K> | undefined, vs: Serde<V> | undefined) {
    const deferred = new DeferredBytesStore();
    super(name, ks, vs, deferred);
    this.deferred = deferred;
  }
  override init(ctx: StateStoreContext): void {
    const dir = ctx.stateDir?.();
    if (!dir) throw new Error(`Persistent state store '${this.storeName}' needs state.dir to be set`);
    super.init(ctx);
    this.deferred.store = new SqliteKeyValueBytesStore(join(dir, ctx.applicationId()), this.storeName);
  }
}

/** The DSL's timestamped key-value store, persistent (Materialized.as(Stores.persistentKeyValueStore(name))). */
export class PersistentTimestampedKeyValueStore<K, V> extends TimestampedKeyValueStoreImpl<K, V> {
  private readonly deferred: DeferredBytesStore;
  constructor(name: string, ks: Serde<K> | undefined, vs: Serde<V> | undefined) {
    const deferred = new DeferredBytesStore();
    super(name, ks, vs, deferred);
    this.deferred = deferred;
  }
  override init(ctx: StateStoreContext): void {
    const dir = ctx.stateDir?.();
    if (!dir) throw new Error(`Persistent state store '${this.storeName}' needs state.dir to be set`);
    super.init(ctx);
    this.deferred.store = new SqliteKeyValueBytesStore(join(dir, ctx.applicationId()), this.storeName);
  }
}
