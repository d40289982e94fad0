/** The typed key-value store over SQLite; the database opens at init, when state.dir is known. */
import type { Serde } from "../serdes.ts";
import { InMemoryKeyValueBytesStore } from "./bytes-stores.ts";
import type { BytesKeyValueStore } from "./bytes-stores.ts";
import { SqliteKeyValueBytesStore } from "./sqlite-key-value-store.ts";
import type { StateStoreContext } from "./state-store.ts";
import { storeDir } from "./store-dir.ts";
import { TimestampedKeyValueStoreImpl, TypedKeyValueStore } from "./typed-stores.ts";

/** Opens lazily so the typed layer can be built before the task knows its directory. */
class DeferredBytesStore implements BytesKeyValueStore {
  persistent = true;
  store: BytesKeyValueStore & { close?(): void } | undefined;
  private readonly auto: boolean;
  constructor(auto: boolean) {
    this.auto = auto;
  }
  /**
   * Opens the store's database: in the task's directory under the broker runtime, else under
   * <state.dir>/<application.id>. `auto` (the DSL's default store, Kafka's default is persistent) falls
   * back to memory when there is no state.dir (the test driver without one).
   */
  open(name: string, ctx: StateStoreContext): void {
    const dir = storeDir(ctx, name, this.auto ? "auto" : true);
    if (!dir) {
      this.store = new InMemoryKeyValueBytesStore();
      this.persistent = false;
      return;
    }
    this.store = new SqliteKeyValueBytesStore(dir, name);
  }
  private s(): BytesKeyValueStore {
    if (!this.store) throw new Error("persistent store used before init()");
    return this.store;
  }
  get(k: Buffer): Buffer | null { return this.s().get(k); }
  put(k: Buffer, v: Buffer | null): void { this.s().put(k, v); }
  delete(k: Buffer): Buffer | null { return this.s().delete(k); }
  range(a: Buffer | undefined, b: Buffer | undefined): Array<[Buffer, Buffer]> { return this.s().range(a, b); }
  size(): number { return this.s().size(); }
  flush(): void { this.store?.flush?.(); }
  close(): void { this.store?.close?.(); }
}

export class PersistentKeyValueStore<K, V> extends TypedKeyValueStore<K, V> {
  constructor(name: string, ks: Serde<K> | undefined, vs: Serde<V> | undefined, auto = false) {
    super(name, ks, vs, new DeferredBytesStore(auto));
  }
  override init(ctx: StateStoreContext): void {
    super.init(ctx);
    (this.inner as DeferredBytesStore).open(this.storeName, ctx);
  }
}

/** The DSL's timestamped key-value store, persistent (Materialized.as(Stores.persistentKeyValueStore(name))). */
export class PersistentTimestampedKeyValueStore<K, V> extends TimestampedKeyValueStoreImpl<K, V> {
  constructor(name: string, ks: Serde<K> | undefined, vs: Serde<V> | undefined, auto = false) {
    super(name, ks, vs, new DeferredBytesStore(auto));
  }
  override init(ctx: StateStoreContext): void {
    super.init(ctx);
    (this.inner as DeferredBytesStore).open(this.storeName, ctx);
  }
}
