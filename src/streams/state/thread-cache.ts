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

/** A cached entry with its places in the LRU list and in the dirty list (intrusive, O(1) moves). */
interface Node extends CacheEntry {
  id: string;
  prev: Node | null;
  next: Node | null;
  dprev: Node | null;
  dnext: Node | null;
}

const snapshot = (n: Node): CacheEntry => ({ key: n.key, value: n.value, dirty: n.dirty, timestamp: n.timestamp, headers: n.headers, decoded: n.decoded });

/**
 * One store's part of the cache (per task). As Kafka's NamedCache: an LRU list (least recently used
 * first) and the dirty keys in the order they became dirty, both doubly linked so that a touch, the
 * per-record case, moves pointers instead of re-inserting into a Map.
 */
export class NamedCache {
  readonly name: string;
  private readonly entries = new Map<string, Node>();
  private head: Node | null = null;
  private tail: Node | null = null;
  private dhead: Node | null = null;
  private dtail: Node | null = null;
  private dirtyCount = 0;
  private readonly owner: ThreadCache;
  private readonly flusher: CacheFlusher;
  private readonly encoder: CacheEncoder | undefined;
  bytes = 0;

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

  private unlink(n: Node): void {
    if (n.prev) n.prev.next = n.next;
    else this.head = n.next;
    if (n.next) n.next.prev = n.prev;
    else this.tail = n.prev;
    n.prev = n.next = null;
  }
  private append(n: Node): void {
    n.prev = this.tail;
    n.next = null;
    if (this.tail) this.tail.next = n;
    else this.head = n;
    this.tail = n;
  }
  /** Touch: the most recently used goes last. */
  private touch(n: Node): void {
    if (this.tail === n) return;
    this.unlink(n);
    this.append(n);
  }
  private unlinkDirty(n: Node): void {
    if (n.dprev) n.dprev.dnext = n.dnext;
    else this.dhead = n.dnext;
    if (n.dnext) n.dnext.dprev = n.dprev;
    else this.dtail = n.dprev;
    n.dprev = n.dnext = null;
    this.dirtyCount--;
  }
  /** A re-dirtied key moves to the end of the flush order, as Kafka's. */
  private markDirty(n: Node): void {
    if (n.dirty) {
      if (this.dtail === n) return;
      this.unlinkDirty(n);
    }
    n.dirty = true;
    n.dprev = this.dtail;
    n.dnext = null;
    if (this.dtail) this.dtail.dnext = n;
    else this.dhead = n;
    this.dtail = n;
    this.dirtyCount++;
  }

  /** The entry of a key id, without touching it (range reads). */
  peek(id: string): CacheEntry | undefined {
    return this.entries.get(id);
  }

  get(key: Buffer): CacheEntry | undefined {
    const n = this.entries.get(this.idOf(key));
    if (n) this.touch(n);
    return n;
  }

  /**
   * A write of a typed value over a cached non-null value, without serializing it now: a key updated
   * many times between commits (a count) is serialized once, when it is flushed. The budget counts the
   * previous bytes' size until then. False (nothing done) when there is no such entry: put() instead.
   */
  putDecoded(key: Buffer, decoded: unknown, timestamp: number, headers: Headers): boolean {
    if (!this.encoder) return false;
    const n = this.entries.get(this.idOf(key));
    if (!n || n.value === null) return false;
    this.touch(n);
    n.decoded = decoded;
    n.stale = true;
    n.timestamp = timestamp;
    n.headers = headers;
    this.markDirty(n);
    return true;
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
    if (old) {
      this.touch(old);
      // A clean fill never hides a pending write.
      if (!dirty && old.dirty) return;
      const before = sizeOf(old);
      old.key = key;
      old.value = value;
      old.timestamp = timestamp;
      old.headers = headers;
      old.decoded = decoded;
      old.stale = false;
      const diff = sizeOf(old) - before;
      this.bytes += diff;
      this.owner.bytes += diff;
      if (dirty) this.markDirty(old);
    } else {
      const n: Node = { id, key, value, dirty: false, timestamp, headers, decoded, prev: null, next: null, dprev: null, dnext: null };
      this.entries.set(id, n);
      this.append(n);
      this.bytes += sizeOf(n);
      this.owner.bytes += sizeOf(n);
      if (dirty) this.markDirty(n);
    }
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
    return this.dirtyCount > 0;
  }

  /** Hands every dirty entry to the store (which writes, logs and forwards them); they stay cached, clean. */
  flush(): void {
    if (this.dirtyCount === 0) return;
    const batch: CacheEntry[] = [];
    for (let n = this.dhead; n !== null; ) {
      const next = n.dnext;
      this.bytesOf(n);
      batch.push(snapshot(n));
      n.dirty = false;
      n.dprev = n.dnext = null;
      n = next;
    }
    this.dhead = this.dtail = null;
    this.dirtyCount = 0;
    this.flusher(batch);
  }

  /** Drops the least recently used entry, flushing first if it is dirty. False when empty. */
  evictOne(): boolean {
    const first = this.head;
    if (first === null) return false;
    if (first.dirty) this.flush();
    // The flush may have forwarded into this same store (a loop in the topology) and touched the entry.
    const cur = this.entries.get(first.id);
    if (cur) {
      if (cur.dirty) {
        this.bytesOf(cur);
        this.unlinkDirty(cur);
      }
      this.unlink(cur);
      this.entries.delete(cur.id);
      this.bytes -= sizeOf(cur);
      this.owner.bytes -= sizeOf(cur);
      if (cur.dirty) this.flusher([snapshot(cur)]);
    }
    this.owner.evictions++;
    return true;
  }

  /** Forgets everything without flushing (a task closed dirty: its writes must not surface). */
  clear(): void {
    this.owner.bytes -= this.bytes;
    this.bytes = 0;
    this.entries.clear();
    this.head = this.tail = this.dhead = this.dtail = null;
    this.dirtyCount = 0;
    this.lastKey = null;
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
