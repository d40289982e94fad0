import { readEndTxnMarker } from '../protocol/records/control-batch.ts';
import { ATTRIBUTES, BASE_OFFSET, COMPRESSION_MASK, CONTROL_BIT, LAST_OFFSET_DELTA, MAGIC, PRODUCER_ID, RECORDS_START, RECORD_COUNT, TRANSACTIONAL_BIT } from '../protocol/records/batch-header.ts';
import { checkBatchFrame, encodeRecordBatch, entrySizeAt, iterateBatches } from '../protocol/records/record-batch.ts';
import { readVarint, readVarlong } from '../protocol/primitives/varint.ts';
import type { OffsetLog, OffsetLogRecord } from './offset-log.ts';

/**
 * An OffsetLog kept in the internal topic `__consumer_offsets` (one partition) through the storage
 * layer, as Kafka does: each append() is one record batch, acknowledged when the partition log says
 * it is durable (per the broker's fsync mode). The topic is `cleanup.policy=compact` with small
 * segments (Kafka's offsets.topic.segment.bytes, 100 MiB), so the storage layer's log cleaner — the
 * one mechanism that compacts it — reaches rolled segments while the broker runs, and what a start
 * replays stays near the live keys. replay() streams the log in bounded reads and never holds it.
 */

/** What this needs from storage (LogManager / PartitionLog), kept structural so tests can pass the real ones. */
export interface OffsetsTopicStorage {
  hasTopic(name: string): boolean;
  getTopic(name: string): { configs: Record<string, string> } | undefined;
  createTopic(name: string, opts: { partitions: number; configs?: Record<string, string> }): Promise<unknown>;
  alterTopicConfigs(name: string, changes: { name: string; op: 'set'; value: string }[]): Promise<unknown>;
  partition(topic: string, index: number): OffsetsPartition | undefined;
}

export interface OffsetsPartition {
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  append(batch: Buffer, opts: { logAppendTime: boolean; origin?: 'client' | 'coordinator' }): Promise<unknown>;
  read(offset: number, maxBytes: number, opts?: { toLogEnd?: boolean }): Promise<{ records: Buffer }>;
}

export const OFFSETS_TOPIC = '__consumer_offsets';
/** Kafka's offsets.topic.segment.bytes default. */
export const DEFAULT_OFFSETS_SEGMENT_BYTES = 100 * 1024 * 1024;
/**
 * The segment.bytes of kstream's one-partition internal topic. Kafka spreads `__consumer_offsets` and
 * `__transaction_state` over `offsets.topic.num.partitions` / `transaction.state.log.num.partitions`
 * (50) partitions, each with `*.segment.bytes` (100 MiB) segments, so one partition's active segment —
 * what the cleaner cannot reach and a coordinator load replays whole — holds a fiftieth of the
 * traffic. kstream keeps all of it in one partition, so it divides the segment size by that count to
 * keep the same history per active segment (2 MiB by default; issue 20.3: a restart after 1 M commits
 * replayed a 100 MiB active segment). Never below 1 MiB: a segment must hold the largest batch.
 */
export function internalTopicSegmentBytes(segmentBytes: number, kafkaPartitions: number): number {
  return Math.max(1024 * 1024, Math.floor(segmentBytes / Math.max(1, kafkaPartitions)));
}

/** Below the default max.message.bytes (1 MiB), leaving room for the batch header. */
const MAX_BATCH_BYTES = 900 * 1024;
const DEFAULT_READ_CHUNK = 4 * 1024 * 1024;

export interface PartitionOffsetLogOptions {
  now?: () => number;
  /** offsets.topic.segment.bytes. */
  segmentBytes?: number;
  /** Bytes per read while replaying (bounds the memory a load holds at once). */
  readChunkBytes?: number;
  /** The internal topic (default `__consumer_offsets`; the transaction coordinator uses `__transaction_state`). */
  topic?: string;
  /**
   * Cluster mode: coordinator writes happen only on the partition's leader and are acknowledged
   * once the ISR holds them (acks=all), as Kafka's coordinators append with acks=-1.
   */
  writeGuard?: CoordinatorWriteGuard;
}

/** Leadership and replication of the coordinator partition (cluster mode; absent on a single node). */
export interface CoordinatorWriteGuard {
  /** Throws unless this broker leads `topic`-0 now (nothing is written then). */
  beforeAppend(topic: string): void;
  /** Resolves once the ISR holds `topic`-0 up to `endOffset`; rejects when that fails. */
  afterAppend(topic: string, endOffset: number): Promise<void>;
}

export class PartitionOffsetLog implements OffsetLog {
  readonly #storage: OffsetsTopicStorage;
  readonly #topic: string;
  readonly #now: () => number;
  readonly #readChunk: number;
  readonly #guard: CoordinatorWriteGuard | undefined;

  private constructor(storage: OffsetsTopicStorage, topic: string, now: () => number, readChunk: number, guard: CoordinatorWriteGuard | undefined) {
    this.#storage = storage;
    this.#topic = topic;
    this.#now = now;
    this.#readChunk = readChunk;
    this.#guard = guard;
  }

  /**
   * Looked up on every use: in cluster mode a replica whose local copy had another topic id than the
   * cluster's is recreated under the cluster's id, and the coordinator must use the new log.
   */
  get #partition(): OffsetsPartition {
    const p = this.#storage.partition(this.#topic, 0);
    if (!p) throw new Error(`${this.#topic}-0 is not open on this broker`);
    return p;
  }

  async #appendBatch(batch: Buffer, origin?: 'coordinator'): Promise<void> {
    this.#guard?.beforeAppend(this.#topic);
    const partition = this.#partition;
    await partition.append(batch, origin ? { logAppendTime: false, origin } : { logAppendTime: false });
    await this.#guard?.afterAppend(this.#topic, partition.logEndOffset);
  }

  /**
   * Creates `__consumer_offsets` if missing (compacted, segment.bytes = offsets.topic.segment.bytes).
   * A topic made by an older kstream without a segment.bytes override, or with the 100 MiB one it
   * used to set, gets the current size now, so its active segment rolls and becomes cleanable; any
   * other explicit override is left alone.
   */
  static async open(storage: OffsetsTopicStorage, opts: PartitionOffsetLogOptions = {}): Promise<PartitionOffsetLog> {
    const segmentBytes = String(opts.segmentBytes ?? DEFAULT_OFFSETS_SEGMENT_BYTES);
    const name = opts.topic ?? OFFSETS_TOPIC;
    const topic = storage.getTopic(name);
    if (!topic) {
      await storage.createTopic(name, { partitions: 1, configs: { 'cleanup.policy': 'compact', 'segment.bytes': segmentBytes } });
    } else {
      const changes: { name: string; op: 'set'; value: string }[] = [];
      if (topic.configs['cleanup.policy'] !== 'compact') changes.push({ name: 'cleanup.policy', op: 'set', value: 'compact' });
      const current = topic.configs['segment.bytes'];
      if ((current === undefined || Number(current) === DEFAULT_OFFSETS_SEGMENT_BYTES) && current !== segmentBytes) changes.push({ name: 'segment.bytes', op: 'set', value: segmentBytes });
      if (changes.length > 0) await storage.alterTopicConfigs(name, changes);
    }
    const partition = storage.partition(name, 0);
    if (!partition) throw new Error(`${name}-0 is missing after creating the topic`);
    return new PartitionOffsetLog(storage, name, opts.now ?? Date.now, opts.readChunkBytes ?? DEFAULT_READ_CHUNK, opts.writeGuard);
  }

  /** Records handed to onRecord by the last replay() (what a load read: see the coordinators' load stats). */
  lastReplayRecords = 0;

  /**
   * Streams every keyed record from the log start to the end as of the call, oldest first — to the
   * log END, not the high watermark (Kafka's loader reads to the log end too): a follower just made
   * leader has records its high watermark does not cover yet — the old leader acknowledged them once
   * its own high watermark passed, and the follower only learns that on a fetch it may never make.
   * Stopping at the high watermark would forget acknowledged offset commits and group changes.
   * Plain batches (what the coordinators write: uncompressed, one batch per commit) are walked in
   * place — key and value are views into the read chunk, valid during the callback only — so a load
   * costs no per-batch objects; compressed and control batches take the general decoder.
   */
  async replay(onRecord: (r: OffsetLogRecord) => void): Promise<void> {
    const partition = this.#partition;
    let offset = partition.logStartOffset;
    const end = partition.logEndOffset;
    let count = 0;
    const visit = (r: OffsetLogRecord): void => {
      count++;
      onRecord(r);
    };
    while (offset < end) {
      const { records } = await partition.read(offset, this.#readChunk, { toLogEnd: true });
      if (records.length === 0) break;
      let next = offset;
      for (let at = 0; ; ) {
        const size = entrySizeAt(records, at);
        if (size < 0) break;
        next = replayBatch(records, at, offset, end, visit);
        at += size;
      }
      if (next <= offset) break;
      offset = next;
    }
    this.lastReplayRecords = count;
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
      await this.#appendBatch(batch);
    };
    for (const r of records) {
      const size = r.key.length + (r.value?.length ?? 0) + 32;
      if (bytes + size > MAX_BATCH_BYTES) await flush();
      chunk.push(r);
      bytes += size;
    }
    await flush();
  }

  /**
   * Appends records as one transactional batch of a producer (TxnOffsetCommit): written with the
   * producer's id/epoch and no sequence, as Kafka's group coordinator does; the partition log checks
   * the epoch only (origin coordinator). They take effect when the transaction's marker follows.
   */
  async appendTransactional(records: OffsetLogRecord[], producerId: bigint, producerEpoch: number): Promise<void> {
    const batch = encodeRecordBatch({
      now: this.#now,
      transactional: true,
      producerId,
      producerEpoch,
      baseSequence: -1,
      records: records.map((r) => ({ key: r.key, value: r.value })),
    });
    await this.#appendBatch(batch, 'coordinator');
  }

  /** The partition belongs to the storage layer, which closes it. */
  async close(): Promise<void> {}
}

/**
 * Hands the keyed records of the batch at `at` with offsets in [from, end) to `visit`; returns the
 * offset after the batch. An end-transaction marker is handed on as `control` (the group coordinator
 * applies or drops the producer's pending transactional commits).
 */
function replayBatch(buf: Buffer, at: number, from: number, end: number, visit: (r: OffsetLogRecord) => void): number {
  const attrs = buf.readInt16BE(at + ATTRIBUTES);
  if (buf.readInt8(at + MAGIC) !== 2 || (attrs & (CONTROL_BIT | COMPRESSION_MASK)) !== 0) {
    let next = from;
    for (const batch of iterateBatches(buf.subarray(at, at + entrySizeAt(buf, at)))) {
      if (batch.isControl) {
        const marker = batch.baseOffset >= from && batch.baseOffset < end ? readEndTxnMarker(batch) : null;
        const r0 = batch.records[0];
        if (marker && r0?.key) visit({ key: r0.key, value: r0.value, producerId: marker.producerId, control: marker.type });
      } else {
        const txn = batch.isTransactional ? { producerId: batch.producerId } : {};
        for (const r of batch.records) {
          if (r.offset < from || r.offset >= end || r.key === null) continue;
          visit({ key: r.key, value: r.value, ...txn });
        }
      }
      next = batch.baseOffset + batch.lastOffsetDelta + 1;
    }
    return next;
  }
  const size = checkBatchFrame(buf, at, true);
  const base = Number(buf.readBigInt64BE(at + BASE_OFFSET));
  const producerId = attrs & TRANSACTIONAL_BIT ? buf.readBigInt64BE(at + PRODUCER_ID) : undefined;
  const count = buf.readInt32BE(at + RECORD_COUNT);
  const batchEnd = at + size;
  const c = { pos: at + RECORDS_START };
  for (let i = 0; i < count && c.pos < batchEnd; i++) {
    const len = readVarint(buf, c);
    const recordEnd = c.pos + len;
    if (recordEnd > batchEnd) throw new Error(`record at ${c.pos} runs past its batch at offset ${base}`);
    c.pos += 1; // attributes
    readVarlong(buf, c); // timestamp delta
    const offset = base + readVarint(buf, c);
    const keyLen = readVarint(buf, c);
    const keyAt = c.pos;
    c.pos += Math.max(0, keyLen);
    const valueLen = readVarint(buf, c);
    const value = valueLen < 0 ? null : buf.subarray(c.pos, c.pos + valueLen);
    c.pos = recordEnd;
    if (offset < from || offset >= end || keyLen < 0) continue;
    const key = buf.subarray(keyAt, keyAt + keyLen);
    visit(producerId === undefined ? { key, value } : { key, value, producerId });
  }
  return base + buf.readInt32BE(at + LAST_OFFSET_DELTA) + 1;
}
