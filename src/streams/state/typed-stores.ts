/**
 * Typed stores over byte stores (Kafka's Metered* layer): serdes come from the builder or, when
 * absent, from the app's default.key.serde / default.value.serde at init.
 */
import type { Serde } from "../serdes.ts";
import { Window, Windowed } from "../windows.ts";
import { InMemoryKeyValueBytesStore, InMemorySessionBytesStore, InMemoryWindowBytesStore } from "./bytes-stores.ts";
import type { BytesKeyValueStore } from "./bytes-stores.ts";
import type {
  KeyValue,
  KeyValueStore,
  SessionStore,
  StateStoreContext,
  ValueAndTimestamp,
  WindowStore,
} from "./state-store.ts";

function resolve<T>(store: string, what: "key" | "value", own: Serde<T> | undefined, ctx: StateStoreContext): Serde<T> {
  const s = own ?? (what === "key" ? ctx.keySerde() : ctx.valueSerde());
  if (!s) {
    throw new Error(`No ${what} serde for state store '${store}': pass one (Materialized.with…) or set default.${what}.serde`);
  }
  return s as Serde<T>;
}

abstract class TypedStore<K, V> {
  protected ks!: Serde<K>;
  protected vs!: Serde<V>;
  private open = false;
  protected readonly storeName: string;
  private readonly keySerdeOpt: Serde<K> | undefined;
  private readonly valueSerdeOpt: Serde<V> | undefined;
  constructor(storeName: string, keySerdeOpt: Serde<K> | undefined, valueSerdeOpt: Serde<V> | undefined) {
    this.storeName = storeName;
    this.keySerdeOpt = keySerdeOpt;
    this.valueSerdeOpt = valueSerdeOpt;
  }
  name(): string { return this.storeName; }
  init(ctx: StateStoreContext): void {
    this.ks = resolve(this.storeName, "key", this.keySerdeOpt, ctx);
    this.vs = resolve(this.storeName, "value", this.valueSerdeOpt, ctx);
    this.open = true;
  }
  persistent(): boolean { return false; }
  isOpen(): boolean { return this.open; }
  flush(): void {}
  close(): void { this.open = false; }
  protected k(key: K): Buffer {
    if (key === null || key === undefined) throw new Error(`key cannot be null (store '${this.storeName}')`);
    return this.ks.serializer().serialize(this.storeName, key)!;
  }
  protected dk(b: Buffer): K { return this.ks.deserializer().deserialize(this.storeName, b) as K; }
  protected v(value: V): Buffer { return this.vs.serializer().serialize(this.storeName, value)!; }
  protected dv(b: Buffer): V { return this.vs.deserializer().deserialize(this.storeName, b) as V; }
}

export class TypedKeyValueStore<K, V> extends TypedStore<K, V> implements KeyValueStore<K, V> {
  protected readonly inner: BytesKeyValueStore;
  constructor(name: string, ks: Serde<K> | undefined, vs: Serde<V> | undefined, inner: BytesKeyValueStore = new InMemoryKeyValueBytesStore()) {
    super(name, ks, vs);
    this.inner = inner;
  }
  get(key: K): V | null {
    const b = this.inner.get(this.k(key));
    return b === null ? null : this.dv(b);
  }
  put(key: K, value: V | null): void {
    this.inner.put(this.k(key), value === null || value === undefined ? null : this.v(value));
  }
  putIfAbsent(key: K, value: V): V | null {
    const old = this.get(key);
    if (old === null) this.put(key, value);
    return old;
  }
  putAll(entries: Array<KeyValue<K, V>>): void {
    for (const e of entries) this.put(e.key, e.value);
  }
  delete(key: K): V | null {
    const b = this.inner.delete(this.k(key));
    return b === null ? null : this.dv(b);
  }
  range(from: K | undefined, to: K | undefined): Array<KeyValue<K, V>> {
    return this.inner
      .range(from === undefined ? undefined : this.k(from), to === undefined ? undefined : this.k(to))
      .map(([k, v]) => ({ key: this.dk(k), value: this.dv(v) }));
  }
  all(): Array<KeyValue<K, V>> { return this.range(undefined, undefined); }
  approximateNumEntries(): number { return this.inner.size(); }
  override persistent(): boolean { return (this.inner as { persistent?: boolean }).persistent === true; }
  override close(): void {
    (this.inner as { close?: () => void }).close?.();
    super.close();
  }
}

/** Kafka's ValueAndTimestamp binary format: 8-byte timestamp then the value bytes. */
export function timestampedSerde<V>(inner: Serde<V>): Serde<ValueAndTimestamp<V>> {
  return {
    serializer: () => ({
      serialize: (t, d) => {
        if (d === null || d === undefined) return null;
        const v = inner.serializer().serialize(t, d.value) ?? Buffer.alloc(0);
        const b = Buffer.alloc(8 + v.length);
        b.writeBigInt64BE(BigInt(d.timestamp));
        v.copy(b, 8);
        return b;
      },
    }),
    deserializer: () => ({
      deserialize: (t, b) => {
        if (b === null || b === undefined) return null;
        return { timestamp: Number(b.readBigInt64BE(0)), value: inner.deserializer().deserialize(t, b.subarray(8)) as V };
      },
    }),
  };
}

export class TimestampedKeyValueStoreImpl<K, V> extends TypedKeyValueStore<K, ValueAndTimestamp<V>> {
  private readonly plainValueSerde: Serde<V> | undefined;
  constructor(name: string, ks: Serde<K> | undefined, plainValueSerde: Serde<V> | undefined, inner?: BytesKeyValueStore) {
    super(name, ks, undefined, inner);
    this.plainValueSerde = plainValueSerde;
  }
  override init(ctx: StateStoreContext): void {
    const vs = resolve(this.storeName, "value", this.plainValueSerde, ctx);
    super.init({ ...ctx, applicationId: () => ctx.applicationId(), keySerde: () => ctx.keySerde(), valueSerde: () => timestampedSerde(vs) as Serde<unknown> });
  }
}

export class InMemoryWindowStore<K, V> extends TypedStore<K, V> implements WindowStore<K, V> {
  private readonly inner: InMemoryWindowBytesStore;
  readonly retentionMs: number;
  readonly windowSizeMs: number;
  constructor(name: string, ks: Serde<K> | undefined, vs: Serde<V> | undefined, retentionMs: number, windowSizeMs: number, retainDuplicates: boolean) {
    super(name, ks, vs);
    this.retentionMs = retentionMs;
    this.windowSizeMs = windowSizeMs;
    this.inner = new InMemoryWindowBytesStore(retentionMs, retainDuplicates);
  }
  put(key: K, value: V | null, windowStartMs: number): void {
    this.inner.put(this.k(key), value === null ? null : this.v(value), windowStartMs);
  }
  fetch(key: K, windowStartMs: number): V | null {
    const e = this.inner.fetch(this.k(key), windowStartMs, windowStartMs)[0];
    return e ? this.dv(e.value) : null;
  }
  fetchRange(key: K, timeFrom: number, timeTo: number): Array<KeyValue<number, V>> {
    return this.inner.fetch(this.k(key), timeFrom, timeTo).map((e) => ({ key: e.start, value: this.dv(e.value) }));
  }
  fetchAll(timeFrom: number, timeTo: number): Array<KeyValue<Windowed<K>, V>> {
    return this.inner.fetchAll(timeFrom, timeTo).map((e) => ({
      key: new Windowed(this.dk(e.key), new Window(e.start, e.start + this.windowSizeMs)),
      value: this.dv(e.value),
    }));
  }
  all(): Array<KeyValue<Windowed<K>, V>> { return this.fetchAll(0, Number.MAX_SAFE_INTEGER); }
}

export class InMemorySessionStore<K, V> extends TypedStore<K, V> implements SessionStore<K, V> {
  private readonly inner: InMemorySessionBytesStore;
  readonly retentionMs: number;
  constructor(name: string, ks: Serde<K> | undefined, vs: Serde<V> | undefined, retentionMs: number) {
    super(name, ks, vs);
    this.retentionMs = retentionMs;
    this.inner = new InMemorySessionBytesStore(retentionMs);
  }
  put(sessionKey: Windowed<K>, aggregate: V | null): void {
    const w = sessionKey.window();
    this.inner.put(this.k(sessionKey.key()), w.start(), w.end(), aggregate === null ? null : this.v(aggregate));
  }
  remove(sessionKey: Windowed<K>): void { this.put(sessionKey, null); }
  findSessions(key: K, earliestSessionEndTime: number, latestSessionStartTime: number): Array<KeyValue<Windowed<K>, V>> {
    return this.inner
      .find(this.k(key), earliestSessionEndTime, latestSessionStartTime)
      .map((e) => ({ key: new Windowed(key, new Window(e.start, e.end)), value: this.dv(e.value) }));
  }
  fetchSession(key: K, start: number, end: number): V | null {
    const hit = this.findSessions(key, end, start).find((e) => e.key.window().start() === start && e.key.window().end() === end);
    return hit ? hit.value : null;
  }
  fetch(key: K): Array<KeyValue<Windowed<K>, V>> { return this.findSessions(key, 0, Number.MAX_SAFE_INTEGER); }
}

/** Window store of ValueAndTimestamp, resolving the plain value serde (or the default) at init. */
export class TimestampedWindowStoreImpl<K, V> extends InMemoryWindowStore<K, ValueAndTimestamp<V>> {
  private readonly plainValueSerde: Serde<V> | undefined;
  constructor(name: string, ks: Serde<K> | undefined, plainValueSerde: Serde<V> | undefined, retentionMs: number, windowSizeMs: number, retainDuplicates: boolean) {
    super(name, ks, undefined, retentionMs, windowSizeMs, retainDuplicates);
    this.plainValueSerde = plainValueSerde;
  }
  override init(ctx: StateStoreContext): void {
    const vs = resolve(this.storeName, "value", this.plainValueSerde, ctx);
    super.init({ applicationId: () => ctx.applicationId(), keySerde: () => ctx.keySerde(), valueSerde: () => timestampedSerde(vs) as Serde<unknown> });
  }
}
