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
}

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

  constructor(owner: ThreadCache, name: string, flusher: CacheFlusher) {
    this.owner = owner;
    this.name = name;
    this.flusher = flusher;
  }

  get(key: Buffer): CacheEntry | undefined {
    const id = keyId(key);
    const e = this.entries.get(id);
    if (e) {
      // Touch: most recently used goes last.
      this.entries.delete(id);
      this.entries.set(id, e);
    }
    return e;
  }

  /** A write (dirty) or a read-through fill (clean). */
  put(key: Buffer, value: Buffer | null, dirty: boolean, timestamp: number, headers: Headers): void {
    const id = keyId(key);
    const old = this.entries.get(id);
    if (old) {
      this.bytes -= sizeOf(old);
      this.owner.bytes -= sizeOf(old);
      this.entries.delete(id);
    }
    // A clean fill never hides a pending write.
    const entry: CacheEntry = { key, value, dirty: dirty || (old?.dirty ?? false), timestamp, headers };
    if (!dirty && old?.dirty) {
      entry.value = old.value;
      entry.timestamp = old.timestamp;
      entry.headers = old.headers;
    }
    this.entries.set(id, entry);
    this.bytes += sizeOf(entry);
    this.owner.bytes += sizeOf(entry);
    if (dirty) {
      this.dirty.delete(id);
      this.dirty.add(id);
    }
    this.owner.maybeEvict(this);
  }

  /** Entries (dirty or not) whose keys fall in [from, to] (undefined = open), by key id. */
  entriesIn(from: string | undefined, to: string | undefined): CacheEntry[] {
    const out: CacheEntry[] = [];
    for (const [id, e] of this.entries) if ((from === undefined || id >= from) && (to === undefined || id <= to)) out.push(e);
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
      batch.push({ ...e });
      e.dirty = false;
    }
    this.dirty.clear();
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
      this.entries.delete(id);
      this.dirty.delete(id);
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

  namedCache(name: string, flusher: CacheFlusher): NamedCache {
    return new NamedCache(this, name, flusher);
  }

  /** Kafka's ThreadCache.maybeEvict: evicts from the cache being written until under budget. */
  maybeEvict(cache: NamedCache): void {
    while (this.bytes > this.maxBytes) {
      if (!cache.evictOne()) return;
    }
  }
}
