import { encodeRecordBatch, iterateBatches } from '../protocol/records/record-batch.ts';
import type { OffsetLog, OffsetLogRecord } from './offset-log.ts';

/**
 * An OffsetLog kept in the internal topic `__consumer_offsets` (one partition, cleanup.policy=compact)
 * through the storage layer, as Kafka does: each append() is one record batch, acknowledged when the
 * partition log says it is durable (per the broker's fsync mode). The storage layer does not compact
 * yet, so this class compacts at open: when superseded records dominate, it appends the live records
 * again and moves the log start past everything before them (deleteRecordsBefore). A crash between
 * the two steps is harmless: replaying the old records and then the copies gives the same state.
 */

/** What this needs from storage (LogManager / PartitionLog), kept structural so tests can pass the real ones. */
export interface OffsetsTopicStorage {
  hasTopic(name: string): boolean;
  createTopic(name: string, opts: { partitions: number; configs?: Record<string, string> }): Promise<unknown>;
  partition(topic: string, index: number): OffsetsPartition | undefined;
}

export interface OffsetsPartition {
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  append(batch: Buffer, opts: { logAppendTime: boolean }): Promise<unknown>;
  read(offset: number, maxBytes: number): Promise<{ records: Buffer }>;
  deleteRecordsBefore(offset: number): Promise<number>;
}

export const OFFSETS_TOPIC = '__consumer_offsets';
const COMPACT_MIN_RECORDS = 1000;
/** Below the default max.message.bytes (1 MiB), leaving room for the batch header. */
const MAX_BATCH_BYTES = 900 * 1024;
const READ_CHUNK = 4 * 1024 * 1024;

export class PartitionOffsetLog implements OffsetLog {
  readonly #partition: OffsetsPartition;
  readonly #now: () => number;
  #loaded: OffsetLogRecord[] | null = null;

  private constructor(partition: OffsetsPartition, now: () => number) {
    this.#partition = partition;
    this.#now = now;
  }

  /** Creates `__consumer_offsets` if missing, reads it, and compacts it when worthwhile. */
  static async open(storage: OffsetsTopicStorage, opts: { now?: () => number } = {}): Promise<PartitionOffsetLog> {
    if (!storage.hasTopic(OFFSETS_TOPIC)) {
      await storage.createTopic(OFFSETS_TOPIC, { partitions: 1, configs: { 'cleanup.policy': 'compact' } });
    }
    const partition = storage.partition(OFFSETS_TOPIC, 0);
    if (!partition) throw new Error(`${OFFSETS_TOPIC}-0 is missing after creating the topic`);
    const log = new PartitionOffsetLog(partition, opts.now ?? Date.now);
    await log.#load();
    return log;
  }

  async #load(): Promise<void> {
    const records = await this.#readAll();
    const live = new Map<string, OffsetLogRecord>();
    for (const r of records) {
      const k = r.key.toString('hex');
      if (r.value === null) live.delete(k);
      else live.set(k, r);
    }
    if (records.length >= COMPACT_MIN_RECORDS && records.length > 2 * live.size) {
      const copies = [...live.values()];
      const start = this.#partition.logEndOffset;
      await this.append(copies);
      await this.#partition.deleteRecordsBefore(start);
      this.#loaded = copies;
    } else {
      this.#loaded = records;
    }
  }

  async #readAll(): Promise<OffsetLogRecord[]> {
    const out: OffsetLogRecord[] = [];
    let offset = this.#partition.logStartOffset;
    const end = this.#partition.logEndOffset;
    while (offset < end) {
      const { records } = await this.#partition.read(offset, READ_CHUNK);
      if (records.length === 0) break;
      let next = offset;
      for (const batch of iterateBatches(records)) {
        for (const r of batch.records) {
          if (r.offset < offset || r.key === null) continue;
          out.push({ key: r.key, value: r.value });
        }
        next = batch.baseOffset + batch.lastOffsetDelta + 1;
      }
      if (next <= offset) break;
      offset = next;
    }
    return out;
  }

  async replay(onRecord: (r: OffsetLogRecord) => void): Promise<void> {
    const records = this.#loaded ?? (await this.#readAll());
    this.#loaded = null;
    for (const r of records) onRecord(r);
  }

  async append(records: OffsetLogRecord[]): Promise<void> {
    // Usually one batch (all-or-nothing); only a commit larger than a batch may be split.
    let chunk: OffsetLogRecord[] = [];
    let bytes = 0;
    const flush = async () => {
      if (chunk.length === 0) return;
      const batch = encodeRecordBatch({ now: this.#now, records: chunk.map((r) => ({ key: r.key, value: r.value })) });
      chunk = [];
      bytes = 0;
      await this.#partition.append(batch, { logAppendTime: false });
    };
    for (const r of records) {
      const size = r.key.length + (r.value?.length ?? 0) + 32;
      if (bytes + size > MAX_BATCH_BYTES) await flush();
      chunk.push(r);
      bytes += size;
    }
    await flush();
  }

  /** The partition belongs to the storage layer, which closes it. */
  async close(): Promise<void> {}
}
