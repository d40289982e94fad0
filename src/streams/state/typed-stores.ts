/**
 * Typed stores over byte stores (Kafka's Metered* layer): serdes come from the builder or, when
 * absent, from the app's default.key.serde / default.value.serde at init.
 */
import type { Serde } from "../serdes.ts";
import { readInt64Number, writeInt64BE } from "../serdes.ts";
import { Window, Windowed } from "../windows.ts";
import type { Headers } from "../processor.ts";
import { InMemoryKeyValueBytesStore, InMemorySessionBytesStore, InMemoryWindowBytesStore, keyBytes, keyId, type SessionBytesStore } from "./bytes-stores.ts";
import { SqliteSessionBytesStore } from "./sqlite-session-store.ts";
import type { CacheEntry, NamedCache } from "./thread-cache.ts";
import { SqliteWindowBytesStore } from "./sqlite-window-store.ts";
import type { WindowBytesStore } from "./sqlite-window-store.ts";
import { join } from "node:path";
import type { BytesKeyValueStore } from "./bytes-stores.ts";
import type {
  CachedStore,
  CacheFlushListener,
  ChangeLogger,
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

/**
 * The typed window store, in memory or (persistent: true, or "auto" = when the app has a state
 * directory, the DSL's default as Kafka's) on SQLite, opened at init when the task directory is known.
 */
export class InMemoryWindowStore<K, V> extends TypedStore<K, V> implements WindowStore<K, V> {
  private inner: WindowBytesStore;
  readonly retentionMs: number;
  readonly windowSizeMs: number;
  private readonly persistentMode: boolean | "auto";
  constructor(name: string, ks: Serde<K> | undefined, vs: Serde<V> | undefined, retentionMs: number, windowSizeMs: number, retainDuplicates: boolean, persistentMode: boolean | "auto" = false) {
    super(name, ks, vs);
    this.retentionMs = retentionMs;
    this.windowSizeMs = windowSizeMs;
    this.persistentMode = persistentMode;
    this.inner = new InMemoryWindowBytesStore(retentionMs, retainDuplicates);
  }
  override init(ctx: StateStoreContext): void {
    super.init(ctx);
    if (!this.persistentMode) return;
    const dir = ctx.taskDir?.() ?? (ctx.stateDir?.() ? join(ctx.stateDir()!, ctx.applicationId()) : undefined);
    if (!dir) {
      if (this.persistentMode === true) throw new Error(`Persistent state store '${this.storeName}' needs state.dir to be set`);
      return;
    }
    this.inner = new SqliteWindowBytesStore(dir, this.storeName, this.retentionMs, this.inner.retainDuplicates);
  }
  override persistent(): boolean { return (this.inner as { persistent?: boolean }).persistent === true; }
  override flush(): void { this.inner.flush?.(); }
  override close(): void {
    this.inner.close?.();
    super.close();
  }
  private seqnum = 0;
  put(key: K, value: V | null, windowStartMs: number): void {
    const kb = this.k(key);
    const vb = value === null ? null : this.v(value);
    this.inner.put(kb, vb, windowStartMs);
    if (this.logger) {
      // Kafka's WindowKeySchema store key: key bytes, 8-byte window start, 4-byte sequence number.
      if (this.inner.retainDuplicates) this.seqnum = (this.seqnum + 1) & 0x7fffffff;
      this.logWindowChange(windowStoreKey(kb, windowStartMs, this.inner.retainDuplicates ? this.seqnum : 0), vb);
    }
  }
  /** Changelog value of a window write; the timestamped store overrides it (Kafka's format). */
  protected logWindowChange(storeKey: Buffer, value: Buffer | null): void {
    this.logger!.log(storeKey, value);
  }
  /** Store bytes for a changelog value (inverse of logWindowChange). */
  protected restoredValue(value: Buffer | null, _timestamp: number): Buffer | null {
    return value;
  }
  restoreRecord(key: Buffer, value: Buffer | null, timestamp: number): void {
    const raw = key.subarray(0, key.length - 12);
    this.inner.put(raw, this.restoredValue(value, timestamp), readInt64Number(key, key.length - 12));
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
  private inner: SessionBytesStore;
  readonly retentionMs: number;
  private readonly persistentMode: boolean | "auto";
  constructor(name: string, ks: Serde<K> | undefined, vs: Serde<V> | undefined, retentionMs: number, persistentMode: boolean | "auto" = false) {
    super(name, ks, vs);
    this.retentionMs = retentionMs;
    this.persistentMode = persistentMode;
    this.inner = new InMemorySessionBytesStore(retentionMs);
  }
  // Persistent ("auto": when the app has a state.dir) as the window store: sqlite in the task directory.
  override init(ctx: StateStoreContext): void {
    super.init(ctx);
    if (!this.persistentMode) return;
    const dir = ctx.taskDir?.() ?? (ctx.stateDir?.() ? join(ctx.stateDir()!, ctx.applicationId()) : undefined);
    if (!dir) {
      if (this.persistentMode === true) throw new Error(`Persistent state store '${this.storeName}' needs state.dir to be set`);
      return;
    }
    this.inner = new SqliteSessionBytesStore(dir, this.storeName, this.retentionMs);
  }
  override persistent(): boolean { return (this.inner as { persistent?: boolean }).persistent === true; }
  override flush(): void { this.inner.flush?.(); }
  override close(): void {
    this.inner.close?.();
    super.close();
  }
  put(sessionKey: Windowed<K>, aggregate: V | null): void {
    const w = sessionKey.window();
    const kb = this.k(sessionKey.key());
    const vb = aggregate === null ? null : this.v(aggregate);
    this.inner.put(kb, w.start(), w.end(), vb);
    // Kafka's SessionKeySchema: key bytes, 8-byte end, 8-byte start.
    if (this.logger) this.logger.log(Buffer.concat([kb, be64(w.end()), be64(w.start())]), vb);
  }
  restoreRecord(key: Buffer, value: Buffer | null, _timestamp: number): void {
    const n = key.length - 16;
    this.inner.put(key.subarray(0, n), readInt64Number(key, n + 8), readInt64Number(key, n), value);
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
  constructor(name: string, ks: Serde<K> | undefined, plainValueSerde: Serde<V> | undefined, retentionMs: number, windowSizeMs: number, retainDuplicates: boolean, persistentMode: boolean | "auto" = false) {
    super(name, ks, undefined, retentionMs, windowSizeMs, retainDuplicates, persistentMode);
    this.plainValueSerde = plainValueSerde;
  }
  override init(ctx: StateStoreContext): void {
    const vs = resolve(this.storeName, "value", this.plainValueSerde, ctx);
    super.init({ ...ctx, applicationId: () => ctx.applicationId(), keySerde: () => ctx.keySerde(), valueSerde: () => timestampedSerde(vs) as Serde<unknown> });
  }
  // As Kafka's timestamped changelogs: the plain value, the ValueAndTimestamp's timestamp as record timestamp.
  protected override logWindowChange(storeKey: Buffer, value: Buffer | null): void {
    if (value === null) this.logger!.log(storeKey, null);
    else this.logger!.log(storeKey, value.subarray(8), readInt64Number(value, 0));
  }
  protected override restoredValue(value: Buffer | null, timestamp: number): Buffer | null {
    if (value === null) return null;
    const b = Buffer.alloc(8 + value.length);
    writeInt64BE(b, timestamp);
    value.copy(b, 8);
    return b;
  }
}

function be64(n: number): Buffer {
  const b = Buffer.alloc(8);
  writeInt64BE(b, n);
  return b;
}
function windowStoreKey(key: Buffer, start: number, seq: number): Buffer {
  const b = Buffer.alloc(key.length + 12);
  key.copy(b, 0);
  writeInt64BE(b, start, key.length);
  b.writeInt32BE(seq, key.length + 8);
  return b;
}
