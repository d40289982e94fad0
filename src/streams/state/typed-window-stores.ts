/**
 * The typed window and session stores (Kafka's Metered → Caching → ChangeLogging layers over a byte
 * store): in memory or (persistent: true, or "auto" = when the app has a state directory, the DSL's
 * default as Kafka's) on SQLite, opened at init when the task directory is known.
 *
 * With caching requested (Materialized's default, as Kafka's) and a record cache in the runtime
 * (statestore.cache.max.bytes > 0), writes go to the cache keyed by the store key (key + window, as
 * Kafka's CachingWindowStore / CachingSessionStore): repeated updates of one window or session
 * between commits collapse into one, which reaches the store, its changelog and — through the flush
 * listener — the processor's children only when the cache is flushed (commit) or evicts it. Reads see
 * the cache over the store. The cache, flush and persistence they share are in cached-windowed-store.ts.
 */
import { readInt64Number, writeInt64BE } from "../serdes.ts";
import type { Serde } from "../serdes.ts";
import { Window, Windowed } from "../windows.ts";
import { InMemorySessionBytesStore, InMemoryWindowBytesStore, keyId, type SessionBytesStore } from "./bytes-stores.ts";
import { CachedWindowedStore, type WindowedStoreKey } from "./cached-windowed-store.ts";
import { SqliteSessionBytesStore } from "./sqlite-session-store.ts";
import { SqliteWindowBytesStore } from "./sqlite-window-store.ts";
import type { WindowBytesStore } from "./sqlite-window-store.ts";
import type { KeyValue, SessionStore, StateStoreContext, ValueAndTimestamp, WindowStore } from "./state-store.ts";
import { resolve, timestampedSerde } from "./typed-stores.ts";

/** Kafka's WindowKeySchema store key: key bytes, 8-byte window start, 4-byte sequence number. */
export function windowStoreKey(key: Buffer, start: number, seq: number): Buffer {
  const b = Buffer.alloc(key.length + 12);
  key.copy(b, 0);
  writeInt64BE(b, start, key.length);
  b.writeInt32BE(seq, key.length + 8);
  return b;
}
/** Kafka's SessionKeySchema: key bytes, 8-byte end, 8-byte start. */
function sessionStoreKey(key: Buffer, start: number, end: number): Buffer {
  const b = Buffer.alloc(key.length + 16);
  key.copy(b, 0);
  writeInt64BE(b, end, key.length);
  writeInt64BE(b, start, key.length + 8);
  return b;
}

export class InMemoryWindowStore<K, V> extends CachedWindowedStore<K, V, WindowBytesStore> implements WindowStore<K, V> {
  readonly windowSizeMs: number;
  constructor(name: string, ks: Serde<K> | undefined, vs: Serde<V> | undefined, retentionMs: number, windowSizeMs: number, retainDuplicates: boolean, persistentMode: boolean | "auto" = false) {
    super(name, ks, vs, retentionMs, new InMemoryWindowBytesStore(retentionMs, retainDuplicates), persistentMode);
    this.windowSizeMs = windowSizeMs;
  }
  /** Kafka does not cache a store that keeps duplicates (join stores). */
  protected override cacheable(): boolean {
    return !this.inner.retainDuplicates;
  }
  protected openPersistent(dir: string): WindowBytesStore {
    return new SqliteWindowBytesStore(dir, this.storeName, this.retentionMs, this.inner.retainDuplicates);
  }
  protected decodeStoreKey(storeKey: Buffer): WindowedStoreKey {
    const n = storeKey.length - 12;
    const start = readInt64Number(storeKey, n);
    return { kb: storeKey.subarray(0, n), start, end: start + this.windowSizeMs };
  }
  protected storedValue(kb: Buffer, start: number): Buffer | null {
    return this.inner.fetch(kb, start, start)[0]?.value ?? null;
  }
  private seqnum = 0;
  put(key: K, value: V | null, windowStartMs: number): void {
    const kb = this.k(key);
    const vb = value === null ? null : this.v(value);
    if (this.cached) return this.putCached(kb, windowStoreKey(kb, windowStartMs, 0), vb);
    this.writeThrough(kb, windowStartMs, windowStartMs + this.windowSizeMs, vb);
  }
  protected writeThrough(kb: Buffer, windowStartMs: number, _end: number, vb: Buffer | null, timestamp?: number): void {
    this.inner.put(kb, vb, windowStartMs);
    if (this.logger) {
      if (this.inner.retainDuplicates) this.seqnum = (this.seqnum + 1) & 0x7fffffff;
      this.logWindowChange(windowStoreKey(kb, windowStartMs, this.inner.retainDuplicates ? this.seqnum : 0), vb, timestamp);
    }
  }
  /** Changelog value of a window write; the timestamped store overrides it (Kafka's format). */
  protected logWindowChange(storeKey: Buffer, value: Buffer | null, _timestamp?: number): void {
    this.logger!.log(storeKey, value);
  }
  /** Store bytes for a changelog value (inverse of logWindowChange). */
  protected restoredValue(value: Buffer | null, _timestamp: number): Buffer | null {
    return value;
  }
  restoreRecord(key: Buffer, value: Buffer | null, timestamp: number): void {
    const { kb, start } = this.decodeStoreKey(key);
    this.inner.put(kb, this.restoredValue(value, timestamp), start);
  }
  /** The window entries of one key in [from, to], the cache's over the store's, by start. */
  private entries(kb: Buffer, from: number, to: number): Array<{ start: number; value: Buffer }> {
    const stored = this.inner.fetch(kb, from, to);
    if (!this.cached) return stored;
    const merged = new Map<number, Buffer | null>(stored.map((e) => [e.start, e.value]));
    for (const e of this.cached.entriesOf(kb)) {
      const { start } = this.decodeStoreKey(e.key);
      if (start >= from && start <= to) merged.set(start, e.value);
    }
    const out: Array<{ start: number; value: Buffer }> = [];
    for (const [start, value] of merged) if (value !== null) out.push({ start, value });
    return out.sort((a, b) => a.start - b.start);
  }
  fetch(key: K, windowStartMs: number): V | null {
    const kb = this.k(key);
    if (this.cached) {
      const e = this.cached.cache.get(windowStoreKey(kb, windowStartMs, 0));
      if (e) return e.value === null ? null : this.dv(e.value);
    }
    const e = this.inner.fetch(kb, windowStartMs, windowStartMs)[0];
    return e ? this.dv(e.value) : null;
  }
  fetchRange(key: K, timeFrom: number, timeTo: number): Array<KeyValue<number, V>> {
    return this.entries(this.k(key), timeFrom, timeTo).map((e) => ({ key: e.start, value: this.dv(e.value) }));
  }
  fetchAll(timeFrom: number, timeTo: number): Array<KeyValue<Windowed<K>, V>> {
    let rows = this.inner.fetchAll(timeFrom, timeTo);
    if (this.cached) {
      // Interactive queries only: the whole cache over the whole range, ordered as the store orders (key bytes, start).
      const merged = new Map<string, { key: Buffer; start: number; value: Buffer | null }>(rows.map((r) => [keyId(windowStoreKey(r.key, r.start, 0)), r]));
      for (const e of this.cached.cache.entriesIn(undefined, undefined)) {
        const { kb, start } = this.decodeStoreKey(e.key);
        if (start >= timeFrom && start <= timeTo) merged.set(keyId(e.key), { key: kb, start, value: e.value });
      }
      rows = [...merged.values()]
        .filter((r): r is { key: Buffer; start: number; value: Buffer } => r.value !== null)
        .sort((a, b) => Buffer.compare(a.key, b.key) || a.start - b.start);
    }
    return rows.map((e) => ({
      key: new Windowed(this.dk(e.key), new Window(e.start, e.start + this.windowSizeMs)),
      value: this.dv(e.value),
    }));
  }
  all(): Array<KeyValue<Windowed<K>, V>> { return this.fetchAll(0, Number.MAX_SAFE_INTEGER); }
}

// Persistent ("auto": when the app has a state.dir) as the window store: sqlite in the task directory.
export class InMemorySessionStore<K, V> extends CachedWindowedStore<K, V, SessionBytesStore> implements SessionStore<K, V> {
  constructor(name: string, ks: Serde<K> | undefined, vs: Serde<V> | undefined, retentionMs: number, persistentMode: boolean | "auto" = false) {
    super(name, ks, vs, retentionMs, new InMemorySessionBytesStore(retentionMs), persistentMode);
  }
  protected openPersistent(dir: string): SessionBytesStore {
    return new SqliteSessionBytesStore(dir, this.storeName, this.retentionMs);
  }
  protected decodeStoreKey(storeKey: Buffer): WindowedStoreKey {
    const n = storeKey.length - 16;
    return { kb: storeKey.subarray(0, n), start: readInt64Number(storeKey, n + 8), end: readInt64Number(storeKey, n) };
  }
  protected storedValue(kb: Buffer, start: number, end: number): Buffer | null {
    return this.inner.find(kb, end, start).find((s) => s.start === start && s.end === end)?.value ?? null;
  }
  put(sessionKey: Windowed<K>, aggregate: V | null): void {
    const w = sessionKey.window();
    const kb = this.k(sessionKey.key());
    const vb = aggregate === null ? null : this.v(aggregate);
    if (this.cached) return this.putCached(kb, sessionStoreKey(kb, w.start(), w.end()), vb);
    this.writeThrough(kb, w.start(), w.end(), vb);
  }
  protected writeThrough(kb: Buffer, start: number, end: number, vb: Buffer | null, timestamp?: number): void {
    this.inner.put(kb, start, end, vb);
    if (this.logger) this.logger.log(sessionStoreKey(kb, start, end), vb, timestamp !== undefined && timestamp >= 0 ? timestamp : undefined);
  }
  restoreRecord(key: Buffer, value: Buffer | null, _timestamp: number): void {
    const { kb, start, end } = this.decodeStoreKey(key);
    this.inner.put(kb, start, end, value);
  }
  remove(sessionKey: Windowed<K>): void { this.put(sessionKey, null); }
  findSessions(key: K, earliestSessionEndTime: number, latestSessionStartTime: number): Array<KeyValue<Windowed<K>, V>> {
    const kb = this.k(key);
    let found = this.inner.find(kb, earliestSessionEndTime, latestSessionStartTime);
    if (this.cached) {
      const merged = new Map<string, { start: number; end: number; value: Buffer | null }>(found.map((s) => [`${s.end}/${s.start}`, s]));
      for (const e of this.cached.entriesOf(kb)) {
        const { start, end } = this.decodeStoreKey(e.key);
        if (end >= earliestSessionEndTime && start <= latestSessionStartTime) merged.set(`${end}/${start}`, { start, end, value: e.value });
      }
      found = [...merged.values()]
        .filter((s): s is { start: number; end: number; value: Buffer } => s.value !== null)
        .sort((a, b) => a.end - b.end || a.start - b.start);
    }
    return found.map((e) => ({ key: new Windowed(key, new Window(e.start, e.end)), value: this.dv(e.value) }));
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
  protected override logWindowChange(storeKey: Buffer, value: Buffer | null, timestamp?: number): void {
    if (value === null) this.logger!.log(storeKey, null, timestamp !== undefined && timestamp >= 0 ? timestamp : undefined);
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
