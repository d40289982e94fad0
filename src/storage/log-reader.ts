import {
  ATTRIBUTES,
  BASE_OFFSET,
  BATCH_LENGTH,
  COMPRESSION_MASK,
  LAST_OFFSET_DELTA,
  LOG_OVERHEAD,
  RECORDS_START,
  isLogAppendTime,
  maxTimestamp as headerMaxTimestamp,
} from '../protocol/records/batch-header.ts';
import { OffsetOutOfRangeError, StorageError, storageFailure } from './errors.ts';
import { isNotFound } from './io.ts';
import type { LogSegment } from './log-segment.ts';
import type { LogSegments } from './log-segments.ts';
import type { StorageLogger } from './logger.ts';
import type { ReadBufferPool } from './read-buffer-pool.ts';
import { findRecordAtOrAfter } from './record-scan.ts';
import type { AbortedTxn, TransactionIndex } from './transaction-index.ts';

export interface ReadOptions {
  /** Return the first batch even when larger than maxBytes (KIP-74). Default true. */
  minOneBatch?: boolean;
  /** read_committed reads only below the last stable offset and reports the aborted transactions of the range. */
  isolation?: 'read_uncommitted' | 'read_committed';
  /** Read up to the log end instead of the high watermark (replica fetches from followers). */
  toLogEnd?: boolean;
}

export interface ReadResult {
  /** Whole batches, straight from the segment file; empty at the end of the log. */
  records: Buffer;
  highWatermark: number;
  logStartOffset: number;
  /** Last stable offset: the first offset of the earliest open transaction, else the high watermark. */
  lastStableOffset: number;
  /** read_committed only: aborted transactions overlapping the range read (Fetch's aborted_transactions). */
  abortedTransactions?: AbortedTxn[];
  /**
   * Present when `records` lives in a pooled buffer: call once the bytes have been sent (the socket
   * has copied them) to hand the buffer back. Not calling it is safe; calling it while still using
   * `records` is not.
   */
  release?: () => void;
}

export interface OffsetAndTimestamp {
  offset: number;
  timestamp: number;
}

/** What the reader sees of a partition: its segments and offsets, read at the moment of each call. */
export interface ReadableLog {
  readonly name: string;
  readonly segments: LogSegments;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  readonly highWatermark: number;
  readonly lastStableOffset: number;
  readonly txnIndex: TransactionIndex;
  readonly indexIntervalBytes: number;
  /** A compaction swap in progress (a reader that hit a replaced segment waits for it), else null. */
  readonly swapping: Promise<void> | null;
}

const EMPTY = Buffer.alloc(0);
const noop = (): void => {};
const MAX_READ_BYTES = 64 * 1024 * 1024;
/** Extra bytes read past the budget so the scan from an index entry usually needs no second read. */
const SCAN_SLACK = 16 * 1024;

/**
 * Reads of one partition (Fetch, ListOffsets): run concurrently with appends against the immutable
 * prefix of the files. Kafka's UnifiedLog.read and fetchOffsetByTimestamp.
 */
export class LogReader {
  private readonly log: ReadableLog;
  private readonly readPool: ReadBufferPool | undefined;
  private readonly logger: StorageLogger;

  constructor(log: ReadableLog, readPool: ReadBufferPool | undefined, logger: StorageLogger) {
    this.log = log;
    this.readPool = readPool;
    this.logger = logger;
  }

  /**
   * Whole batches from the one containing `fetchOffset`, up to `maxBytes` (at least one batch with
   * minOneBatch), read as one byte range from one segment file. Empty at the log end.
   */
  read(fetchOffset: number, maxBytes: number, opts: ReadOptions = {}): Promise<ReadResult> {
    return this.retryOnSwap(() => this.readOnce(fetchOffset, maxBytes, opts));
  }

  /**
   * ListOffsets by timestamp: the first record with timestamp >= ts, record-level (uncompressed batches
   * by walking record headers in place, compressed ones by decompressing that one batch).
   * Null when no record is that new.
   */
  offsetForTimestamp(ts: number): Promise<OffsetAndTimestamp | null> {
    return this.retryOnSwap(() => this.offsetForTimestampOnce(ts));
  }

  /**
   * ListOffsets -3 (MAX_TIMESTAMP): offset and timestamp of the record with the largest timestamp (the
   * first such record). Null when empty.
   */
  async maxTimestampOffset(): Promise<OffsetAndTimestamp | null> {
    const log = this.log;
    let best: OffsetAndTimestamp | null = null;
    for (const seg of log.segments.all) {
      await seg.ensureMaxTimestamp();
      if (
        seg.maxTimestamp >= 0 &&
        (best === null || seg.maxTimestamp > best.timestamp) &&
        seg.offsetOfMaxTimestamp >= log.logStartOffset &&
        seg.offsetOfMaxTimestamp < log.highWatermark
      ) {
        best = { offset: seg.offsetOfMaxTimestamp, timestamp: seg.maxTimestamp };
      }
    }
    if (!best) return null;
    // Kafka (KIP-734, fixed in 3.8) answers the offset of the record itself, not its batch's last offset.
    try {
      const { records, release } = await this.read(best.offset, 1, { minOneBatch: true });
      try {
        if (records.length >= RECORDS_START && !isLogAppendTime(records)) {
          const rec = findRecordAtOrAfter(records, best.timestamp, log.logStartOffset) ?? (await this.findCompressedRecord(records, best.timestamp));
          if (rec) return rec;
        } else if (records.length >= RECORDS_START) {
          return { offset: Math.max(Number(records.readBigInt64BE(BASE_OFFSET)), log.logStartOffset), timestamp: best.timestamp };
        }
      } finally {
        release?.();
      }
    } catch (e) {
      if (!(e instanceof OffsetOutOfRangeError)) throw e;
    }
    return best;
  }

  /** Runs a read; when compaction replaced a segment under it (ESTALE), waits for the swap and reruns. */
  private async retryOnSwap<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? (e as { cause?: NodeJS.ErrnoException }).cause?.code;
        if (code !== 'ESTALE' || attempt >= 3) throw e;
        await this.log.swapping;
      }
    }
  }

  private async readOnce(fetchOffset: number, maxBytes: number, opts: ReadOptions): Promise<ReadResult> {
    const log = this.log;
    const minOne = opts.minOneBatch ?? true;
    const realHw = log.highWatermark;
    const lso = log.lastStableOffset;
    const committed = opts.isolation === 'read_committed';
    // `hw` below is the read limit: read_committed stops at the last stable offset.
    const hw = opts.toLogEnd ? log.logEndOffset : committed ? lso : realHw;
    const result = (records: Buffer, release?: () => void): ReadResult => {
      const r: ReadResult = { records, highWatermark: realHw, logStartOffset: log.logStartOffset, lastStableOffset: lso };
      if (committed && records.length > 0) r.abortedTransactions = log.txnIndex.collect(fetchOffset, hw);
      if (release) {
        if (records.length === 0) release();
        else r.release = release;
      }
      return r;
    };
    if (fetchOffset < log.logStartOffset || fetchOffset > log.logEndOffset) {
      throw new OffsetOutOfRangeError(log.name, fetchOffset, log.logStartOffset, log.logEndOffset);
    }
    if (fetchOffset >= hw) return result(EMPTY);
    // Defensive cap: one read never buffers more than MAX_READ_BYTES (except a single larger batch
    // under minOneBatch), whatever a client asked for.
    const budget = Math.min(Math.max(maxBytes, 0), MAX_READ_BYTES);
    const segments = log.segments;
    try {
      for (let i = segments.indexFor(fetchOffset); i < segments.count; i++) {
        const seg = segments.at(i)!;
        await seg.ensureIndexes();
        segments.touch(seg);
        const end = seg.size;
        const from = seg.offsetIndex.lookupPosition(fetchOffset);
        if (from >= end) continue;
        // One read covering the scan from the index entry (at most ~index.interval.bytes plus a batch)
        // and the answer itself; a second read only when a batch is larger than that window.
        const window = Math.min(end - from, budget + log.indexIntervalBytes + SCAN_SLACK);
        const { data: buf, release } = await this.readRange(seg, from, window);
        let p = 0;
        let start = -1;
        while (p + LAST_OFFSET_DELTA + 4 <= buf.length) {
          const size = buf.readInt32BE(p + BATCH_LENGTH) + LOG_OVERHEAD;
          if (size < RECORDS_START) break;
          if (Number(buf.readBigInt64BE(p + BASE_OFFSET)) + buf.readInt32BE(p + LAST_OFFSET_DELTA) >= fetchOffset) {
            start = p;
            break;
          }
          p += size;
        }
        if (start < 0) {
          release();
          if (from + p >= end) continue; // nothing at or after fetchOffset in this segment
          const pos = await seg.locate(fetchOffset, end);
          if (pos >= end) continue;
          const r = await this.readBatchesAt(seg, pos, end, budget, hw, minOne);
          return result(r.data, r.release);
        }
        if (start + budget > buf.length && from + buf.length < end) {
          // The window ended before the budget did (large batches before the start): read from the start.
          release();
          const r = await this.readBatchesAt(seg, from + start, end, budget, hw, minOne);
          return result(r.data, r.release);
        }
        const cut = wholeBatchesBelow(buf, start, hw, budget);
        if (cut > 0) return result(buf.subarray(start, start + cut), release);
        release();
        if (!minOne) return result(EMPTY);
        const r = await this.readBatchesAt(seg, from + start, end, budget, hw, true);
        return result(r.data, r.release);
      }
    } catch (e) {
      if (e instanceof StorageError) throw e;
      if (fetchOffset < log.logStartOffset || isNotFound(e) || (e as NodeJS.ErrnoException).code === 'EBADF') {
        // The segment was deleted by retention between lookup and read.
        throw new OffsetOutOfRangeError(log.name, fetchOffset, log.logStartOffset, log.logEndOffset);
      }
      throw storageFailure(`read of ${log.name}`, segments.first.dir, e);
    }
    return result(EMPTY);
  }

  /** A byte range of a segment, in a pooled buffer when the log has a read pool. */
  private async readRange(seg: LogSegment, pos: number, len: number): Promise<{ data: Buffer; release: () => void }> {
    if (this.readPool) return seg.readPooled(pos, len, this.readPool);
    return { data: await seg.read(pos, len), release: noop };
  }

  /** Batches starting at a known batch position: up to `budget` bytes, or the first batch when minOne. */
  private async readBatchesAt(
    seg: LogSegment,
    pos: number,
    end: number,
    budget: number,
    hw: number,
    minOne: boolean,
  ): Promise<{ data: Buffer; release: () => void }> {
    const first = await this.readRange(seg, pos, Math.min(end - pos, Math.max(budget, LOG_OVERHEAD)));
    const buf = first.data;
    const cut = wholeBatchesBelow(buf, 0, hw, budget);
    if (cut > 0) return { data: buf.subarray(0, cut), release: first.release };
    const none = { data: EMPTY, release: noop };
    if (!minOne || buf.length < LOG_OVERHEAD || Number(buf.readBigInt64BE(BASE_OFFSET)) >= hw) {
      first.release();
      return none;
    }
    const size = buf.readInt32BE(BATCH_LENGTH) + LOG_OVERHEAD;
    first.release();
    if (size > end - pos) return none;
    const whole = await this.readRange(seg, pos, size);
    if (wholeBatchesBelow(whole.data, 0, hw, size) === size) return whole;
    whole.release();
    return none;
  }

  private async offsetForTimestampOnce(ts: number): Promise<OffsetAndTimestamp | null> {
    const log = this.log;
    for (const seg of log.segments.all) {
      await seg.ensureMaxTimestamp();
      if (seg.maxTimestamp < ts || seg.nextOffset <= log.logStartOffset) continue;
      const hit = await seg.findBatchByTimestamp(ts, log.logStartOffset);
      log.segments.touch(seg);
      if (!hit) continue;
      const base = Number(hit.batch.readBigInt64BE(BASE_OFFSET));
      if (base >= log.highWatermark) return null;
      const batchMax = headerMaxTimestamp(hit.batch);
      if (isLogAppendTime(hit.batch)) return { offset: Math.max(base, log.logStartOffset), timestamp: batchMax };
      const rec = findRecordAtOrAfter(hit.batch, ts, log.logStartOffset) ?? (await this.findCompressedRecord(hit.batch, ts));
      if (rec) return rec;
      return { offset: Math.max(base, log.logStartOffset), timestamp: batchMax };
    }
    return null;
  }

  /**
   * Record-level answer inside a compressed batch: decompresses it once (gzip/zstd off the event loop).
   * A rare admin path, so the codec is loaded only here. Null when the batch does not decode.
   */
  private async findCompressedRecord(batch: Buffer, ts: number): Promise<OffsetAndTimestamp | null> {
    if ((batch.readInt16BE(ATTRIBUTES) & COMPRESSION_MASK) === 0) return null;
    try {
      const { decodeRecordBatchAsync } = await import('../protocol/records/record-batch.ts');
      const decoded = await decodeRecordBatchAsync(batch, 0, { verifyCrc: false });
      for (const r of decoded.records) {
        if (r.timestamp >= ts && r.offset >= this.log.logStartOffset) return { offset: r.offset, timestamp: r.timestamp };
      }
    } catch (e) {
      this.logger.warn(`${this.log.name}: cannot decode a compressed batch for a timestamp lookup: ${(e as Error).message}`);
    }
    return null;
  }
}

/**
 * Bytes of the whole batches in `buf` from `start` that fit in `budget` and whose base offset is
 * below `limit` (the high watermark): header reads only, no record parsing.
 */
function wholeBatchesBelow(buf: Buffer, start: number, limit: number, budget: number): number {
  let pos = start;
  while (pos + RECORDS_START <= buf.length) {
    const size = buf.readInt32BE(pos + BATCH_LENGTH) + LOG_OVERHEAD;
    if (size < RECORDS_START || pos + size > buf.length || pos + size - start > budget) break;
    if (Number(buf.readBigInt64BE(pos + BASE_OFFSET)) >= limit) break;
    pos += size;
  }
  return pos - start;
}
