/**
 * Kafka Streams' record cache (ThreadCache / NamedCache): one byte budget per instance
 * (`statestore.cache.max.bytes`, formerly `cache.max.bytes.buffering`) shared by the cached stores of
 * every task. A cached store keeps its latest write per key here instead of writing through: repeated
 * updates of a key between commits collapse into one, which is written to the store, its changelog and
 * forwarded downstream only when the cache is flushed (every commit) or the entry is evicted (the
 * budget is exceeded: the least recently used entry of the store being written goes; if it is dirty,
 * every dirty entry of that store is flushed first, as Kafka's NamedCache.evict does).
 */
import type { Headers } from "../processor.ts";
import { keyId } from "./bytes-stores.ts";

export interface CacheEntry {
  key: Buffer;
  /** null = a cached delete. */
  value: Buffer | null;
  dirty: boolean;
  /** The context of the write that made it dirty: changelog and forwarded records carry it. */
  timestamp: number;
  headers: Headers;
  /** The typed value the write had, when the store can hand it out again without deserializing. */
  decoded?: unknown;
  /** `value` predates `decoded` (putDecoded): encode before the bytes are used (see NamedCache.bytesOf). */
  stale?: boolean;
}

/** Serializes a cached typed value (the store's value serde), for entries written with putDecoded. */
export type CacheEncoder = (decoded: unknown) => Buffer;

/** What a store does with its dirty entries, in the order they became dirty. */
export type CacheFlusher = (dirty: CacheEntry[]) => void;

/** Kafka's LRUCacheEntry overhead estimate is about this (object headers, context). */
const ENTRY_OVERHEAD = 64;
const sizeOf = (e: CacheEntry): number => e.key.length + (e.value?.length ?? 0) + ENTRY_OVERHEAD;

/** One store's part of the cache (per task): LRU order in `entries` (a Map keeps insertion order). */
export class NamedCache {
  readonly name: string;
  private readonly entries = new Map<string, CacheEntry>();
  /** Dirty keys in the order they became dirty (a re-dirtied key moves to the end, as Kafka). */
  private readonly dirty = new Set<string>();
  private readonly owner: ThreadCache;
  private readonly flusher: CacheFlusher;
  bytes = 0;

  private readonly encoder: CacheEncoder | undefined;
  /** The most recently used and most recently dirtied ids: touching them again needs no reordering. */
  private mru = "";
  private lastDirty = "";

  constructor(owner: ThreadCache, name: string, flusher: CacheFlusher, encoder?: CacheEncoder) {
    this.owner = owner;
    this.name = name;
    this.flusher = flusher;
    this.encoder = encoder;
  }

  /** The last key's id: a store's get and put of one key pass the same Buffer (one latin1 decode). */
  private lastKey: Buffer | null = null;
  private lastId = "";
  private idOf(key: Buffer): string {
    if (key !== this.lastKey) {
      this.lastKey = key;
      this.lastId = keyId(key);
    }
    return this.lastId;
  }

  get(key: Buffer): CacheEntry | undefined {
    const id = this.idOf(key);
    const e = this.entries.get(id);
    if (e && this.mru !== id) {
      // Touch: most recently used goes last.
      this.entries.delete(id);
      this.entries.set(id, e);
      this.mru = id;
    }
    return e;
  }

  /**
   * A write of a typed value over a cached non-null value, without serializing it now: a key updated
   * many times between commits (a count) is serialized once, when it is flushed. The budget counts the
   * previous bytes' size until then. False (nothing done) when there is no such entry: put() instead.
   */
  putDecoded(key: Buffer, decoded: unknown, timestamp: number, headers: Headers): boolean {
    if (!this.encoder) return false;
    const id = this.idOf(key);
    const e = this.entries.get(id);
    if (!e || e.value === null) return false;
    if (this.mru !== id) {
      this.entries.delete(id);
      this.entries.set(id, e);
      this.mru = id;
    }
    e.decoded = decoded;
    e.stale = true;
    e.timestamp = timestamp;
    e.headers = headers;
    this.markDirty(id, e);
    return true;
  }

  private markDirty(id: string, e: CacheEntry): void {
    e.dirty = true;
    if (this.lastDirty !== id) {
      // A re-dirtied key moves to the end of the flush order, as Kafka's.
      this.dirty.delete(id);
      this.dirty.add(id);
      this.lastDirty = id;
    }
  }

  /** The entry's value bytes, encoding a putDecoded value first. */
  private bytesOf(e: CacheEntry): Buffer | null {
    if (e.stale) {
      const before = sizeOf(e);
      e.value = this.encoder!(e.decoded);
      e.stale = false;
      const diff = sizeOf(e) - before;
      this.bytes += diff;
      this.owner.bytes += diff;
    }
    return e.value;
  }

  /** A write (dirty) or a read-through fill (clean). */
  put(key: Buffer, value: Buffer | null, dirty: boolean, timestamp: number, headers: Headers, decoded?: unknown): void {
    const id = this.idOf(key);
    const old = this.entries.get(id);
    if (old && !dirty && old.dirty) {
      // A clean fill never hides a pending write.
      this.get(key);
      return;
    }
    if (old) {
      this.bytes -= sizeOf(old);
      this.owner.bytes -= sizeOf(old);
      this.entries.delete(id);
    }
    const entry: CacheEntry = { key, value, dirty: false, timestamp, headers, decoded };
    this.entries.set(id, entry);
    this.mru = id;
    this.bytes += sizeOf(entry);
    this.owner.bytes += sizeOf(entry);
    if (dirty) this.markDirty(id, entry);
    else if (old?.dirty) entry.dirty = true;
    this.owner.maybeEvict(this);
  }

  /** Entries (dirty or not) whose keys fall in [from, to] (undefined = open), by key id. */
  entriesIn(from: string | undefined, to: string | undefined): CacheEntry[] {
    const out: CacheEntry[] = [];
    for (const [id, e] of this.entries) {
      if ((from === undefined || id >= from) && (to === undefined || id <= to)) {
        this.bytesOf(e);
        out.push(e);
      }
    }
    return out;
  }

  hasDirty(): boolean {
    return this.dirty.size > 0;
  }

  /** Hands every dirty entry to the store (which writes, logs and forwards them); they stay cached, clean. */
  flush(): void {
    if (this.dirty.size === 0) return;
    const batch: CacheEntry[] = [];
    for (const id of this.dirty) {
      const e = this.entries.get(id)!;
      this.bytesOf(e);
      batch.push({ ...e });
      e.dirty = false;
    }
    this.dirty.clear();
    this.lastDirty = "";
    this.flusher(batch);
  }

  /** Drops the least recently used entry, flushing first if it is dirty. False when empty. */
  evictOne(): boolean {
    const first = this.entries.entries().next();
    if (first.done) return false;
    const [id, e] = first.value;
    if (e.dirty) this.flush();
    // The flush may have forwarded into this same store (a loop in the topology) and touched the entry.
    const cur = this.entries.get(id);
    if (cur) {
      if (cur.dirty) this.bytesOf(cur);
      this.entries.delete(id);
      this.dirty.delete(id);
      if (this.lastDirty === id) this.lastDirty = "";
      if (this.mru === id) this.mru = "";
      this.bytes -= sizeOf(cur);
      this.owner.bytes -= sizeOf(cur);
      if (cur.dirty) this.flusher([{ ...cur }]);
    }
    this.owner.evictions++;
    return true;
  }

  /** Forgets everything without flushing (a task closed dirty: its writes must not surface). */
  clear(): void {
    this.owner.bytes -= this.bytes;
    this.bytes = 0;
    this.entries.clear();
    this.dirty.clear();
    this.mru = "";
    this.lastDirty = "";
  }

  size(): number {
    return this.entries.size;
  }
}

/** The instance's cache budget; stores of every task register a NamedCache in it. */
export class ThreadCache {
  readonly maxBytes: number;
  bytes = 0;
  evictions = 0;
  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  namedCache(name: string, flusher: CacheFlusher, encoder?: CacheEncoder): NamedCache {
    return new NamedCache(this, name, flusher, encoder);
  }

  /** Kafka's ThreadCache.maybeEvict: evicts from the cache being written until under budget. */
  maybeEvict(cache: NamedCache): void {
    while (this.bytes > this.maxBytes) {
      if (!cache.evictOne()) return;
    }
  }
}
