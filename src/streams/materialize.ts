/** Turn a Materialized (or nothing) into a named store builder, with Kafka's generated names. */
import type { Materialized } from "./dsl-options.ts";
import type { InternalStreamsBuilder } from "./internal-builder.ts";
import type { Serde } from "./serdes.ts";
import type { SessionStore, StateStore, StoreBuilder, TimestampedKeyValueStore, ValueAndTimestamp, WindowStore } from "./state/state-store.ts";
import { Stores } from "./state/stores.ts";

export interface MaterializedStore<S extends StateStore> {
  storeName: string;
  /** True when the user named the store (queryable, e.g. by the test driver's getKeyValueStore). */
  queryable: boolean;
  builder: StoreBuilder<S>;
}

/** Materialized's caching (on by default, as Kafka's: withCachingDisabled() turns it off) and logging. */
function materialized<S extends StateStore>(name: { name: string; queryable: boolean }, b: StoreBuilder<S>, m: Materialized<unknown, unknown> | undefined): MaterializedStore<S> {
  if (m?.cachingEnabled ?? true) b.withCachingEnabled();
  const logged = m && !m.loggingEnabled ? b.withLoggingDisabled() : b.withLoggingEnabled(m?.topicConfig ?? {});
  return { storeName: name.name, queryable: name.queryable, builder: logged };
}

export function storeNameFor(builder: InternalStreamsBuilder, m: Materialized<unknown, unknown> | undefined, prefix: string): { name: string; queryable: boolean } {
  if (m?.storeName) return { name: m.storeName, queryable: true };
  return { name: builder.newStoreName(prefix), queryable: false };
}

export function keyValueStore<K, V>(
  name: { name: string; queryable: boolean },
  m: Materialized<K, V> | undefined,
  keySerde: Serde<K> | undefined,
  valueSerde: Serde<V> | undefined,
): MaterializedStore<TimestampedKeyValueStore<K, V>> {
  if (m?.storeSupplier && m.storeSupplier.kind !== "kv") throw new Error(`Materialized store supplier for ${name.name} must be a key-value store supplier`);
  const supplier = m?.storeSupplier?.kind === "kv" ? m.storeSupplier : { kind: "kv" as const, name: name.name, persistent: "auto" as const };
  const b = Stores.timestampedKeyValueStoreBuilder(supplier, m?.keySerde ?? keySerde, m?.valueSerde ?? valueSerde);
  return materialized(name, b, m as Materialized<unknown, unknown> | undefined);
}

export function windowStore<K, V>(
  name: { name: string; queryable: boolean },
  m: Materialized<K, V> | undefined,
  keySerde: Serde<K> | undefined,
  valueSerde: Serde<V> | undefined,
  windowSizeMs: number,
  minRetentionMs: number,
): MaterializedStore<WindowStore<K, ValueAndTimestamp<V>>> {
  const retention = m?.retentionMs ?? minRetentionMs;
  if (retention < minRetentionMs) {
    throw new Error(`The retention period of the window store ${name.name} must be no smaller than its window size plus the grace period. Got size=[${windowSizeMs}], grace=[${minRetentionMs - windowSizeMs}], retention=[${retention}]`);
  }
  // Persistent by default when the app has a state directory, as Kafka's DSL window stores.
  const supplier = { ...Stores.inMemoryWindowStore(name.name, retention, windowSizeMs, false), persistent: "auto" as const };
  const b = Stores.timestampedWindowStoreBuilder<K, V>(
    supplier,
    m?.keySerde ?? keySerde,
    m?.valueSerde ?? valueSerde,
  );
  // Cached by default, as Kafka's (CachingWindowStore).
  return materialized(name, b, m as Materialized<unknown, unknown> | undefined);
}

export function sessionStore<K, V>(
  name: { name: string; queryable: boolean },
  m: Materialized<K, V> | undefined,
  keySerde: Serde<K> | undefined,
  valueSerde: Serde<V> | undefined,
  minRetentionMs: number,
): MaterializedStore<SessionStore<K, V>> {
  const retention = m?.retentionMs ?? minRetentionMs;
  // As for windows: the DSL's default session store is persistent when the app has a state.dir.
  const supplier = { ...Stores.inMemorySessionStore(name.name, retention), persistent: "auto" as const };
  const b = Stores.sessionStoreBuilder<K, V>(supplier, m?.keySerde ?? keySerde, m?.valueSerde ?? valueSerde);
  return materialized(name, b, m as Materialized<unknown, unknown> | undefined);
}
