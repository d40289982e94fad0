import type { TransactionIndex } from './transaction-index.ts';
import { lastStableOffset } from './transaction-markers.ts';
import type { DurabilitySettings } from './durability.ts';
import type { FileHandleBudget } from './file-handle-budget.ts';
import type { AppendableLog, AppendOptions, AppendResult } from './log-appender.ts';
import { LogAppendCore } from './log-appender.ts';
import type { CleanableLog, CompactionResult, SegmentReplacement } from './log-cleaner.ts';
import { LogCleaner } from './log-cleaner.ts';
import type { LoadState } from './log-loader.ts';
import { loadLog } from './log-loader.ts';
import type { OffsetAndTimestamp, ReadOptions, ReadResult, ReadableLog } from './log-reader.ts';
import { LogReader } from './log-reader.ts';
import type { RetainableLog } from './log-retention.ts';
import { LogRetention } from './log-retention.ts';
import type { LogSegment } from './log-segment.ts';
import type { LogSegments } from './log-segments.ts';
import type { StorageIO } from './io.ts';
import { syncDir } from './io.ts';
import type { StorageLogger } from './logger.ts';
import type { ProducerStateManager } from './producer-state.ts';
import { pruneSnapshots, writeProducerSnapshot } from './producer-snapshots.ts';
import type { ReadBufferPool } from './read-buffer-pool.ts';
import type { LogConfig } from './topic-config.ts';
import { LeaderEpochCache } from './leader-epoch-cache.ts';
import { KafkaStorageError, storageFailure } from './errors.ts';
import { LogSegment as Segment } from './log-segment.ts';
import { snapshotOffsets, snapshotPath } from './producer-snapshots.ts';
import { BATCH_LENGTH, LOG_OVERHEAD, RECORDS_START, partitionLeaderEpoch } from '../protocol/records/batch-header.ts';

export type { AppendOptions, AppendResult } from './log-appender.ts';
export type { CompactionResult } from './log-cleaner.ts';
export type { LoadState } from './log-loader.ts';
export type { ReadOptions, ReadResult } from './log-reader.ts';

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
  /** Producer state idle this long is dropped at retention time (producer.id.expiration.ms). */
  producerIdExpirationMs?: number;
  /** Lends Fetch read buffers (see read-buffer-pool.ts); without one every read allocates. */
  readPool?: ReadBufferPool;
  /** Called when logStartOffset moved (the manager persists its checkpoint). */
  onLogStartOffsetChanged?: () => void;
  /** The broker's bound on open segment files (shared by all partitions). */
  handles?: FileHandleBudget;
  /** Called when a segment rolled and its flush finished (the manager wakes the cleaner for compacted logs). */
  onRolled?: (log: PartitionLog) => void;
}

/**
 * One partition (Kafka's UnifiedLog): the state every unit shares (segments, offsets, producer state)
 * and the one serialized section that orders writers. The work is done by its units:
 * log-loader.ts (open and recovery), log-appender.ts (group-commit append, roll, fsync),
 * log-reader.ts (Fetch and ListOffsets), log-retention.ts (retention, DeleteRecords) and
 * log-cleaner.ts (compaction, handing back replacement segments that are swapped in here).
 */
export class PartitionLog implements AppendableLog, ReadableLog, RetainableLog, CleanableLog {
  readonly topic: string;
  readonly partition: number;
  readonly topicId: string;
  readonly dir: string;
  readonly name: string;
  logStartOffset: number;
  logEndOffset: number;
  /** Offsets below are visible to consumers. Single node: == logEndOffset (after fsync in `always`). */
  highWatermark: number;
  /** Leader epoch stamped into appended batches (0 on a single node; the replica manager sets it). */
  leaderEpoch = 0;
  /** The partition's leader-epoch-checkpoint (epoch → start offset); empty on a single node. */
  readonly epochCache: LeaderEpochCache;
  /** See AppendableLog.localEndListener: set by the replica manager while the partition is replicated. */
  localEndListener: ((logEnd: number) => void) | null = null;
  /** Offsets below are fsynced (Kafka's recovery point). */
  recoveryPoint: number;
  config: LogConfig;
  /** Idempotent-producer sequences of this partition (checked and recorded inside the append queue). */
  producerState: ProducerStateManager;
  /** Aborted transactions of this partition (`.txnindex` files beside the segments). */
  readonly txnIndex: TransactionIndex;
  readonly segments: LogSegments;
  /** A compaction swap in progress: readers that hit a replaced segment wait for it, then retry. */
  swapping: Promise<void> | null = null;
  /** close()/destroy() was called: background compaction stops at the next batch. */
  stopping = false;

  private readonly io: StorageIO;
  private readonly logger: StorageLogger;
  private readonly onLogStartOffsetChanged: (() => void) | undefined;
  private readonly producerIdExpirationMs: number;
  private readonly core: LogAppendCore;
  private readonly reader: LogReader;
  private readonly retention: LogRetention;
  private readonly cleaner: LogCleaner;
  private queue: Promise<unknown> = Promise.resolve();
  private compacting: Promise<CompactionResult> | null = null;
  private closed = false;

  private constructor(opts: PartitionLogOptions, loaded: Awaited<ReturnType<typeof loadLog>>, epochCache: LeaderEpochCache) {
    this.epochCache = epochCache;
    this.io = opts.io;
    this.dir = opts.dir;
    this.topic = opts.topic;
    this.partition = opts.partition;
    this.name = `${opts.topic}-${opts.partition}`;
    this.topicId = opts.topicId;
    this.config = opts.config;
    this.logger = opts.logger;
    this.onLogStartOffsetChanged = opts.onLogStartOffsetChanged;
    this.producerIdExpirationMs = opts.producerIdExpirationMs ?? 86_400_000;
    this.segments = loaded.segments;
    this.logStartOffset = loaded.logStartOffset;
    this.logEndOffset = loaded.logEndOffset;
    this.highWatermark = loaded.logEndOffset;
    this.recoveryPoint = loaded.recoveryPoint;
    this.producerState = loaded.producerState;
    this.txnIndex = loaded.txnIndex;
    this.core = new LogAppendCore(this, {
      io: opts.io,
      logger: opts.logger,
      now: opts.now,
      durability: opts.durability,
      serialize: (fn) => this.serialize(fn),
      handles: opts.handles,
      onRolled: opts.onRolled ? () => opts.onRolled!(this) : undefined,
    });
    this.reader = new LogReader(this, opts.readPool, opts.logger);
    this.retention = new LogRetention(opts.io, opts.logger);
    this.cleaner = new LogCleaner(opts.io, opts.logger, opts.handles);
  }

  /**
   * Opens (creating if needed) the partition directory and loads its segments (see log-loader.ts:
   * without a clean shutdown, segments from the recovery point on are re-validated).
   */
  static async open(opts: PartitionLogOptions, state: LoadState): Promise<PartitionLog> {
    const loaded = await loadLog({
      io: opts.io,
      dir: opts.dir,
      name: `${opts.topic}-${opts.partition}`,
      indexIntervalBytes: opts.config.indexIntervalBytes,
      nowMs: opts.now(),
      logger: opts.logger,
      fsyncMode: opts.durability.mode,
      state,
      handles: opts.handles,
    });
    let epochCache: LeaderEpochCache;
    try {
      epochCache = await LeaderEpochCache.load(opts.io, opts.dir);
    } catch (e) {
      // Only replication reads it, and a follower re-learns epochs from its leader: start empty.
      opts.logger.warn(`${opts.topic}-${opts.partition}: ignoring unreadable leader-epoch-checkpoint: ${(e as Error).message}`);
      epochCache = LeaderEpochCache.empty(opts.io, opts.dir);
    }
    if (epochCache.all.length > 0) await epochCache.truncateFromEnd(loaded.logEndOffset);
    return new PartitionLog(opts, loaded, epochCache);
  }

  /** Segments, oldest first (read-only view for tests and tools). */
  get segmentList(): readonly LogSegment[] {
    return this.segments.all;
  }

  /** Total bytes of all segments. */
  get size(): number {
    return this.segments.size;
  }

  get indexIntervalBytes(): number {
    return this.config.indexIntervalBytes;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Whether the partition stopped taking writes after a storage failure. */
  get offline(): boolean {
    return this.core.failure !== null;
  }

  /** Moves logStartOffset up (never down) and tells the manager to persist it. */
  advanceLogStartOffset(offset: number): void {
    if (offset <= this.logStartOffset) return;
    this.logStartOffset = offset;
    this.onLogStartOffsetChanged?.();
  }

  /** Last stable offset: below it every transaction is decided (Kafka's firstUnstableOffset, else the high watermark). */
  get lastStableOffset(): number {
    return lastStableOffset(this.producerState, this.highWatermark);
  }

  /** See CleanableLog.lastDataOffset (the producer's last data batch, kept by the cleaner). */
  lastDataOffset(producerId: bigint): number | undefined {
    return this.producerState.lastDataOffset(producerId);
  }

  /** See CleanableLog.producerEpoch. */
  producerEpoch(producerId: bigint): number | undefined {
    return this.producerState.epochOf(producerId);
  }

  /** Runs `fn` after every earlier queued operation (appends, retention, swaps, close). */
  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** See LogAppendCore.append: one magic-2 batch, offsets assigned, durable per the fsync mode. */
  append(batch: Buffer, opts: AppendOptions): Promise<AppendResult> {
    return this.core.append(batch, opts);
  }

  /**
   * A follower's append of batches exactly as its leader wrote them (Kafka's appendAsFollower): whole
   * batches back to back, offsets at or above the log end; offsets, epochs and timestamps are kept,
   * and each batch's leader epoch enters the epoch cache. Resolves with the new log end.
   */
  async appendAsFollower(records: Buffer): Promise<number> {
    const batches: Buffer[] = [];
    for (let pos = 0; pos + RECORDS_START <= records.length; ) {
      const size = records.readInt32BE(pos + BATCH_LENGTH) + LOG_OVERHEAD;
      if (size < RECORDS_START || pos + size > records.length) break; // a partial batch at the end of a fetch
      batches.push(records.subarray(pos, pos + size));
      pos += size;
    }
    if (batches.length === 0) return this.logEndOffset;
    const results = await Promise.all(batches.map((b) => this.core.append(b, { logAppendTime: false, origin: 'replication' })));
    for (let i = 0; i < batches.length; i++) {
      const epoch = partitionLeaderEpoch(batches[i]!);
      if (epoch > this.epochCache.latestEpoch) await this.epochCache.assign(epoch, results[i]!.baseOffset);
    }
    return this.logEndOffset;
  }

  /** The replica manager moves the high watermark of a replicated partition (wakes long-polls). */
  setHighWatermark(offset: number): void {
    this.core.setHighWatermark(offset);
  }

  /**
   * OffsetForLeaderEpoch on this log: the epoch cache's endOffsetFor. A log that was never replicated
   * has an empty cache but is in epoch `leaderEpoch` since its start, and answers so.
   */
  endOffsetForEpoch(requestedEpoch: number): { epoch: number; endOffset: number } {
    if (this.epochCache.all.length === 0 && requestedEpoch >= this.leaderEpoch) {
      return requestedEpoch === this.leaderEpoch ? { epoch: requestedEpoch, endOffset: this.logEndOffset } : { epoch: -1, endOffset: -1 };
    }
    return this.epochCache.endOffsetFor(requestedEpoch, this.logEndOffset);
  }

  /**
   * Removes everything at and after `offset` (Kafka's truncateTo; a follower cutting a tail its new
   * leader does not have). Batches are removed whole: the log end becomes the base offset of the first
   * batch ending at or after `offset`. Segments, indexes, producer state, aborted-transaction index,
   * producer snapshots and the leader-epoch cache follow. Resolves with the new log end.
   */
  truncateTo(offset: number): Promise<number> {
    return this.serialize(async () => {
      if (this.closed) throw new KafkaStorageError(`${this.name} is closed`);
      if (offset >= this.logEndOffset) {
        // Nothing to cut, but the epoch cache may still end with an epoch this broker started as
        // leader without appending anything before another leader was elected: it goes, or the
        // follower keeps naming it as its last fetched epoch and diverges forever (Kafka's
        // UnifiedLog.truncateTo "always truncate epoch cache").
        await this.epochCache.truncateFromEnd(this.logEndOffset);
        return this.logEndOffset;
      }
      if (offset <= this.logStartOffset) return this.truncateFullyNow(offset);
      await this.core.backgroundFlush;
      try {
        const i = this.segments.indexFor(offset);
        for (const seg of this.segments.removeAfter(i)) await seg.delete();
        const seg = this.segments.active;
        const pos = await seg.locate(offset);
        await seg.truncateTo(pos);
        await seg.rebuild(false);
        await seg.syncLog();
        this.logEndOffset = seg.size === 0 ? seg.baseOffset : seg.nextOffset;
      } catch (e) {
        throw storageFailure(`truncating ${this.name} to ${offset}`, this.dir, e);
      }
      await this.afterTruncation();
      this.logger.info(`${this.name}: truncated to offset ${this.logEndOffset}`);
      return this.logEndOffset;
    });
  }

  /** Deletes every segment and starts empty at `offset` (Kafka's truncateFullyAndStartAt). */
  truncateFullyAndStartAt(offset: number): Promise<number> {
    return this.serialize(() => this.truncateFullyNow(offset));
  }

  private async truncateFullyNow(offset: number): Promise<number> {
    if (this.closed) throw new KafkaStorageError(`${this.name} is closed`);
    await this.core.backgroundFlush;
    try {
      const fresh = await Segment.create(this.io, this.dir, offset, this.config.indexIntervalBytes, Date.now());
      for (const seg of this.segments.resetTo(fresh)) await seg.delete();
    } catch (e) {
      throw storageFailure(`truncating ${this.name} fully to ${offset}`, this.dir, e);
    }
    this.logEndOffset = offset;
    this.logStartOffset = offset;
    this.onLogStartOffsetChanged?.();
    await this.epochCache.clear();
    await this.afterTruncation();
    this.logger.info(`${this.name}: truncated fully, starting at offset ${offset}`);
    return offset;
  }

  private async afterTruncation(): Promise<void> {
    const end = this.logEndOffset;
    this.recoveryPoint = Math.min(this.recoveryPoint, end);
    if (this.highWatermark > end) this.highWatermark = end;
    this.producerState.truncateFrom(end);
    this.txnIndex.truncateFrom(end);
    await this.epochCache.truncateFromEnd(end);
    for (const o of snapshotOffsets(await this.io.readdir(this.dir))) if (o > end) await this.io.rm(snapshotPath(this.dir, o), { force: true });
  }

  /** Subscribes to high-watermark advances (Fetch long-polls). Returns the unsubscribe function. */
  onAppend(listener: (highWatermark: number) => void): () => void {
    return this.core.onAppend(listener);
  }

  /** Periodic flush of `interval` mode: fsyncs the log when the interval has passed since the last one. */
  flushIfDue(nowMs: number, tickMs = 0): Promise<void> {
    return this.core.flushIfDue(nowMs, tickMs);
  }

  /** Forces everything written so far to disk. */
  flush(): Promise<void> {
    return this.core.flush();
  }

  read(fetchOffset: number, maxBytes: number, opts: ReadOptions = {}): Promise<ReadResult> {
    return this.reader.read(fetchOffset, maxBytes, opts);
  }

  offsetForTimestamp(ts: number): Promise<OffsetAndTimestamp | null> {
    return this.reader.offsetForTimestamp(ts);
  }

  maxTimestampOffset(): Promise<OffsetAndTimestamp | null> {
    return this.reader.maxTimestampOffset();
  }

  /**
   * DeleteRecords: moves logStartOffset up to `offset` (-1 = high watermark) and deletes segments
   * wholly below it. Returns the new logStartOffset. Throws OffsetOutOfRange past the high watermark.
   */
  deleteRecordsBefore(offset: number): Promise<number> {
    return this.serialize(() => this.retention.deleteRecordsBefore(this, offset));
  }

  /** Retention (see log-retention.ts) and producer-id expiration. Returns how many segments were deleted. */
  applyRetention(nowMs: number): Promise<number> {
    return this.serialize(async () => {
      if (this.closed) return 0;
      this.producerState.expire(nowMs, this.producerIdExpirationMs);
      return this.retention.apply(this, nowMs);
    });
  }

  /**
   * Log compaction for cleanup.policy=compact (see log-cleaner.ts). Scanning and writing the cleaned
   * copies run beside appends (old segments never change); only each swap goes through the
   * serialized section. Segments are swapped in atomically (`.cleaned` → `.swap` → `.log` rename).
   */
  compact(nowMs: number): Promise<CompactionResult> {
    this.compacting ??= this.compactNow(nowMs).finally(() => {
      this.compacting = null;
    });
    return this.compacting;
  }

  private async compactNow(nowMs: number): Promise<CompactionResult> {
    const result: CompactionResult = { segmentsCleaned: 0, recordsRemoved: 0, bytesBefore: 0, bytesAfter: 0 };
    if (this.closed || this.stopping || this.offline || !this.config.cleanupPolicy.includes('compact')) return result;
    const inactive = this.segments.inactive;
    // Rolled segments finish their own flush (final index entries) before anything rewrites them.
    await this.core.backgroundFlush;
    for await (const r of this.cleaner.clean(this, nowMs, inactive)) {
      const before = r.olds.reduce((n, seg) => n + seg.size, 0);
      if (!(await this.serialize(() => this.swapIn(r)))) continue;
      result.segmentsCleaned++;
      result.recordsRemoved += r.recordsRemoved;
      result.bytesBefore += before;
      result.bytesAfter += r.fresh.size;
    }
    if (result.segmentsCleaned > 0) {
      this.logger.info(
        `${this.name}: compacted ${result.segmentsCleaned} segment(s), removed ${result.recordsRemoved} records, ${result.bytesBefore} \u2192 ${result.bytesAfter} bytes`,
      );
    }
    return result;
  }

  /**
   * Puts a cleaned segment in place of the group it replaces (Kafka's replaceSegments). False when
   * dropped. Crash-safe in this order: the `.swap` is complete (fsynced) before it exists; the later
   * segments of the group go; the `.swap` is renamed over the first one's `.log`. A start that finds a
   * `.swap` finishes the job (log-loader.ts completeSwaps): it deletes whatever segments remain in the
   * swap's offset range and renames it.
   */
  private async swapIn(r: SegmentReplacement): Promise<boolean> {
    const { olds, fresh, swapPath } = r;
    if (this.closed || olds.some((seg) => !this.segments.has(seg))) {
      await this.io.rm(swapPath, { force: true });
      return false;
    }
    const first = olds[0]!;
    const end = fresh.nextOffset;
    if (olds.length > 1) {
      // The later segments' aborts move into the first one's .txnindex before their files go (a
      // superset until replaceSegment below; extra entries filter nothing). The .swap must be
      // durable under its name before any segment it replaces is deleted.
      await this.txnIndex.replaceSegment(first.baseOffset, end, this.txnIndex.entries);
      await syncDir(this.io, this.dir);
    }
    let done!: () => void;
    this.swapping = new Promise((resolve) => (done = resolve));
    try {
      for (const seg of olds) await seg.retire();
      for (const seg of olds.slice(1)) {
        for (const p of [seg.logPath, seg.offsetIndex.path, seg.timeIndex.path]) await this.io.rm(p, { force: true });
      }
      // Old index files would point into the old bytes: remove them first (rebuilt if we crash now).
      await this.io.rm(first.offsetIndex.path, { force: true });
      await this.io.rm(first.timeIndex.path, { force: true });
      await this.io.rename(swapPath, first.logPath);
      this.segments.replaceGroup(olds, fresh);
    } finally {
      this.swapping = null;
      done();
    }
    await syncDir(this.io, this.dir);
    // After the swap: a crash before this leaves extra aborts indexed, which filter nothing (harmless).
    await this.txnIndex.replaceSegment(first.baseOffset, end, r.keptAborts);
    for (const seg of olds.slice(1)) await this.txnIndex.removeFile(seg.baseOffset);
    await fresh.onBecomeInactive(true);
    return true;
  }

  /** Waits for queued work, flushes (fsync) everything and closes files. */
  async close(): Promise<void> {
    this.stopping = true;
    await this.compacting?.catch(() => undefined);
    return this.serialize(async () => {
      if (this.closed) return;
      try {
        await this.core.backgroundFlush;
        if (!this.offline) {
          await this.segments.active.onBecomeInactive(true);
          this.recoveryPoint = this.logEndOffset;
          // With state: snapshot at the log end. Without: no snapshot at all, which a clean start reads
          // as "empty" — so starting never re-scans segments of a log without idempotent producers.
          if (this.producerState.producerCount > 0) {
            await writeProducerSnapshot(this.io, this.dir, this.logEndOffset, this.producerState.serialize(this.logEndOffset));
          } else await pruneSnapshots(this.io, this.dir, 0);
        }
      } finally {
        this.closed = true;
        await this.closeSegments();
      }
    });
  }

  private async closeSegments(): Promise<void> {
    for (const seg of this.segments.all) await seg.close();
  }

  /** Closes all files of the partition (topic deletion; the manager removes the directory). */
  async destroy(): Promise<void> {
    this.stopping = true;
    await this.compacting?.catch(() => undefined);
    await this.serialize(async () => {
      this.closed = true;
      await this.core.backgroundFlush.catch(() => undefined);
      await this.closeSegments();
    });
  }
}
