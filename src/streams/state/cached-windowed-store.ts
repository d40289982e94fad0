/**
 * What the typed window and session stores share (Kafka's CachingWindowStore and CachingSessionStore
 * over one ThreadCache): the byte store underneath, swapped for SQLite at init when persistent; the
 * record cache keyed by store key (key + window), whose dirty entries reach the store, its changelog
 * and — through the flush listener — the processor's children only when the cache is flushed (commit)
 * or evicts them. The subclasses say how a store key encodes its window and how the byte store reads
 * and writes one.
 */
import type { Headers } from "../processor.ts";
import type { Serde } from "../serdes.ts";
import { Window, Windowed } from "../windows.ts";
import { keyId } from "./bytes-stores.ts";
import type { CacheFlushListener, CachedStore, StateStoreContext } from "./state-store.ts";
import { storeDir } from "./store-dir.ts";
import type { CacheEntry, NamedCache } from "./thread-cache.ts";
import { TypedStore } from "./typed-stores.ts";

/**
 * The store's NamedCache plus, per raw key, the cache ids written for it, so a range read of one key
 * (every session merge, every sliding-window record) looks at that key's cached windows instead of
 * scanning the whole cache. Ids the cache has since evicted are dropped when met.
 */
export class WindowedCache {
  readonly cache: NamedCache;
  private readonly byKey = new Map<string, Set<string>>();
  constructor(cache: NamedCache) {
    this.cache = cache;
  }
  put(rawKey: Buffer, storeKey: Buffer, value: Buffer | null, ctx: { timestamp: number; headers: Headers }): void {
    const k = keyId(rawKey);
    let ids = this.byKey.get(k);
    if (!ids) this.byKey.set(k, (ids = new Set()));
    ids.add(keyId(storeKey));
    this.cache.put(storeKey, value, true, ctx.timestamp, ctx.headers);
  }
  /** The cached entries (dirty or clean) of one raw key. */
  entriesOf(rawKey: Buffer): CacheEntry[] {
    const k = keyId(rawKey);
    const ids = this.byKey.get(k);
    if (!ids) return [];
    const out: CacheEntry[] = [];
    for (const id of ids) {
      const e = this.cache.peek(id);
      if (e) out.push(e);
      else ids.delete(id);
    }
    if (ids.size === 0) this.byKey.delete(k);
    return out;
  }
  clear(): void {
    this.cache.clear();
    this.byKey.clear();
  }
}

/** A store key taken apart: the raw key bytes and the window they are stored under. */
export interface WindowedStoreKey {
  kb: Buffer;
  start: number;
  end: number;
}

/** The part of a byte store the shared layer drives: durable at flush, released at close. */
interface ClosableBytesStore {
  flush?(): void;
  close?(): void;
}

export abstract class CachedWindowedStore<K, V, Inner extends ClosableBytesStore> extends TypedStore<K, V> implements CachedStore<Windowed<K>, V> {
  protected inner: Inner;
  readonly retentionMs: number;
  private readonly persistentMode: boolean | "auto";
  private cachingRequested = false;
  protected cached: WindowedCache | undefined;
  private recordContext: (() => { timestamp: number; headers: Headers }) | undefined;
  private flushListener: CacheFlushListener<Windowed<K>, V> | undefined;
  constructor(name: string, ks: Serde<K> | undefined, vs: Serde<V> | undefined, retentionMs: number, inner: Inner, persistentMode: boolean | "auto") {
    super(name, ks, vs);
    this.retentionMs = retentionMs;
    this.persistentMode = persistentMode;
    this.inner = inner;
  }
  /** The builder's withCachingEnabled(), honoured when the store can be cached. */
  requestCaching(): void {
    this.cachingRequested = this.cacheable();
  }
  protected cacheable(): boolean {
    return true;
  }
  /** The persistent byte store in `dir`, replacing the in-memory one at init. */
  protected abstract openPersistent(dir: string): Inner;
  /** The raw key and window a store key (as written to the cache and changelog) encodes. */
  protected abstract decodeStoreKey(storeKey: Buffer): WindowedStoreKey;
  /** The byte store's value for exactly this window of the key, or null. */
  protected abstract storedValue(kb: Buffer, start: number, end: number): Buffer | null;
  /** A write to the byte store and the changelog; `timestamp` is the cached write's, when flushing. */
  protected abstract writeThrough(kb: Buffer, start: number, end: number, vb: Buffer | null, timestamp?: number): void;

  override init(ctx: StateStoreContext): void {
    super.init(ctx);
    const threadCache = this.cachingRequested ? ctx.cache?.() : undefined;
    if (threadCache) {
      this.cached = new WindowedCache(threadCache.namedCache(this.storeName, (dirty) => this.flushEntries(dirty)));
      this.recordContext = ctx.recordContext;
    }
    if (!this.persistentMode) return;
    const dir = storeDir(ctx, this.storeName, this.persistentMode);
    if (dir) this.inner = this.openPersistent(dir);
  }
  setFlushListener(listener: CacheFlushListener<Windowed<K>, V>): boolean {
    this.flushListener = listener;
    return this.cached !== undefined;
  }
  override persistent(): boolean { return (this.inner as { persistent?: boolean }).persistent === true; }
  override flush(): void {
    this.cached?.cache.flush();
    this.inner.flush?.();
  }
  hasCachedWrites(): boolean {
    return this.cached?.cache.hasDirty() ?? false;
  }
  override close(): void {
    // After a commit flushed the cache, or on a dirty close whose writes must not surface.
    this.cached?.clear();
    this.inner.close?.();
    super.close();
  }
  /** A write into the cache (only when `cached` is set), in the current record's context. */
  protected putCached(kb: Buffer, storeKey: Buffer, vb: Buffer | null): void {
    this.cached!.put(kb, storeKey, vb, this.recordContext?.() ?? { timestamp: -1, headers: [] });
  }
  /**
   * Kafka's putAndMaybeForward: store, changelog, then the listener with the old value. An entry that
   * deletes what the store never held (a window or session made and removed between commits) never surfaces.
   */
  private flushEntries(dirty: CacheEntry[]): void {
    for (const e of dirty) {
      const { kb, start, end } = this.decodeStoreKey(e.key);
      const old = this.storedValue(kb, start, end);
      if (e.value === null && old === null) continue;
      this.writeThrough(kb, start, end, e.value, e.timestamp);
      this.flushListener?.(new Windowed(this.dk(kb), new Window(start, end)), e.value === null ? null : this.dv(e.value), old === null ? null : this.dv(old), e.timestamp, e.headers);
    }
  }
}
