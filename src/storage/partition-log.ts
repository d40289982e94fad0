import { join } from 'node:path';
import {
  BASE_OFFSET,
  BATCH_LENGTH,
  LAST_OFFSET_DELTA,
  LOG_OVERHEAD,
  MAGIC,
  RECORDS_START,
  RECORD_COUNT,
  maxTimestamp as headerMaxTimestamp,
  lastOffsetDelta,
  setBaseOffset,
  setPartitionLeaderEpoch,
  stampMaxTimestamp,
  isLogAppendTime,
} from '../protocol/records/batch-header.ts';
import type { DurabilitySettings } from './durability.ts';
import { KafkaStorageError, MessageTooLargeError, OffsetOutOfRangeError, StorageError, storageFailure } from './errors.ts';
import type { StorageIO } from './io.ts';
import { isNotFound } from './io.ts';
import { LogSegment } from './log-segment.ts';
import type { StorageLogger } from './logger.ts';
import { findRecordAtOrAfter } from './record-scan.ts';
import type { LogConfig } from './topic-config.ts';

export interface AppendOptions {
  /** Topic uses LogAppendTime (message.timestamp.type): stamp the broker clock as maxTimestamp. */
  logAppendTime: boolean;
  /**
   * Largest record timestamp (the Produce handler's validateBatch computes it). Written into the
   * header's maxTimestamp for CreateTime; when absent, the header's own value is trusted.
   */
  maxTimestamp?: number;
}

export interface AppendResult {
  baseOffset: number;
  lastOffset: number;
  /** The append time for LogAppendTime topics, -1 for CreateTime (ProduceResponse semantics). */
  logAppendTimeMs: number;
  /** logStartOffset after the append (ProduceResponse v5+). */
  logStartOffset: number;
  /** True when the producer-state check found a retried batch: nothing was written. */
  duplicate: boolean;
}

export interface ReadOptions {
  /** Return the first batch even when larger than maxBytes (KIP-74). Default true. */
  minOneBatch?: boolean;
  /**
   * read_uncommitted / read_committed. kstream has no transactions yet, so the last stable offset
   * equals the high watermark and both read the same.
   */
  isolation?: 'read_uncommitted' | 'read_committed';
}

export interface ReadResult {
  /** Whole batches, straight from the segment file; empty at the end of the log. */
  records: Buffer;
  highWatermark: number;
  logStartOffset: number;
  /** Last stable offset (== highWatermark without transactions). */
  lastStableOffset: number;
}

/**
 * The idempotent-producer check, called inside the serialized append section (src/storage/
 * producer-state.ts implements it). `check` throws a typed error (with a Kafka errorCode) to reject,
 * returns the original result for a retried duplicate, or null to go on; `record` notes the batch
 * once written.
 */
export interface ProducerStateHook {
  check(batch: Buffer, nowMs: number): { baseOffset: number; lastOffset: number; logAppendTimeMs: number } | null;
  record(batch: Buffer, baseOffset: number, lastOffset: number, logAppendTimeMs: number, nowMs: number): void;
  /** Rebuild from a batch header read during load (recovery). */
  replay?(batch: Buffer, at: number): void;
}

export interface PartitionLogOptions {
  io: StorageIO;
  dir: string;
  topic: string;
  partition: number;
  topicId: string;
  config: LogConfig;
  now: () => number;
  logger: StorageLogger;
  durability: DurabilitySettings;
  producerState?: ProducerStateHook;
  /** Called when logStartOffset moved (the manager persists its checkpoint). */
  onLogStartOffsetChanged?: () => void;
}

export interface LoadState {
  /** A clean-shutdown marker was found: trust the files, skip validation. */
  clean: boolean;
  /** Offsets below this are known flushed (recovery-point-offset-checkpoint), if known. */
  recoveryPoint?: number;
  /** Persisted logStartOffset (log-start-offset-checkpoint), if known. */
  logStartOffset?: number;
}

const EMPTY = Buffer.alloc(0);
const STRAY_SUFFIXES = ['.cleaned', '.deleted', '.swap', '.tmp'];

/**
 * One partition: an ordered list of segments, the last one active. Appends are serialized through a
 * promise queue; reads run concurrently against the immutable prefix of the files.
 */
export class PartitionLog {
  readonly topic: string;
  readonly partition: number;
  readonly topicId: string;
  readonly dir: string;
  logStartOffset = 0;
  logEndOffset = 0;
  /** Offsets below are visible to consumers. Single node: == logEndOffset (after fsync in `always`). */
  highWatermark = 0;
  /** Leader epoch stamped into appended batches (0 until replication exists). */
  leaderEpoch = 0;
  /** Offsets below are fsynced (Kafka's recovery point). */
  recoveryPoint = 0;
  config: LogConfig;

  private readonly io: StorageIO;
  private readonly now: () => number;
  private readonly logger: StorageLogger;
  private readonly durability: DurabilitySettings;
  producerState: ProducerStateHook | undefined;
  private readonly onLogStartOffsetChanged: (() => void) | undefined;
  private segments: LogSegment[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Set<(highWatermark: number) => void>();
  private unflushedMessages = 0;
  private lastFlushMs: number;
  private syncInFlight: Promise<void> | null = null;
  private backgroundFlush: Promise<void> = Promise.resolve();
  /** Set after an fsync failure: the page cache state is unknown, so the partition stops taking writes. */
  private failure: KafkaStorageError | null = null;
  private closed = false;

  private constructor(opts: PartitionLogOptions) {
    this.io = opts.io;
    this.dir = opts.dir;
    this.topic = opts.topic;
    this.partition = opts.partition;
    this.topicId = opts.topicId;
    this.config = opts.config;
    this.now = opts.now;
    this.logger = opts.logger;
    this.durability = opts.durability;
    this.producerState = opts.producerState;
    this.onLogStartOffsetChanged = opts.onLogStartOffsetChanged;
    this.lastFlushMs = opts.now();
  }

  get name(): string {
    return `${this.topic}-${this.partition}`;
  }

  /** Segments, oldest first (read-only view for tests and tools). */
  get segmentList(): readonly LogSegment[] {
    return this.segments;
  }

  private get active(): LogSegment {
    return this.segments[this.segments.length - 1]!;
  }

  /** Total bytes of all segments. */
  get size(): number {
    let s = 0;
    for (const seg of this.segments) s += seg.size;
    return s;
  }

  /**
   * Opens (creating if needed) the partition directory and loads its segments. Without a clean
   * shutdown, every segment from the one holding the recovery point on is re-validated batch by batch
   * and cut at the first torn or corrupt batch.
   */
  static async open(opts: PartitionLogOptions, state: LoadState): Promise<PartitionLog> {
    const log = new PartitionLog(opts);
    try {
      await log.load(state);
    } catch (e) {
      await log.closeSegments();
      if (e instanceof StorageError) throw e;
      throw storageFailure('loading partition', opts.dir, e);
    }
    return log;
  }

  private async load(state: LoadState): Promise<void> {
    const { io, dir } = this;
    await io.mkdir(dir, { recursive: true });
    const names = await io.readdir(dir);
    const bases: number[] = [];
    for (const name of names) {
      if (STRAY_SUFFIXES.some((s) => name.endsWith(s))) {
        this.logger.warn(`${this.name}: deleting leftover file ${name}`);
        await io.rm(join(dir, name), { force: true, recursive: true });
        continue;
      }
      const m = /^(\d{20})\.(log|index|timeindex)$/.exec(name);
      if (m && m[2] === 'log') bases.push(Number(m[1]));
    }
    // Index files without their log are leftovers of a deletion cut short.
    for (const name of names) {
      const m = /^(\d{20})\.(index|timeindex)$/.exec(name);
      if (m && !bases.includes(Number(m[1]))) await io.rm(join(dir, name), { force: true });
    }
    bases.sort((a, b) => a - b);
    const nowMs = this.now();
    if (bases.length === 0) {
      const start = state.logStartOffset ?? 0;
      this.segments.push(await LogSegment.create(io, dir, start, this.config.indexIntervalBytes, nowMs));
    } else {
      for (const b of bases) this.segments.push(new LogSegment(io, dir, b, this.config.indexIntervalBytes, nowMs));
    }
    // Which segments need validation: all from the one containing the recovery point.
    let firstToRecover = this.segments.length;
    if (!state.clean) {
      firstToRecover = 0;
      if (state.recoveryPoint !== undefined) {
        for (let i = 0; i < this.segments.length; i++) if (this.segments[i]!.baseOffset <= state.recoveryPoint) firstToRecover = i;
      }
    }
    for (let i = 0; i < this.segments.length; i++) {
      const seg = this.segments[i]!;
      const isLast = i === this.segments.length - 1;
      if (i < firstToRecover) {
        try {
          await seg.loadClean(isLast);
          continue;
        } catch (e) {
          if (!isLast) throw e;
          this.logger.warn(`${this.name}: ${(e as Error).message}; recovering the segment`);
        }
      }
      const r = await seg.rebuild(true);
      if (r.truncatedBytes > 0) {
        this.logger.warn(
          `${this.name}: recovery truncated ${r.truncatedBytes} bytes of ${seg.logPath} at position ${r.validBytes}` +
            ` (${r.reason}); dropped offsets from ${r.firstDroppedOffset ?? seg.nextOffset}; log now ends at offset ${seg.nextOffset}`,
        );
        // Anything after a corrupt batch is unreachable by offset order: drop later segments too.
        const later = this.segments.splice(i + 1);
        for (const s of later) {
          this.logger.warn(`${this.name}: deleting segment ${s.logPath} after the corrupt point`);
          await s.delete();
        }
      }
      if (this.producerState?.replay) await this.replayProducerState(seg);
      await seg.flush(true);
    }
    if (state.clean && this.producerState?.replay) for (const seg of this.segments) await this.replayProducerState(seg);
    // Empty segments before the active one carry nothing (a roll cut short by a crash): keep order sane.
    this.logEndOffset = this.active.nextOffset;
    this.highWatermark = this.logEndOffset;
    this.recoveryPoint = this.logEndOffset;
    const first = this.segments[0]!.baseOffset;
    this.logStartOffset = Math.min(Math.max(state.logStartOffset ?? first, first), this.logEndOffset);
  }

  private async replayProducerState(seg: LogSegment): Promise<void> {
    const hook = this.producerState!;
    const { BatchScanner } = await import('./batch-scanner.ts');
    const scanner = new BatchScanner(await seg.handle(), seg.size);
    await scanner.walk(0, false, (buf, at) => {
      hook.replay!(buf, at);
      return true;
    });
  }

  /** Runs `fn` after every earlier queued operation (appends, retention, truncation). */
  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Appends exactly one validated magic-2 batch. Assigns offsets, stamps the leader epoch and
   * maxTimestamp in place (the caller's buffer is modified), writes it, rolls segments as needed, and
   * resolves once durable per the fsync mode.
   */
  append(batch: Buffer, opts: AppendOptions): Promise<AppendResult> {
    return this.serialize(() => this.appendSerialized(batch, opts)).then(async (r) => {
      if (this.durability.mode === 'always' && !r.duplicate) await this.syncThrough(r.lastOffset + 1);
      return r;
    });
  }

  private async appendSerialized(batch: Buffer, opts: AppendOptions): Promise<AppendResult> {
    if (this.closed) throw new KafkaStorageError(`${this.name} is closed`);
    if (this.failure) throw new KafkaStorageError(`${this.name} is offline after a storage failure: ${this.failure.message}`, this.failure);
    if (batch.length < RECORDS_START || batch.readInt32BE(BATCH_LENGTH) + LOG_OVERHEAD !== batch.length || batch.readInt8(MAGIC) !== 2) {
      throw new StorageError(2, `${this.name}: append needs exactly one magic-2 batch (got ${batch.length} bytes)`);
    }
    if (batch.length > this.config.maxMessageBytes) {
      throw new MessageTooLargeError(
        `The record batch of ${batch.length} bytes for ${this.name} is larger than max.message.bytes (${this.config.maxMessageBytes})`,
      );
    }
    const nowMs = this.now();
    if (this.producerState) {
      const dup = this.producerState.check(batch, nowMs);
      if (dup) return { ...dup, logStartOffset: this.logStartOffset, duplicate: true };
    }
    const logAppendTime = opts.logAppendTime;
    const maxTs = logAppendTime ? nowMs : (opts.maxTimestamp ?? headerMaxTimestamp(batch));
    const baseOffset = this.logEndOffset;
    const lastOffset = baseOffset + lastOffsetDelta(batch);
    await this.maybeRoll(batch.length, lastOffset, nowMs);
    setBaseOffset(batch, baseOffset);
    setPartitionLeaderEpoch(batch, this.leaderEpoch);
    stampMaxTimestamp(batch, maxTs, logAppendTime);
    const seg = this.active;
    try {
      await seg.append(batch, lastOffset, maxTs);
    } catch (e) {
      const err = storageFailure(`append to ${this.name}`, seg.logPath, e);
      this.logger.error(`${err.message}; the batch was not written, earlier data is untouched`);
      throw err;
    }
    this.logEndOffset = lastOffset + 1;
    const logAppendTimeMs = logAppendTime ? nowMs : -1;
    this.producerState?.record(batch, baseOffset, lastOffset, logAppendTimeMs, nowMs);
    this.unflushedMessages += batch.readInt32BE(RECORD_COUNT);
    if (this.durability.mode !== 'always') {
      if (this.unflushedMessages >= this.durability.intervalMessages || this.unflushedMessages >= this.config.flushMessages) {
        await this.flushActive();
      }
      this.advanceHighWatermark(this.logEndOffset);
    }
    return { baseOffset, lastOffset, logAppendTimeMs, logStartOffset: this.logStartOffset, duplicate: false };
  }

  private advanceHighWatermark(offset: number): void {
    if (offset <= this.highWatermark) return;
    this.highWatermark = offset;
    for (const l of this.listeners) {
      try {
        l(offset);
      } catch (e) {
        this.logger.error(`${this.name}: append listener threw: ${(e as Error).message}`);
      }
    }
  }

  /** fdatasync covering every offset below `target`; concurrent callers share one fsync. */
  private async syncThrough(target: number): Promise<void> {
    while (this.recoveryPoint < target) {
      if (this.failure) throw this.failure;
      if (!this.syncInFlight) {
        const upTo = this.logEndOffset;
        const seg = this.active;
        this.syncInFlight = seg
          .syncLog()
          .then(
            () => {
              this.recoveryPoint = Math.max(this.recoveryPoint, upTo);
              this.unflushedMessages = 0;
              this.lastFlushMs = this.now();
              this.advanceHighWatermark(upTo);
            },
            (e) => {
              this.fail(storageFailure(`fsync of ${this.name}`, seg.logPath, e));
            },
          )
          .finally(() => {
            this.syncInFlight = null;
          });
      }
      await this.syncInFlight;
    }
  }

  private fail(err: KafkaStorageError): void {
    if (!this.failure) this.logger.error(`${err.message}; ${this.name} is offline until restart (recovery re-validates it)`);
    this.failure ??= err;
  }

  private async maybeRoll(batchSize: number, lastOffset: number, nowMs: number): Promise<void> {
    const seg = this.active;
    if (seg.isEmpty) return;
    const rollBase = seg.firstBatchTimestamp >= 0 ? seg.firstBatchTimestamp : seg.createdMs;
    const full = seg.size + batchSize > this.config.segmentBytes;
    const old = nowMs - rollBase > this.config.segmentMs;
    const offsetOverflow = lastOffset - seg.baseOffset > 0x7fffffff;
    if (!full && !old && !offsetOverflow) return;
    await this.roll(nowMs);
  }

  private async roll(nowMs: number): Promise<void> {
    const old = this.active;
    let next: LogSegment;
    try {
      next = await LogSegment.create(this.io, this.dir, this.logEndOffset, this.config.indexIntervalBytes, nowMs);
    } catch (e) {
      throw storageFailure(`rolling a new segment of ${this.name}`, this.dir, e);
    }
    this.segments.push(next);
    const endOfOld = this.logEndOffset;
    // Kafka flushes a rolled segment (log + indexes) and advances the recovery point past it. With
    // fsync=always its log is already synced, so waiting costs little; otherwise do it in the background.
    const flushOld = old.onBecomeInactive(true).then(
      async () => {
        this.recoveryPoint = Math.max(this.recoveryPoint, endOfOld);
        // Old segments keep their handle closed until read: bounded file handles with many segments.
        await old.closeHandle();
      },
      (e) => this.fail(storageFailure(`flushing rolled segment of ${this.name}`, old.logPath, e)),
    );
    if (this.durability.mode === 'always') await flushOld;
    else this.backgroundFlush = this.backgroundFlush.then(() => flushOld);
  }

  /** Flush (fsync) the active segment and indexes; advances the recovery point. */
  private async flushActive(): Promise<void> {
    const upTo = this.logEndOffset;
    const seg = this.active;
    try {
      await seg.flush(true);
    } catch (e) {
      const err = storageFailure(`fsync of ${this.name}`, seg.logPath, e);
      this.fail(err);
      throw err;
    }
    this.recoveryPoint = Math.max(this.recoveryPoint, upTo);
    this.unflushedMessages = 0;
    this.lastFlushMs = this.now();
  }

  /**
   * Periodic flush of `interval` mode (called by the manager's timer): fsyncs when there is unflushed
   * data older than the interval (or than the topic's flush.ms).
   */
  flushIfDue(nowMs: number): Promise<void> {
    const interval = Math.min(this.durability.mode === 'interval' ? this.durability.intervalMs : Number.POSITIVE_INFINITY, this.config.flushMs);
    if (this.recoveryPoint >= this.logEndOffset || nowMs - this.lastFlushMs < interval) return Promise.resolve();
    return this.flush();
  }

  /** Forces everything written so far to disk (log and indexes). */
  flush(): Promise<void> {
    return this.serialize(async () => {
      if (this.closed || this.failure) return;
      await this.backgroundFlush;
      await this.flushActive();
    });
  }

  /** Subscribes to high-watermark advances (Fetch long-polls). Returns the unsubscribe function. */
  onAppend(listener: (highWatermark: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Index of the segment holding `offset` (the last one whose base offset <= offset). */
  private segmentIndexFor(offset: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.segments[mid]!.baseOffset <= offset) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /**
   * Whole batches from the one containing `fetchOffset`, up to `maxBytes` (at least one batch with
   * minOneBatch), read as one byte range from one segment file. Empty at the log end.
   */
  async read(fetchOffset: number, maxBytes: number, opts: ReadOptions = {}): Promise<ReadResult> {
    const minOne = opts.minOneBatch ?? true;
    const hw = this.highWatermark;
    const result = (records: Buffer): ReadResult => ({ records, highWatermark: hw, logStartOffset: this.logStartOffset, lastStableOffset: hw });
    if (fetchOffset < this.logStartOffset || fetchOffset > this.logEndOffset) {
      throw new OffsetOutOfRangeError(this.name, fetchOffset, this.logStartOffset, this.logEndOffset);
    }
    if (fetchOffset >= hw) return result(EMPTY);
    try {
      for (let i = this.segmentIndexFor(fetchOffset); i < this.segments.length; i++) {
        const seg = this.segments[i]!;
        const end = seg.size;
        const start = await seg.locate(fetchOffset, end);
        if (start >= end) continue;
        const want = Math.min(end - start, Math.max(maxBytes, 0));
        let buf = want >= RECORDS_START ? await seg.read(start, want) : EMPTY;
        let cut = wholeBatchesBelow(buf, hw);
        if (cut === 0 && minOne) {
          const head = buf.length >= LOG_OVERHEAD ? buf : await seg.read(start, LOG_OVERHEAD);
          if (head.length < LOG_OVERHEAD || Number(head.readBigInt64BE(BASE_OFFSET)) >= hw) return result(EMPTY);
          const size = head.readInt32BE(BATCH_LENGTH) + LOG_OVERHEAD;
          buf = await seg.read(start, Math.min(size, end - start));
          cut = wholeBatchesBelow(buf, hw);
        }
        return result(cut === buf.length ? buf : buf.subarray(0, cut));
      }
    } catch (e) {
      if (fetchOffset < this.logStartOffset) throw new OffsetOutOfRangeError(this.name, fetchOffset, this.logStartOffset, this.logEndOffset);
      if (isNotFound(e) || (e as NodeJS.ErrnoException).code === 'EBADF') {
        // The segment was deleted by retention between lookup and read.
        throw new OffsetOutOfRangeError(this.name, fetchOffset, this.logStartOffset, this.logEndOffset);
      }
      if (e instanceof StorageError) throw e;
      throw storageFailure(`read of ${this.name}`, this.dir, e);
    }
    return result(EMPTY);
  }

  /**
   * ListOffsets by timestamp: the first record with timestamp >= ts (record-level for uncompressed
   * batches; for compressed batches the first offset of the first batch whose maxTimestamp >= ts).
   * Null when no record is that new.
   */
  async offsetForTimestamp(ts: number): Promise<{ offset: number; timestamp: number } | null> {
    for (const seg of this.segments) {
      await seg.ensureIndexes();
      if (seg.maxTimestamp < ts || seg.nextOffset <= this.logStartOffset) continue;
      const hit = await seg.findBatchByTimestamp(ts, this.logStartOffset);
      if (!hit) continue;
      const base = Number(hit.batch.readBigInt64BE(BASE_OFFSET));
      if (base >= this.highWatermark) return null;
      const batchMax = headerMaxTimestamp(hit.batch);
      if (isLogAppendTime(hit.batch)) return { offset: Math.max(base, this.logStartOffset), timestamp: batchMax };
      const rec = findRecordAtOrAfter(hit.batch, ts, this.logStartOffset);
      if (rec) return rec;
      return { offset: Math.max(base, this.logStartOffset), timestamp: batchMax };
    }
    return null;
  }

  /**
   * ListOffsets -3 (MAX_TIMESTAMP): offset and timestamp of the batch with the largest timestamp
   * (the last offset of that batch, as Kafka reports for batches it does not decompress). Null when empty.
   */
  async maxTimestampOffset(): Promise<{ offset: number; timestamp: number } | null> {
    let best: { offset: number; timestamp: number } | null = null;
    for (const seg of this.segments) {
      await seg.ensureIndexes();
      if (seg.maxTimestamp >= 0 && (best === null || seg.maxTimestamp > best.timestamp) && seg.offsetOfMaxTimestamp >= this.logStartOffset) {
        best = { offset: seg.offsetOfMaxTimestamp, timestamp: seg.maxTimestamp };
      }
    }
    return best;
  }

  /**
   * DeleteRecords: moves logStartOffset up to `offset` (-1 = high watermark) and deletes segments
   * wholly below it. Returns the new logStartOffset. Throws OffsetOutOfRange past the high watermark.
   */
  deleteRecordsBefore(offset: number): Promise<number> {
    return this.serialize(async () => {
      const target = offset === -1 ? this.highWatermark : offset;
      if (target < 0 || target > this.highWatermark) {
        throw new OffsetOutOfRangeError(this.name, offset, this.logStartOffset, this.highWatermark);
      }
      if (target > this.logStartOffset) {
        this.logStartOffset = target;
        await this.deleteSegmentsWhile((seg, next) => next !== undefined && next.baseOffset <= this.logStartOffset, 'log start offset');
        this.onLogStartOffsetChanged?.();
      }
      return this.logStartOffset;
    });
  }

  /**
   * Retention: deletes whole old segments (never the active one) past the log start offset, older than
   * retention.ms (by their largest timestamp) or beyond retention.bytes. Returns how many were deleted.
   */
  applyRetention(nowMs: number): Promise<number> {
    return this.serialize(async () => {
      if (this.closed) return 0;
      let deleted = await this.deleteSegmentsWhile((seg, next) => next !== undefined && next.baseOffset <= this.logStartOffset, 'log start offset');
      if (!this.config.cleanupPolicy.includes('delete')) return deleted;
      const retentionMs = this.config.retentionMs;
      if (retentionMs >= 0 && Number.isFinite(retentionMs)) {
        deleted += await this.deleteSegmentsWhile(async (seg) => {
          await seg.ensureIndexes();
          let ts = seg.maxTimestamp;
          if (ts < 0) ts = (await this.io.stat(seg.logPath)).mtimeMs;
          return nowMs - ts > retentionMs;
        }, `retention.ms ${retentionMs}`);
      }
      const retentionBytes = this.config.retentionBytes;
      if (retentionBytes >= 0 && Number.isFinite(retentionBytes)) {
        let excess = this.size - retentionBytes;
        deleted += await this.deleteSegmentsWhile((seg) => {
          if (excess - seg.size < 0) return false;
          excess -= seg.size;
          return true;
        }, `retention.bytes ${retentionBytes}`);
      }
      return deleted;
    });
  }

  /** Deletes oldest segments while `pred` holds, never the active one; advances logStartOffset. */
  private async deleteSegmentsWhile(
    pred: (seg: LogSegment, next: LogSegment | undefined) => boolean | Promise<boolean>,
    why: string,
  ): Promise<number> {
    let n = 0;
    while (this.segments.length > 1) {
      const seg = this.segments[0]!;
      if (!(await pred(seg, this.segments[1]))) break;
      this.segments.shift();
      const newStart = this.segments[0]!.baseOffset;
      if (newStart > this.logStartOffset) {
        this.logStartOffset = newStart;
        this.onLogStartOffsetChanged?.();
      }
      this.logger.info(`${this.name}: deleting segment ${seg.baseOffset} (${seg.size} bytes) by ${why}; log start offset now ${this.logStartOffset}`);
      try {
        await seg.delete();
      } catch (e) {
        this.logger.error(storageFailure(`deleting segment of ${this.name}`, seg.logPath, e).message);
      }
      n++;
    }
    return n;
  }

  /** Waits for queued work, flushes (fsync) everything and closes files. */
  close(): Promise<void> {
    return this.serialize(async () => {
      if (this.closed) return;
      try {
        await this.backgroundFlush;
        if (!this.failure) {
          await this.active.onBecomeInactive(true);
          this.recoveryPoint = this.logEndOffset;
        }
      } finally {
        this.closed = true;
        await this.closeSegments();
      }
    });
  }

  private async closeSegments(): Promise<void> {
    for (const seg of this.segments) await seg.close();
  }

  /** Removes all files of the partition (topic deletion). */
  async destroy(): Promise<void> {
    await this.serialize(async () => {
      this.closed = true;
      await this.backgroundFlush.catch(() => undefined);
      await this.closeSegments();
    });
  }

  /** Whether the partition stopped taking writes after a storage failure. */
  get offline(): boolean {
    return this.failure !== null;
  }
}

/** Bytes of the whole batches at the start of `buf` whose base offset is below `limit`. */
function wholeBatchesBelow(buf: Buffer, limit: number): number {
  let pos = 0;
  while (pos + RECORDS_START <= buf.length) {
    const size = buf.readInt32BE(pos + BATCH_LENGTH) + LOG_OVERHEAD;
    if (size < RECORDS_START || pos + size > buf.length) break;
    if (Number(buf.readBigInt64BE(pos + BASE_OFFSET)) >= limit) break;
    pos += size;
  }
  return pos;
}

