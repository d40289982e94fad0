/**
 * Typed stores over byte stores (Kafka's Metered* layer): serdes come from the builder or, when
 * absent, from the app's default.key.serde / default.value.serde at init. The key-value stores are
 * here; window and session stores in typed-window-stores.ts.
 */
import type { Serde } from "../serdes.ts";
import { readInt64Number, writeInt64BE } from "../serdes.ts";
import type { Headers } from "../processor.ts";
import { InMemoryKeyValueBytesStore, keyBytes, keyId } from "./bytes-stores.ts";
import type { CacheEntry, NamedCache } from "./thread-cache.ts";
import type { BytesKeyValueStore } from "./bytes-stores.ts";
import type { CachedStore, CacheFlushListener, ChangeLogger, KeyValue, KeyValueStore, StateStoreContext, ValueAndTimestamp } from "./state-store.ts";

export function resolve<T>(store: string, what: "key" | "value", own: Serde<T> | undefined, ctx: StateStoreContext): Serde<T> {
  const s = own ?? (what === "key" ? ctx.keySerde() : ctx.valueSerde());
  if (!s) {
    throw new Error(`No ${what} serde for state store '${store}': pass one (Materialized.with…) or set default.${what}.serde`);
  }
  return s as Serde<T>;
}

export abstract class TypedStore<K, V> {
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
  protected logger: ChangeLogger | undefined;
  name(): string { return this.storeName; }
  setChangeLogger(logger: ChangeLogger | undefined): void { this.logger = logger; }
  init(ctx: StateStoreContext): void {
    this.ks = resolve(this.storeName, "key", this.keySerdeOpt, ctx);
    this.vs = resolve(this.storeName, "value", this.valueSerdeOpt, ctx);
    this.open = true;
  }
  persistent(): boolean { return false; }
  isOpen(): boolean { return this.open; }
  flush(): void {}
  close(): void { this.open = false; }
  private lastKey: unknown = undefined;
  private lastKeyBytes: Buffer | null = null;
  protected k(key: K): Buffer {
    if (key === null || key === undefined) throw new Error(`key cannot be null (store '${this.storeName}')`);
    // An aggregation gets then puts the same key: serialize it once. Only primitive keys are
    // remembered (a Buffer or object key could change between calls; a string or number cannot).
    if (key === this.lastKey && this.lastKeyBytes !== null) return this.lastKeyBytes;
    const kb = this.ks.serializer().serialize(this.storeName, key)!;
    if (typeof key === "string" || typeof key === "number") {
      this.lastKey = key;
      this.lastKeyBytes = kb;
    }
    return kb;
  }
  protected dk(b: Buffer): K { return this.ks.deserializer().deserialize(this.storeName, b) as K; }
  protected v(value: V): Buffer { return this.vs.serializer().serialize(this.storeName, value)!; }
  protected dv(b: Buffer): V { return this.vs.deserializer().deserialize(this.storeName, b) as V; }
}

export class TypedKeyValueStore<K, V> extends TypedStore<K, V> implements KeyValueStore<K, V>, CachedStore<K, V> {
  protected readonly inner: BytesKeyValueStore;
  private cachingRequested = false;
  /** Set at init when caching was requested and the runtime has a record cache (Kafka's CachingKeyValueStore). */
  private cache: NamedCache | undefined;
  private recordContext: (() => { timestamp: number; headers: Headers }) | undefined;
  private flushListener: CacheFlushListener<K, V> | undefined;
  constructor(name: string, ks: Serde<K> | undefined, vs: Serde<V> | undefined, inner: BytesKeyValueStore = new InMemoryKeyValueBytesStore()) {
    super(name, ks, vs);
    this.inner = inner;
  }
  /** The builder's withCachingEnabled(): cache if the runtime offers a cache at init. */
  requestCaching(): void {
    this.cachingRequested = true;
  }
  override init(ctx: StateStoreContext): void {
    super.init(ctx);
    const threadCache = this.cachingRequested ? ctx.cache?.() : undefined;
    if (threadCache) {
      this.cache = threadCache.namedCache(this.storeName, (dirty) => this.flushEntries(dirty), (d) => this.v(this.fromReusable(d)));
      this.recordContext = ctx.recordContext;
    }
  }
  setFlushListener(listener: CacheFlushListener<K, V>): boolean {
    this.flushListener = listener;
    return this.cache !== undefined;
  }
  get(key: K): V | null {
    const kb = this.k(key);
    if (this.cache) {
      // A hit hands out the value the write cached (no deserialization) when that is safe to share.
      const e = this.cache.get(kb);
      if (e) return e.value === null ? null : e.decoded !== undefined ? this.fromReusable(e.decoded) : this.dv(e.value);
      const b = this.inner.get(kb);
      if (b === null) return null;
      const v = this.dv(b);
      this.cache.put(kb, b, false, -1, [], this.reusable(v));
      return v;
    }
    const b = this.inner.get(kb);
    return b === null ? null : this.dv(b);
  }
  /**
   * What the cache may keep of a written value to hand out again on a hit instead of deserializing
   * the bytes: only immutable values (a primitive), so a caller mutating what get() returned cannot
   * change the cached write, as it cannot in Kafka's byte cache. undefined = deserialize on a hit.
   */
  protected reusable(v: V | null): unknown {
    return v === null || typeof v === "object" || typeof v === "function" ? undefined : v;
  }
  protected fromReusable(d: unknown): V {
    return d as V;
  }
  private getBytes(kb: Buffer): Buffer | null {
    if (!this.cache) return this.inner.get(kb);
    const e = this.cache.get(kb);
    if (e) return e.value;
    const b = this.inner.get(kb);
    if (b !== null) this.cache.put(kb, b, false, -1, []);
    return b;
  }
  put(key: K, value: V | null): void {
    const kb = this.k(key);
    if (this.cache && value !== null && value !== undefined) {
      // Updating a cached value (a count): serialized once at flush instead of at every write.
      const d = this.reusable(value);
      if (d !== undefined) {
        const rc = this.recordContext?.() ?? { timestamp: -1, headers: [] };
        if (this.cache.putDecoded(kb, d, rc.timestamp, rc.headers)) return;
      }
    }
    const vb = value === null || value === undefined ? null : this.v(value);
    this.write(kb, vb, vb === null ? undefined : this.reusable(value));
  }
  private write(kb: Buffer, vb: Buffer | null, decoded?: unknown): void {
    if (this.cache) {
      const rc = this.recordContext?.() ?? { timestamp: -1, headers: [] };
      this.cache.put(kb, vb, true, rc.timestamp, rc.headers, decoded);
      return;
    }
    this.inner.put(kb, vb);
    if (this.logger) this.logChange(kb, vb);
  }
  /**
   * The cache's dirty entries reach the store, the changelog and (through the flush listener) the
   * processor's children, each with the old value the store held (Kafka's putAndMaybeForward).
   */
  private flushEntries(dirty: CacheEntry[]): void {
    for (const e of dirty) {
      const old = this.inner.get(e.key);
      if (e.value === null && old === null) continue; // deleting an absent key changes nothing
      this.inner.put(e.key, e.value);
      if (this.logger) this.logChange(e.key, e.value, e.timestamp);
      this.flushListener?.(this.dk(e.key), e.value === null ? null : this.dv(e.value), old === null ? null : this.dv(old), e.timestamp, e.headers);
    }
  }
  /** Changelog format of a key-value write; the timestamped store overrides it (Kafka's format). */
  protected logChange(key: Buffer, value: Buffer | null, timestamp?: number): void {
    this.logger!.log(key, value, timestamp !== undefined && timestamp >= 0 ? timestamp : undefined);
  }
  restoreRecord(key: Buffer, value: Buffer | null, _timestamp: number): void {
    this.inner.put(key, value);
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
    const kb = this.k(key);
    let b: Buffer | null;
    if (this.cache) {
      b = this.getBytes(kb);
      this.write(kb, null);
    } else {
      b = this.inner.delete(kb);
      if (this.logger) this.logChange(kb, null);
    }
    return b === null ? null : this.dv(b);
  }
  range(from: K | undefined, to: K | undefined): Array<KeyValue<K, V>> {
    const lo = from === undefined ? undefined : this.k(from);
    const hi = to === undefined ? undefined : this.k(to);
    let rows = this.inner.range(lo, hi);
    if (this.cache) {
      // Kafka's MergedSortedCacheKeyValueBytesStoreIterator: cached writes shadow the store's rows.
      const merged = new Map<string, Buffer>(rows.map(([k, v]) => [keyId(k), v]));
      for (const e of this.cache.entriesIn(lo && keyId(lo), hi && keyId(hi))) {
        if (e.value === null) merged.delete(keyId(e.key));
        else merged.set(keyId(e.key), e.value);
      }
      rows = [...merged.keys()].sort().map((id) => [keyBytes(id), merged.get(id)!]);
    }
    return rows.map(([k, v]) => ({ key: this.dk(k), value: this.dv(v) }));
  }
  all(): Array<KeyValue<K, V>> { return this.range(undefined, undefined); }
  approximateNumEntries(): number { return this.inner.size() + (this.cache?.size() ?? 0); }
  /** Commit: the cache's dirty entries go down (and downstream) first, then the store makes them durable. */
  override flush(): void {
    this.cache?.flush();
    this.inner.flush?.();
  }
  /** Whether writes are waiting in the cache (the task flushes until none are). */
  hasCachedWrites(): boolean {
    return this.cache?.hasDirty() ?? false;
  }
  override persistent(): boolean { return (this.inner as { persistent?: boolean }).persistent === true; }
  override close(): void {
    // Called after a commit flushed the cache, or on a dirty close whose writes must not surface.
    this.cache?.clear();
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
        const b = Buffer.allocUnsafe(8 + v.length); // every byte is written below
        writeInt64BE(b, d.timestamp);
        v.copy(b, 8);
        return b;
      },
    }),
    deserializer: () => ({
      deserialize: (t, b) => {
        if (b === null || b === undefined) return null;
        return { timestamp: readInt64Number(b, 0), value: inner.deserializer().deserialize(t, b.subarray(8)) as V };
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
  // A ValueAndTimestamp of a primitive (a count, a sum) is reusable as a copy: each get gets its own object.
  protected override reusable(v: ValueAndTimestamp<V> | null): unknown {
    if (v === null || v === undefined) return undefined;
    const x = v.value as unknown;
    return x === null || typeof x === "object" || typeof x === "function" ? undefined : { value: x, timestamp: v.timestamp };
  }
  protected override fromReusable(d: unknown): ValueAndTimestamp<V> {
    const vt = d as ValueAndTimestamp<V>;
    return { value: vt.value, timestamp: vt.timestamp };
  }
  // Kafka's timestamped changelog: the plain value, the ValueAndTimestamp's timestamp as record timestamp.
  protected override logChange(key: Buffer, value: Buffer | null, timestamp?: number): void {
    if (value === null) this.logger!.log(key, null, timestamp !== undefined && timestamp >= 0 ? timestamp : undefined);
    else this.logger!.log(key, value.subarray(8), readInt64Number(value, 0));
  }
  override restoreRecord(key: Buffer, value: Buffer | null, timestamp: number): void {
    if (value === null) return this.inner.put(key, null);
    const b = Buffer.alloc(8 + value.length);
    writeInt64BE(b, timestamp);
    value.copy(b, 8);
    this.inner.put(key, b);
  }
}
