/**
 * Interactive-query views (Kafka's CompositeReadOnlyKeyValueStore / …WindowStore): one read-only store
 * over the same-named store of every local task. The DSL's timestamped stores are shown value-only, as
 * Kafka's `QueryableStoreTypes.keyValueStore()` does. The task list is re-read on every call, so a view
 * stays valid across rebalances.
 */
import type { KeyValue, ReadOnlyKeyValueStore, ReadOnlyWindowStore, StateStore } from "../state/state-store.ts";
import { TimestampedKeyValueStoreImpl } from "../state/typed-stores.ts";
import { TimestampedWindowStoreImpl } from "../state/typed-window-stores.ts";
import type { Windowed } from "../windows.ts";

const unwrap = (s: StateStore, v: unknown): unknown =>
  (s instanceof TimestampedKeyValueStoreImpl || s instanceof TimestampedWindowStoreImpl) && v !== null && v !== undefined ? (v as { value: unknown }).value : v;

function checkOpen(name: string, stores: StateStore[]): StateStore[] {
  for (const s of stores) if (!s.isOpen()) throw new Error(`State store ${name} may have migrated to another instance.`);
  return stores;
}

export function compositeKeyValueView<K, V>(name: string, stores: () => StateStore[]): ReadOnlyKeyValueStore<K, V> {
  const kv = () => checkOpen(name, stores()) as Array<StateStore & ReadOnlyKeyValueStore<K, unknown>>;
  const collect = (f: (s: ReadOnlyKeyValueStore<K, unknown>) => Array<KeyValue<K, unknown>>): Array<KeyValue<K, V>> =>
    kv().flatMap((s) => f(s).map((e) => ({ key: e.key, value: unwrap(s, e.value) as V })));
  return {
    get(key: K): V | null {
      for (const s of kv()) {
        const v = s.get(key);
        if (v !== null && v !== undefined) return unwrap(s, v) as V;
      }
      return null;
    },
    range: (from, to) => collect((s) => s.range(from, to)),
    all: () => collect((s) => s.all()),
    approximateNumEntries: () => kv().reduce((n, s) => n + s.approximateNumEntries(), 0),
  };
}

export function compositeWindowView<K, V>(name: string, stores: () => StateStore[]): ReadOnlyWindowStore<K, V> {
  const ws = () => checkOpen(name, stores()) as Array<StateStore & ReadOnlyWindowStore<K, unknown>>;
  return {
    fetch(key: K, windowStartMs: number): V | null {
      for (const s of ws()) {
        const v = s.fetch(key, windowStartMs);
        if (v !== null && v !== undefined) return unwrap(s, v) as V;
      }
      return null;
    },
    fetchRange: (key, from, to) => ws().flatMap((s) => s.fetchRange(key, from, to).map((e) => ({ key: e.key, value: unwrap(s, e.value) as V }))),
    fetchAll: (from, to) => ws().flatMap((s) => s.fetchAll(from, to).map((e): KeyValue<Windowed<K>, V> => ({ key: e.key, value: unwrap(s, e.value) as V }))),
    all: () => ws().flatMap((s) => s.all().map((e): KeyValue<Windowed<K>, V> => ({ key: e.key, value: unwrap(s, e.value) as V }))),
  };
}
