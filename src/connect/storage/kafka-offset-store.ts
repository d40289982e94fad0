import type { Cluster } from '../../client/cluster.ts';
import type { OffsetEntry, SourceOffsetStore } from '../runtime/offset-store.ts';
import { KafkaBasedLog, type LogRecord } from './kafka-based-log.ts';

/**
 * Kafka's KafkaOffsetBackingStore: source offsets in `offset.storage.topic` (compacted, 25 partitions
 * by default). The record key is Kafka's JSON `["<connector>",{<source partition>}]`, the value the JSON
 * offset (null = removed), both as JsonConverter writes them with schemas disabled, so offsets move
 * between kstream and Kafka workers. Every worker reads the whole topic; set() updates this worker's
 * view at once and save() writes what changed and waits for the acknowledgement.
 */

/** Map key independent of the order a writer put the partition's fields in. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

export interface OffsetRecord {
  key: Buffer;
  value: Buffer | null;
}

export class KafkaOffsetStore implements SourceOffsetStore {
  private readonly data = new Map<string, { connector: string; partition: Record<string, unknown>; offset: Record<string, unknown> | null }>();
  private dirty = new Map<string, { connector: string; partition: Record<string, unknown>; offset: Record<string, unknown> | null }>();
  private readonly log: KafkaBasedLog;

  constructor(cluster: Cluster, opts: { topic: string; partitions: number; replicationFactor: number; readCommitted?: boolean }) {
    this.log = new KafkaBasedLog(cluster, { ...opts, onRecord: (r) => this.apply(r) });
  }

  get topic(): string {
    return this.log.topic;
  }

  start(): Promise<void> {
    return this.log.start();
  }

  stop(): Promise<void> {
    return this.log.stop();
  }

  /** A task about to start reads what the previous owner of its partitions committed. */
  readToEnd(): Promise<void> {
    return this.log.readToEnd();
  }

  private apply(r: LogRecord): void {
    if (r.key === null) return;
    let key: unknown;
    try {
      key = JSON.parse(r.key);
    } catch {
      return;
    }
    if (!Array.isArray(key) || key.length !== 2 || typeof key[0] !== 'string' || !key[1] || typeof key[1] !== 'object') return;
    const [connector, partition] = key as [string, Record<string, unknown>];
    const k = canonical([connector, partition]);
    if (r.value === null) return void this.data.delete(k);
    try {
      const offset = JSON.parse(r.value.toString('utf8')) as Record<string, unknown> | null;
      if (offset === null) this.data.delete(k);
      else this.data.set(k, { connector, partition, offset });
    } catch {
      // Not JSON: not an offset we can use (Kafka logs and skips it too).
    }
  }

  get(connector: string, partition: Record<string, unknown>): Record<string, unknown> | null {
    return this.data.get(canonical([connector, partition]))?.offset ?? null;
  }

  set(connector: string, partition: Record<string, unknown>, offset: Record<string, unknown> | null): void {
    const k = canonical([connector, partition]);
    const e = { connector, partition, offset };
    if (offset === null) this.data.delete(k);
    else this.data.set(k, e);
    this.dirty.set(k, e);
  }

  /** An offset already written (inside a committed transaction): update the view, nothing to save. */
  applyCommitted(connector: string, partition: Record<string, unknown>, offset: Record<string, unknown> | null): void {
    const k = canonical([connector, partition]);
    if (offset === null) this.data.delete(k);
    else this.data.set(k, { connector, partition, offset });
  }

  /** The record an offset is stored as: Kafka's key and value bytes. */
  static record(connector: string, partition: Record<string, unknown>, offset: Record<string, unknown> | null): OffsetRecord {
    return { key: Buffer.from(JSON.stringify([connector, partition]), 'utf8'), value: offset === null ? null : Buffer.from(JSON.stringify(offset), 'utf8') };
  }

  entries(connector: string): OffsetEntry[] {
    return [...this.data.values()].filter((e) => e.connector === connector).map((e) => ({ partition: e.partition, offset: e.offset }));
  }

  clear(connector: string): void {
    for (const e of this.entries(connector)) this.set(connector, e.partition, null);
  }

  /** Takes the offsets changed since the last save as records (for a transaction to carry them). */
  takeDirtyRecords(): OffsetRecord[] {
    const out = [...this.dirty.values()].map((e) => ({ key: Buffer.from(JSON.stringify([e.connector, e.partition]), 'utf8'), value: e.offset === null ? null : Buffer.from(JSON.stringify(e.offset), 'utf8') }));
    this.dirty = new Map();
    return out;
  }

  async save(): Promise<void> {
    const records = this.takeDirtyRecords();
    if (records.length === 0) return;
    for (const r of records) this.log.sendNoWait(r.key.toString('utf8'), r.value);
    await this.log.flush();
  }
}
