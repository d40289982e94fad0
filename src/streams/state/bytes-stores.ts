/**
 * In-memory byte stores (Kafka's InMemoryKeyValueStore / InMemoryWindowStore / InMemorySessionStore).
 * Keys are ordered by their serialized bytes, as Kafka orders them; a latin1 string of the bytes keeps
 * that order under JS string comparison and serves as the map key.
 */
export const keyId = (b: Buffer): string => b.toString("latin1");
export const keyBytes = (id: string): Buffer => Buffer.from(id, "latin1");

export interface BytesKeyValueStore {
  get(key: Buffer): Buffer | null;
  put(key: Buffer, value: Buffer | null): void;
  delete(key: Buffer): Buffer | null;
  /** Sorted by key bytes; bounds inclusive, undefined = open. */
  range(from: Buffer | undefined, to: Buffer | undefined): Array<[Buffer, Buffer]>;
  size(): number;
  /** Makes the writes so far durable (persistent stores); in-memory stores have nothing to do. */
  flush?(): void;
}

export class InMemoryKeyValueBytesStore implements BytesKeyValueStore {
  private readonly map = new Map<string, Buffer>();
  get(key: Buffer): Buffer | null {
    return this.map.get(keyId(key)) ?? null;
  }
  put(key: Buffer, value: Buffer | null): void {
    if (value === null) this.map.delete(keyId(key));
    else this.map.set(keyId(key), value);
  }
  delete(key: Buffer): Buffer | null {
    const id = keyId(key);
    const old = this.map.get(id) ?? null;
    this.map.delete(id);
    return old;
  }
  range(from: Buffer | undefined, to: Buffer | undefined): Array<[Buffer, Buffer]> {
    const lo = from ? keyId(from) : undefined;
    const hi = to ? keyId(to) : undefined;
    return [...this.map.keys()]
      .filter((k) => (lo === undefined || k >= lo) && (hi === undefined || k <= hi))
      .sort()
      .map((k) => [keyBytes(k), this.map.get(k)!]);
  }
  size(): number {
    return this.map.size;
  }
}

/** Window entries per key, sorted by window start; duplicates kept in arrival order when asked (join stores). */
export class InMemoryWindowBytesStore {
  private readonly byKey = new Map<string, Array<{ start: number; value: Buffer }>>();
  private observedStreamTime = -1;
  readonly retentionMs: number;
  readonly retainDuplicates: boolean;
  constructor(retentionMs: number, retainDuplicates: boolean) {
    this.retentionMs = retentionMs;
    this.retainDuplicates = retainDuplicates;
  }

  put(key: Buffer, value: Buffer | null, start: number): void {
    this.observedStreamTime = Math.max(this.observedStreamTime, start);
    // Kafka drops writes to windows already outside retention.
    if (start <= this.observedStreamTime - this.retentionMs) return;
    const id = keyId(key);
    let list = this.byKey.get(id);
    if (!list) {
      if (value === null) return;
      list = [];
      this.byKey.set(id, list);
    }
    if (!this.retainDuplicates) {
      const i = list.findIndex((e) => e.start === start);
      if (i >= 0) {
        if (value === null) list.splice(i, 1);
        else list[i] = { start, value };
        return;
      }
    }
    if (value === null) return;
    let pos = list.length;
    while (pos > 0 && list[pos - 1]!.start > start) pos--;
    list.splice(pos, 0, { start, value });
    this.expire();
  }

  private expire(): void {
    const minLive = this.observedStreamTime - this.retentionMs;
    for (const [id, list] of this.byKey) {
      while (list.length > 0 && list[0]!.start <= minLive) list.shift();
      if (list.length === 0) this.byKey.delete(id);
    }
  }

  fetch(key: Buffer, from: number, to: number): Array<{ start: number; value: Buffer }> {
    const minLive = this.observedStreamTime - this.retentionMs;
    return (this.byKey.get(keyId(key)) ?? []).filter((e) => e.start >= from && e.start <= to && e.start > minLive);
  }

  fetchAll(from: number, to: number): Array<{ key: Buffer; start: number; value: Buffer }> {
    const out: Array<{ key: Buffer; start: number; value: Buffer }> = [];
    for (const id of [...this.byKey.keys()].sort()) {
      for (const e of this.fetch(keyBytes(id), from, to)) out.push({ key: keyBytes(id), ...e });
    }
    return out;
  }
}

/** What a session store keeps: sessions per key, found by end ≥ earliestEnd and start ≤ latestStart. */
export interface SessionBytesStore {
  readonly retentionMs: number;
  put(key: Buffer, start: number, end: number, value: Buffer | null): void;
  find(key: Buffer, earliestEnd: number, latestStart: number): Array<{ start: number; end: number; value: Buffer }>;
  /** Makes the writes so far durable (persistent stores). */
  flush?(): void;
  close?(): void;
}

/** Sessions per key keyed by (end, start) as Kafka's session key schema orders them. */
export class InMemorySessionBytesStore implements SessionBytesStore {
  private readonly byKey = new Map<string, Array<{ start: number; end: number; value: Buffer }>>();
  private observedStreamTime = -1;
  readonly retentionMs: number;
  constructor(retentionMs: number) {
    this.retentionMs = retentionMs;
  }

  put(key: Buffer, start: number, end: number, value: Buffer | null): void {
    this.observedStreamTime = Math.max(this.observedStreamTime, end);
    if (end <= this.observedStreamTime - this.retentionMs && value !== null) return;
    const id = keyId(key);
    const list = this.byKey.get(id) ?? [];
    const i = list.findIndex((e) => e.start === start && e.end === end);
    if (i >= 0) list.splice(i, 1);
    if (value !== null) {
      list.push({ start, end, value });
      list.sort((a, b) => a.end - b.end || a.start - b.start);
    }
    if (list.length > 0) this.byKey.set(id, list);
    else this.byKey.delete(id);
  }

  find(key: Buffer, earliestEnd: number, latestStart: number): Array<{ start: number; end: number; value: Buffer }> {
    const minLive = this.observedStreamTime - this.retentionMs;
    return (this.byKey.get(keyId(key)) ?? []).filter((e) => e.end >= earliestEnd && e.start <= latestStart && e.end > minLive);
  }

  keys(): Buffer[] {
    return [...this.byKey.keys()].sort().map(keyBytes);
  }
}
