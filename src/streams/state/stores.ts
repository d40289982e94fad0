/** Kafka's `Stores` factory: suppliers name an in-memory store; builders add serdes (and later logging). */
import type { Serde } from "../serdes.ts";
import type { KeyValueStore, SessionStore, StateStore, StoreBuilder, TimestampedKeyValueStore, ValueAndTimestamp, WindowStore } from "./state-store.ts";
import { PersistentKeyValueStore, PersistentTimestampedKeyValueStore } from "./persistent-store.ts";
import { TimestampedKeyValueStoreImpl, TypedKeyValueStore } from "./typed-stores.ts";
import { InMemorySessionStore, InMemoryWindowStore, TimestampedWindowStoreImpl } from "./typed-window-stores.ts";

/** persistent "auto": the DSL's default store — sqlite when the app has a state.dir, else in memory. */
export interface KeyValueBytesStoreSupplier { kind: "kv"; name: string; persistent?: boolean | "auto" }
export interface WindowBytesStoreSupplier { kind: "window"; name: string; retentionPeriodMs: number; windowSizeMs: number; retainDuplicates: boolean; persistent?: boolean | "auto" }
export interface SessionBytesStoreSupplier { kind: "session"; name: string; retentionPeriodMs: number; persistent?: boolean | "auto" }

class Builder<S extends StateStore> implements StoreBuilder<S> {
  private logging = true;
  private caching = false;
  private logCfg: { [key: string]: string } = {};
  private readonly storeName: string;
  private readonly make: () => S;
  constructor(storeName: string, make: () => S) {
    this.storeName = storeName;
    this.make = make;
  }
  name(): string { return this.storeName; }
  build(): S {
    const s = this.make();
    // Key-value, window and session stores have a cache layer, as Kafka's (not join stores that keep duplicates).
    if (this.caching) (s as Partial<{ requestCaching(): void }>).requestCaching?.();
    return s;
  }
  loggingEnabled(): boolean { return this.logging; }
  logConfig(): { [key: string]: string } { return { ...this.logCfg }; }
  withLoggingEnabled(config: { [key: string]: string }): StoreBuilder<S> {
    this.logging = true;
    this.logCfg = { ...config };
    return this;
  }
  withLoggingDisabled(): StoreBuilder<S> {
    this.logging = false;
    return this;
  }
  // The cache is the broker runtime's (statestore.cache.max.bytes); the test driver runs uncached, as
  // Kafka's TopologyTestDriver effectively does by committing after every record.
  withCachingEnabled(): StoreBuilder<S> {
    this.caching = true;
    return this;
  }
  withCachingDisabled(): StoreBuilder<S> {
    this.caching = false;
    return this;
  }
}

function checkName(name: string): string {
  if (!name) throw new Error("name cannot be null or empty");
  return name;
}

export const Stores = {
  inMemoryKeyValueStore(name: string): KeyValueBytesStoreSupplier {
    return { kind: "kv", name: checkName(name) };
  },
  /** A key-value store on node:sqlite under <state.dir>/<application.id>/ (Kafka's persistentKeyValueStore). */
  persistentKeyValueStore(name: string): KeyValueBytesStoreSupplier {
    return { kind: "kv", name: checkName(name), persistent: true };
  },
  inMemoryWindowStore(name: string, retentionPeriodMs: number, windowSizeMs: number, retainDuplicates: boolean): WindowBytesStoreSupplier {
    if (windowSizeMs > retentionPeriodMs) {
      throw new Error(`The retention period of the window store ${name} must be no smaller than its window size. Got size=[${windowSizeMs}], retention=[${retentionPeriodMs}]`);
    }
    return { kind: "window", name: checkName(name), retentionPeriodMs, windowSizeMs, retainDuplicates };
  },
  /** A window store on node:sqlite in the task directory (Kafka's persistentWindowStore). */
  persistentWindowStore(name: string, retentionPeriodMs: number, windowSizeMs: number, retainDuplicates: boolean): WindowBytesStoreSupplier {
    return { ...Stores.inMemoryWindowStore(name, retentionPeriodMs, windowSizeMs, retainDuplicates), persistent: true };
  },
  inMemorySessionStore(name: string, retentionPeriodMs: number): SessionBytesStoreSupplier {
    return { kind: "session", name: checkName(name), retentionPeriodMs };
  },
  /** A session store on node:sqlite in the task directory (Kafka's persistentSessionStore). */
  persistentSessionStore(name: string, retentionPeriodMs: number): SessionBytesStoreSupplier {
    return { ...Stores.inMemorySessionStore(name, retentionPeriodMs), persistent: true };
  },
  keyValueStoreBuilder<K, V>(s: KeyValueBytesStoreSupplier, keySerde?: Serde<K>, valueSerde?: Serde<V>): StoreBuilder<KeyValueStore<K, V>> {
    if (s.persistent) return new Builder(s.name, () => new PersistentKeyValueStore<K, V>(s.name, keySerde, valueSerde, s.persistent === "auto"));
    return new Builder(s.name, () => new TypedKeyValueStore<K, V>(s.name, keySerde, valueSerde));
  },
  timestampedKeyValueStoreBuilder<K, V>(s: KeyValueBytesStoreSupplier, keySerde?: Serde<K>, valueSerde?: Serde<V>): StoreBuilder<TimestampedKeyValueStore<K, V>> {
    if (s.persistent) return new Builder(s.name, () => new PersistentTimestampedKeyValueStore<K, V>(s.name, keySerde, valueSerde, s.persistent === "auto"));
    return new Builder(s.name, () => new TimestampedKeyValueStoreImpl<K, V>(s.name, keySerde, valueSerde));
  },
  windowStoreBuilder<K, V>(s: WindowBytesStoreSupplier, keySerde?: Serde<K>, valueSerde?: Serde<V>): StoreBuilder<WindowStore<K, V>> {
    return new Builder(s.name, () => new InMemoryWindowStore<K, V>(s.name, keySerde, valueSerde, s.retentionPeriodMs, s.windowSizeMs, s.retainDuplicates, s.persistent ?? false));
  },
  timestampedWindowStoreBuilder<K, V>(s: WindowBytesStoreSupplier, keySerde?: Serde<K>, valueSerde?: Serde<V>): StoreBuilder<WindowStore<K, ValueAndTimestamp<V>>> {
    return new Builder(s.name, () => new TimestampedWindowStoreImpl<K, V>(s.name, keySerde, valueSerde, s.retentionPeriodMs, s.windowSizeMs, s.retainDuplicates, s.persistent ?? false));
  },
  sessionStoreBuilder<K, V>(s: SessionBytesStoreSupplier, keySerde?: Serde<K>, valueSerde?: Serde<V>): StoreBuilder<SessionStore<K, V>> {
    return new Builder(s.name, () => new InMemorySessionStore<K, V>(s.name, keySerde, valueSerde, s.retentionPeriodMs, s.persistent ?? false));
  },
};
