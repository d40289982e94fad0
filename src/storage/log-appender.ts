import {
  BATCH_LENGTH,
  LOG_OVERHEAD,
  MAGIC,
  RECORDS_START,
  RECORD_COUNT,
  baseSequence as headerBaseSequence,
  lastOffsetDelta,
  maxTimestamp as headerMaxTimestamp,
  producerEpoch as headerProducerEpoch,
  producerId as headerProducerId,
  recordCount as headerRecordCount,
  setBaseOffset,
  setPartitionLeaderEpoch,
  stampMaxTimestamp,
  isControl,
  isTransactional as headerIsTransactional,
} from '../protocol/records/batch-header.ts';
import type { TransactionIndex } from './transaction-index.ts';
import { applyEndTxnMarker, checkEndTxnMarker } from './transaction-markers.ts';
import { ErrorCode } from '../protocol/error-codes.ts';
import type { DurabilitySettings } from './durability.ts';
import type { FileHandleBudget } from './file-handle-budget.ts';
import { KafkaStorageError, MessageTooLargeError, ProducerSequenceError, StorageError, storageFailure } from './errors.ts';
import type { StorageIO } from './io.ts';
import { watchIndexRebuilds } from './log-loader.ts';
import { LogSegment } from './log-segment.ts';
import type { LogSegments } from './log-segments.ts';
import type { StorageLogger } from './logger.ts';
import type { ProducerStateManager } from './producer-state.ts';
import { lastSequenceOf } from './producer-state.ts';
import { writeProducerSnapshot } from './producer-snapshots.ts';
import type { LogConfig } from './topic-config.ts';

export interface AppendOptions {
  /** Topic uses LogAppendTime (message.timestamp.type): stamp the broker clock as maxTimestamp. */
  logAppendTime: boolean;
  /**
   * Largest record timestamp (the Produce handler's validateBatch computes it). Written into the
   * header's maxTimestamp for CreateTime; when absent, the header's own value is trusted.
   */
  maxTimestamp?: number;
  /**
   * Who writes: 'coordinator' for batches the broker's coordinators write for a producer (end-transaction
   * markers, transactional offset commits), which carry no sequence, so only their epoch is checked
   * (Kafka's AppendOrigin.COORDINATOR). Control batches are always treated so. Default 'client'.
   * 'replication': a follower appending what its leader wrote (Kafka's appendAsFollower): offsets,
   * leader epoch and timestamps are kept as they are, producer state is recorded without checks.
   */
  origin?: 'client' | 'coordinator' | 'replication';
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

/** The partition state the append core reads and advances (PartitionLog implements it). */
export interface AppendableLog {
  readonly name: string;
  readonly dir: string;
  readonly segments: LogSegments;
  readonly config: LogConfig;
  readonly logStartOffset: number;
  readonly leaderEpoch: number;
  readonly producerState: ProducerStateManager;
  /** Aborted transactions of the partition (ABORT markers add to it). */
  readonly txnIndex: TransactionIndex;
  readonly isClosed: boolean;
  logEndOffset: number;
  highWatermark: number;
  /** Offsets below are fsynced (Kafka's recovery point). */
  recoveryPoint: number;
  /**
   * Set while the partition is replicated (src/replication): the high watermark is then the replica
   * manager's to move, and this is told the locally written (durable per the fsync mode) log end.
   */
  readonly localEndListener: ((logEnd: number) => void) | null;
}

export interface AppendCoreDeps {
  io: StorageIO;
  logger: StorageLogger;
  now: () => number;
  durability: DurabilitySettings;
  /** Runs `fn` after every earlier queued operation of the partition (the log's one writer section). */
  serialize: <T>(fn: () => Promise<T>) => Promise<T>;
  /** The broker's bound on open segment files. */
  handles?: FileHandleBudget;
  /** A rolled segment is flushed (inactive and cleanable from now on). */
  onRolled?: (() => void) | undefined;
}

interface PendingAppend {
  batch: Buffer;
  opts: AppendOptions;
  resolve: (r: AppendResult) => void;
  reject: (e: unknown) => void;
}

interface StampedBatch {
  item: PendingAppend;
  lastOffset: number;
  maxTs: number;
  result: AppendResult;
}

/**
 * The append and durability core of one partition (Kafka's UnifiedLog.append with LocalLog's roll and
 * flush): group commit, offset assignment, segment rolls, fsync per the durability mode, the high
 * watermark and its listeners, and the offline state after an fsync failure.
 */
export class LogAppendCore {
  private readonly log: AppendableLog;
  private readonly io: StorageIO;
  private readonly logger: StorageLogger;
  private readonly now: () => number;
  private readonly durability: DurabilitySettings;
  private readonly serialize: AppendCoreDeps['serialize'];
  private readonly handles: FileHandleBudget | undefined;
  private readonly onRolled: (() => void) | undefined;
  private pending: PendingAppend[] = [];
  private drainScheduled = false;
  private readonly listeners = new Set<(highWatermark: number) => void>();
  private unflushedMessages = 0;
  private lastFlushMs: number;
  private syncInFlight: Promise<void> | null = null;
  /** Flushes of rolled segments still running (interval/never modes do them in the background). */
  backgroundFlush: Promise<void> = Promise.resolve();
  /** Rolled-segment flushes that hit a full disk, retried at the next flush. */
  private readonly rolledRetries: (() => Promise<void>)[] = [];
  /** Set after an fsync failure: the page cache state is unknown, so the partition stops taking writes. */
  failure: KafkaStorageError | null = null;

  constructor(log: AppendableLog, deps: AppendCoreDeps) {
    this.log = log;
    this.io = deps.io;
    this.logger = deps.logger;
    this.now = deps.now;
    this.durability = deps.durability;
    this.serialize = deps.serialize;
    this.handles = deps.handles;
    this.onRolled = deps.onRolled;
    this.lastFlushMs = deps.now();
  }

  /**
   * Appends exactly one validated magic-2 batch. Assigns offsets, stamps the leader epoch and
   * maxTimestamp in place (the caller's buffer is modified), writes it, rolls segments as needed, and
   * resolves once durable per the fsync mode. Appends arriving while a write is in flight are
   * written together in one write (group commit), each still checked and answered on its own.
   */
  append(batch: Buffer, opts: AppendOptions): Promise<AppendResult> {
    const done = new Promise<AppendResult>((resolve, reject) => this.pending.push({ batch, opts, resolve, reject }));
    if (!this.drainScheduled) {
      this.drainScheduled = true;
      void this.serialize(() => this.drainAppends());
    }
    if (this.durability.mode !== 'always') return done;
    // A retried duplicate is acknowledged only once its original is durable too.
    return done.then(async (r) => {
      await this.syncThrough(r.lastOffset + 1);
      return r;
    });
  }

  /** Subscribes to high-watermark advances (Fetch long-polls). Returns the unsubscribe function. */
  onAppend(listener: (highWatermark: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Takes every append queued so far and writes them as one group (inside the serialized section). */
  private async drainAppends(): Promise<void> {
    this.drainScheduled = false;
    const group = this.pending;
    this.pending = [];
    try {
      await this.appendGroup(group);
    } catch (e) {
      // appendGroup settles every item itself; this is only a safety net.
      for (const item of group) item.reject(e);
    }
  }

  /** Checks one incoming batch; throws the error the producer gets for it. */
  private validate(batch: Buffer): void {
    const log = this.log;
    if (log.isClosed) throw new KafkaStorageError(`${log.name} is closed`);
    if (this.failure) throw new KafkaStorageError(`${log.name} is offline after a storage failure: ${this.failure.message}`, this.failure);
    if (batch.length < RECORDS_START || batch.readInt32BE(BATCH_LENGTH) + LOG_OVERHEAD !== batch.length || batch.readInt8(MAGIC) !== 2) {
      throw new StorageError(ErrorCode.CORRUPT_MESSAGE, `${log.name}: append needs exactly one magic-2 batch (got ${batch.length} bytes)`);
    }
    if (batch.length > log.config.maxMessageBytes) {
      throw new MessageTooLargeError(
        `The record batch of ${batch.length} bytes for ${log.name} is larger than max.message.bytes (${log.config.maxMessageBytes})`,
      );
    }
  }

  private async appendGroup(group: PendingAppend[]): Promise<void> {
    const log = this.log;
    const nowMs = this.now();
    /** Batches stamped and waiting for the next write to the active segment. */
    const run: StampedBatch[] = [];
    let runBytes = 0;
    let nextOffset = log.logEndOffset;
    const answered: [PendingAppend, AppendResult][] = [];
    let writeError: KafkaStorageError | null = null;
    /** End-transaction markers of this group, applied (producer state, .txnindex) once written. */
    const markers: { batch: Buffer; segmentBase: number }[] = [];

    const writeRun = async (): Promise<void> => {
      if (run.length === 0) return;
      const seg = log.segments.active;
      const data = run.length === 1 ? run[0]!.item.batch : Buffer.concat(run.map((r) => r.item.batch), runBytes);
      try {
        let position = await seg.write(data);
        for (const r of run) {
          seg.recordBatch(r.item.batch.length, position, r.lastOffset, r.maxTs);
          position += r.item.batch.length;
          this.unflushedMessages += r.item.batch.readInt32BE(RECORD_COUNT);
          answered.push([r.item, r.result]);
        }
        log.logEndOffset = nextOffset;
      } catch (e) {
        const err = storageFailure(`append to ${log.name}`, seg.logPath, e);
        this.logger.error(`${err.message}; ${run.length} batch(es) not written, earlier data is untouched`);
        // Producer sequences were recorded optimistically for this run: forget them again.
        log.producerState.truncateFrom(run[0]!.result.baseOffset);
        for (const r of run) r.item.reject(err);
        writeError = err;
      }
      run.length = 0;
      runBytes = 0;
    };

    for (const item of group) {
      if (writeError) {
        item.reject(writeError);
        continue;
      }
      try {
        const { batch, opts } = item;
        this.validate(batch);
        if (opts.origin === 'replication') {
          // The leader assigned offsets, epoch and timestamps: stored byte for byte.
          const baseOffset = Number(batch.readBigInt64BE(0));
          if (baseOffset < nextOffset) {
            throw new StorageError(ErrorCode.UNKNOWN_SERVER_ERROR, `${log.name}: replicated batch at offset ${baseOffset} is below the log end ${nextOffset}`);
          }
          const lastOffset = baseOffset + lastOffsetDelta(batch);
          const maxTs = headerMaxTimestamp(batch);
          if (this.shouldRoll(runBytes, run.length > 0 ? run[0]!.maxTs : -1, batch.length, lastOffset, nowMs)) {
            await writeRun();
            if (writeError) throw writeError;
            // A gap (compacted leader log) starts the new segment at the batch's own offset.
            nextOffset = baseOffset;
            await this.roll(nowMs, baseOffset);
          }
          const pid = headerProducerId(batch);
          if (isControl(batch)) markers.push({ batch, segmentBase: log.segments.active.baseOffset });
          else if (pid >= 0n) {
            const firstSeq = headerBaseSequence(batch);
            if (firstSeq >= 0) log.producerState.record(pid, headerProducerEpoch(batch), firstSeq, lastSequenceOf(firstSeq, headerRecordCount(batch)), baseOffset, lastOffset, maxTs);
            else log.producerState.bumpEpoch(pid, headerProducerEpoch(batch));
            if (headerIsTransactional(batch)) log.producerState.beginTransaction(pid, baseOffset);
          }
          run.push({ item, lastOffset, maxTs, result: { baseOffset, lastOffset, logAppendTimeMs: -1, logStartOffset: log.logStartOffset, duplicate: false } });
          runBytes += batch.length;
          nextOffset = lastOffset + 1;
          continue;
        }
        const logAppendTime = opts.logAppendTime;
        const pid = headerProducerId(batch);
        let firstSeq = -1;
        let lastSeq = -1;
        const control = isControl(batch);
        const fromCoordinator = pid >= 0n && (control || opts.origin === 'coordinator');
        if (fromCoordinator) {
          const v = control ? checkEndTxnMarker(log.producerState, batch) : log.producerState.checkEpoch(pid, headerProducerEpoch(batch));
          if (v.kind === 'error') throw new ProducerSequenceError(v.errorCode, `${log.name}: ${v.message}`);
        } else if (pid >= 0n) {
          firstSeq = headerBaseSequence(batch);
          lastSeq = lastSequenceOf(firstSeq, headerRecordCount(batch));
          const v = log.producerState.check(pid, headerProducerEpoch(batch), firstSeq, lastSeq);
          if (v.kind === 'duplicate') {
            const dup = { baseOffset: v.firstOffset, lastOffset: v.lastOffset, logAppendTimeMs: logAppendTime ? v.timestamp : -1, logStartOffset: log.logStartOffset, duplicate: true };
            answered.push([item, dup]);
            continue;
          }
          if (v.kind === 'error') throw new ProducerSequenceError(v.errorCode, `${log.name}: ${v.message}`);
        }
        const maxTs = logAppendTime ? nowMs : (opts.maxTimestamp ?? headerMaxTimestamp(batch));
        const lastOffset = nextOffset + lastOffsetDelta(batch);
        if (this.shouldRoll(runBytes, run.length > 0 ? run[0]!.maxTs : -1, batch.length, lastOffset, nowMs)) {
          await writeRun();
          if (writeError) throw writeError;
          await this.roll(nowMs);
        }
        const baseOffset = nextOffset;
        setBaseOffset(batch, baseOffset);
        setPartitionLeaderEpoch(batch, log.leaderEpoch);
        stampMaxTimestamp(batch, maxTs, logAppendTime);
        const result = { baseOffset, lastOffset, logAppendTimeMs: logAppendTime ? nowMs : -1, logStartOffset: log.logStartOffset, duplicate: false };
        // Recorded now so a later batch of the same producer in this group is checked against it.
        if (control) markers.push({ batch, segmentBase: log.segments.active.baseOffset });
        else if (fromCoordinator) log.producerState.bumpEpoch(pid, headerProducerEpoch(batch));
        else if (pid >= 0n) log.producerState.record(pid, headerProducerEpoch(batch), firstSeq, lastSeq, baseOffset, lastOffset, maxTs);
        // A transactional data batch opens (or continues) its producer's transaction: it pins the LSO.
        if (pid >= 0n && !control && headerIsTransactional(batch)) log.producerState.beginTransaction(pid, baseOffset);
        run.push({ item, lastOffset, maxTs, result });
        runBytes += batch.length;
        nextOffset = lastOffset + 1;
      } catch (e) {
        item.reject(e);
      }
    }
    await writeRun();
    for (const m of markers) {
      if (writeError) break;
      try {
        await applyEndTxnMarker(m.batch, m.segmentBase, log.producerState, log.txnIndex);
      } catch (e) {
        this.logger.error(`${log.name}: recording an end-transaction marker failed: ${(e as Error).message}`);
      }
    }
    if (this.durability.mode !== 'always' && answered.length > 0) {
      if (this.unflushedMessages >= this.durability.intervalMessages || this.unflushedMessages >= log.config.flushMessages) {
        try {
          await this.flushActive();
        } catch (e) {
          for (const [item] of answered) item.reject(e);
          return;
        }
      }
      this.advanceHighWatermark(log.logEndOffset);
    }
    for (const [item, result] of answered) item.resolve(result);
  }

  private advanceHighWatermark(offset: number): void {
    const external = this.log.localEndListener;
    if (external) {
      // Replicated: the replica manager decides the high watermark (setHighWatermark); the local end
      // still wakes long-polling fetches (replica fetches read up to it).
      external(offset);
      this.notify(this.log.highWatermark);
      return;
    }
    if (offset <= this.log.highWatermark) return;
    this.log.highWatermark = offset;
    this.notify(offset);
  }

  /** Sets the high watermark of a replicated partition (leader: the ISR's minimum; follower: the leader's). */
  setHighWatermark(offset: number): void {
    if (offset === this.log.highWatermark) return;
    this.log.highWatermark = offset;
    this.notify(offset);
  }

  private notify(offset: number): void {
    for (const l of this.listeners) {
      try {
        l(offset);
      } catch (e) {
        this.logger.error(`${this.log.name}: append listener threw: ${(e as Error).message}`);
      }
    }
  }

  /** fdatasync covering every offset below `target`; concurrent callers share one fsync. */
  private async syncThrough(target: number): Promise<void> {
    const log = this.log;
    while (log.recoveryPoint < target) {
      if (this.failure) throw this.failure;
      if (!this.syncInFlight) {
        const upTo = log.logEndOffset;
        const seg = log.segments.active;
        this.syncInFlight = seg
          .syncLog()
          .then(
            () => {
              log.recoveryPoint = Math.max(log.recoveryPoint, upTo);
              this.unflushedMessages = 0;
              this.advanceHighWatermark(upTo);
            },
            (e) => {
              this.fail(storageFailure(`fsync of ${log.name}`, seg.logPath, e));
            },
          )
          .finally(() => {
            this.syncInFlight = null;
          });
      }
      await this.syncInFlight;
    }
    // A roll's flush may have covered these offsets without an fsync of our own.
    this.advanceHighWatermark(Math.min(log.recoveryPoint, log.logEndOffset));
  }

  private fail(err: KafkaStorageError): void {
    if (!this.failure) this.logger.error(`${err.message}; ${this.log.name} is offline until restart (recovery re-validates it)`);
    this.failure ??= err;
  }

  /**
   * Kafka's roll rules, counting batches stamped but not yet written (`pendingBytes`, first pending
   * batch timestamp): the batch would push the segment past segment.bytes, the segment's first batch
   * is older than segment.ms, or offsets would overflow the 32-bit relative offset of the indexes.
   */
  private shouldRoll(pendingBytes: number, firstPendingTs: number, batchSize: number, lastOffset: number, nowMs: number): boolean {
    const seg = this.log.segments.active;
    const size = seg.size + pendingBytes;
    if (size === 0) return false;
    const first = seg.size > 0 ? seg.firstBatchTimestamp : firstPendingTs;
    const rollBase = first >= 0 ? first : seg.createdMs;
    const cfg = this.log.config;
    return size + batchSize > cfg.segmentBytes || nowMs - rollBase > cfg.segmentMs || lastOffset - seg.baseOffset > 0x7fffffff;
  }

  private async roll(nowMs: number, baseOffset = this.log.logEndOffset): Promise<void> {
    const log = this.log;
    const old = log.segments.active;
    let next: LogSegment;
    try {
      next = watchIndexRebuilds(await LogSegment.create(this.io, log.dir, baseOffset, log.config.indexIntervalBytes, nowMs, this.handles), log.name, this.logger);
    } catch (e) {
      throw storageFailure(`rolling a new segment of ${log.name}`, log.dir, e);
    }
    log.segments.push(next);
    const endOfOld = log.logEndOffset;
    // Always snapshot at a roll (even empty): after a crash, producer state is replayed from here
    // instead of from older segments.
    const snapshot = log.producerState.serialize(endOfOld);
    // Kafka flushes a rolled segment (log + indexes) and advances the recovery point past it. With
    // fsync=always its log is already synced, so waiting costs little; otherwise do it in the background.
    const flushRolled = async (): Promise<void> => {
      try {
        await old.onBecomeInactive(true);
        log.recoveryPoint = Math.max(log.recoveryPoint, endOfOld);
        await writeProducerSnapshot(this.io, log.dir, endOfOld, snapshot);
        // Old segments keep their handle closed until read: bounded file handles with many segments.
        await old.releaseHandle();
        this.onRolled?.();
      } catch (e) {
        if (log.isClosed) return;
        // A full disk while writing the rolled segment's indexes or snapshot loses nothing (the indexes
        // are rebuilt by recovery, the recovery point is not advanced): retry at the next flush instead
        // of taking the partition offline, so appends resume once space returns. Other errors (an
        // fsync failure leaves the page cache state unknown) stay fatal, as in Kafka.
        if (isDiskFullWrite(e)) {
          this.logger.warn(`${log.name}: disk full flushing rolled segment ${old.logPath}; will retry at the next flush`);
          this.rolledRetries.push(flushRolled);
          return;
        }
        this.fail(storageFailure(`flushing rolled segment of ${log.name}`, old.logPath, e));
      }
    };
    const flushOld = flushRolled();
    if (this.durability.mode === 'always') await flushOld;
    else this.backgroundFlush = this.backgroundFlush.then(() => flushOld);
  }

  /**
   * fdatasync of the active segment's log; advances the recovery point. Its indexes stay in memory
   * (written at roll and close; after a crash the loader rebuilds them, as Kafka does).
   */
  async flushActive(): Promise<void> {
    const log = this.log;
    const upTo = log.logEndOffset;
    const seg = log.segments.active;
    try {
      await seg.syncLog();
    } catch (e) {
      const err = storageFailure(`fsync of ${log.name}`, seg.logPath, e);
      this.fail(err);
      throw err;
    }
    log.recoveryPoint = Math.max(log.recoveryPoint, upTo);
    this.unflushedMessages = 0;
  }

  /**
   * Periodic flush of `interval` mode (called by the manager's timer every `tickMs`): fsyncs when the
   * interval (or the topic's flush.ms) has passed since the last flush began. A flush due before the
   * next tick runs now (half a tick early at most), so timer jitter never skips a tick and the spacing
   * between syncs of a dirty log stays within the interval.
   */
  flushIfDue(nowMs: number, tickMs = 0): Promise<void> {
    const interval = Math.min(this.durability.mode === 'interval' ? this.durability.intervalMs : Number.POSITIVE_INFINITY, this.log.config.flushMs);
    if (this.log.recoveryPoint >= this.log.logEndOffset || nowMs - this.lastFlushMs < interval - tickMs / 2) return Promise.resolve();
    return this.flush(nowMs);
  }

  /**
   * Forces everything written so far to disk. The flush time is taken when the flush is asked for,
   * before the sync: taking it after made the next tick find the interval not yet passed and skip
   * (a 1 s interval became ~2 s).
   */
  flush(startedMs = this.now()): Promise<void> {
    return this.serialize(async () => {
      if (this.log.isClosed || this.failure) return;
      await this.backgroundFlush;
      for (const retry of this.rolledRetries.splice(0)) await retry();
      this.lastFlushMs = startedMs;
      await this.flushActive();
    });
  }
}

/** ENOSPC/EDQUOT from a write (not from fsync, whose failure leaves the page cache state unknown). */
function isDiskFullWrite(e: unknown): boolean {
  const err = e as NodeJS.ErrnoException | undefined;
  return (err?.code === 'ENOSPC' || err?.code === 'EDQUOT') && err.syscall !== 'fsync' && err.syscall !== 'fdatasync';
}
