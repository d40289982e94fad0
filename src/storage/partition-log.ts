import { join } from 'node:path';
import {
  ATTRIBUTES,
  BASE_OFFSET,
  COMPRESSION_MASK,
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
  isControl,
  CONTROL_BIT,
  producerId as headerProducerId,
  producerEpoch as headerProducerEpoch,
  baseSequence as headerBaseSequence,
  recordCount as headerRecordCount,
} from '../protocol/records/batch-header.ts';
import { BatchScanner } from './batch-scanner.ts';
import type { DurabilitySettings } from './durability.ts';
import { KafkaStorageError, MessageTooLargeError, OffsetOutOfRangeError, ProducerSequenceError, StorageError, storageFailure } from './errors.ts';
import type { StorageIO } from './io.ts';
import { isNotFound, syncDir, writeFileAtomic, writeFully } from './io.ts';
import type { Codecs } from './log-cleaner.ts';
import { cleanBatch, forEachRecord, recordsRegion } from './log-cleaner.ts';
import { LogSegment, segmentFileName } from './log-segment.ts';
import { ProducerStateError, ProducerStateManager, lastSequenceOf } from './producer-state.ts';
import { TransactionIndex, type AbortedTxn } from './transaction-index.ts';
import { isTransactional as headerIsTransactional } from '../protocol/records/batch-header.ts';
import { decodeRecordBatch } from '../protocol/records/record-batch.ts';
import { readEndTxnMarker } from '../protocol/records/control-batch.ts';
import type { StorageLogger } from './logger.ts';
import type { ReadBufferPool } from './read-buffer-pool.ts';
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
  /**
   * Who writes: 'coordinator' for batches the broker's coordinators write for a producer (end-transaction
   * markers, transactional offset commits), which carry no sequence, so only their epoch is checked
   * (Kafka's AppendOrigin.COORDINATOR). Control batches are always treated so. Default 'client'.
   */
  origin?: 'client' | 'coordinator';
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
  /** read_committed reads only below the last stable offset and reports the aborted transactions of the range. */
  isolation?: 'read_uncommitted' | 'read_committed';
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
}

export interface LoadState {
  /** A clean-shutdown marker was found: trust the files, skip validation. */
  clean: boolean;
  /** Offsets below this are known flushed (recovery-point-offset-checkpoint), if known. */
  recoveryPoint?: number;
  /** Persisted logStartOffset (log-start-offset-checkpoint), if known. */
  logStartOffset?: number;
}

export interface CompactionResult {
  segmentsCleaned: number;
  recordsRemoved: number;
  bytesBefore: number;
  bytesAfter: number;
}

/** The protocol layer's codecs, loaded on first compaction only. */
async function loadCodecs(): Promise<Codecs> {
  const { compressAsync, decompressAsync, toCompressionCodec } = await import('../protocol/records/compression/index.ts');
  return { decompress: decompressAsync, compress: (codec, data) => compressAsync(toCompressionCodec(codec), data) };
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

const EMPTY = Buffer.alloc(0);
const noop = (): void => {};
const MAX_READ_BYTES = 64 * 1024 * 1024;
const INDEXED_OLD_SEGMENTS = 4;
/** Extra bytes read past the budget so the scan from an index entry usually needs no second read. */
const SCAN_SLACK = 16 * 1024;
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
  /** Idempotent-producer sequences of this partition (checked and recorded inside the append queue). */
  producerState = new ProducerStateManager();
  /** Aborted transactions of this partition (`.txnindex` files per segment). */
  readonly txnIndex: TransactionIndex;
  private readonly onLogStartOffsetChanged: (() => void) | undefined;
  private readonly producerIdExpirationMs: number;
  private readonly readPool: ReadBufferPool | undefined;
  private segments: LogSegment[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private pending: PendingAppend[] = [];
  private drainScheduled = false;
  private readonly listeners = new Set<(highWatermark: number) => void>();
  private unflushedMessages = 0;
  private lastFlushMs: number;
  private syncInFlight: Promise<void> | null = null;
  private backgroundFlush: Promise<void> = Promise.resolve();
  /** Set after an fsync failure: the page cache state is unknown, so the partition stops taking writes. */
  private failure: KafkaStorageError | null = null;
  /** Segments below this offset were compacted since start (for min.cleanable.dirty.ratio). */
  private cleanedUpTo = -1;
  /** Base offsets of compacted segments still holding tombstones (cleaned again once those expire). */
  private tombstoneSegments = new Set<number>();
  /** A compaction swap in progress: readers that hit a replaced segment wait for it, then retry. */
  private swapping: Promise<void> | null = null;
  private compacting: Promise<CompactionResult> | null = null;
  /** close()/destroy() was called: background compaction stops at the next batch. */
  private stopping = false;
  /** Inactive segments whose indexes are in memory, most recently used last (bounded: see touch). */
  private indexedOld: LogSegment[] = [];
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
    this.onLogStartOffsetChanged = opts.onLogStartOffsetChanged;
    this.producerIdExpirationMs = opts.producerIdExpirationMs ?? 86_400_000;
    this.txnIndex = new TransactionIndex(opts.io, opts.dir);
    this.readPool = opts.readPool;
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
      this.segments.push(this.watch(await LogSegment.create(io, dir, start, this.config.indexIntervalBytes, nowMs)));
    } else {
      for (const b of bases) this.segments.push(this.watch(new LogSegment(io, dir, b, this.config.indexIntervalBytes, nowMs)));
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
      if (i > firstToRecover && seg.baseOffset > this.segments[i - 1]!.nextOffset) {
        // Data below this segment was lost (a power loss dropped a rolled segment's unsynced tail while
        // the next file, created at the roll, survived): offsets would jump, and an empty trailing
        // segment would put the log end past data that does not exist. Keep the contiguous prefix.
        const end = this.segments[i - 1]!.nextOffset;
        const later = this.segments.splice(i);
        this.logger.warn(
          `${this.name}: recovery found offsets ${end}-${seg.baseOffset - 1} missing; deleting ${later.length} later segment(s) from offset ${seg.baseOffset}; log now ends at offset ${end}`,
        );
        for (const s of later) await s.delete();
        break;
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
    }
    // Old segments loaded without a scan end where the next one begins.
    for (let i = 0; i < this.segments.length - 1; i++) {
      const seg = this.segments[i]!;
      if (seg.nextOffset === seg.baseOffset && seg.size > 0) seg.nextOffset = this.segments[i + 1]!.baseOffset;
    }
    this.logEndOffset = this.active.nextOffset;
    this.highWatermark = this.logEndOffset;
    // Recovered data is not fsynced here (that would cost three fsyncs per partition at start); the
    // recovery point stays where it was, so a second crash re-validates the same segments.
    if (!state.clean && this.durability.mode === 'always') {
      // fsync=always promises that everything below the recovery point is on disk: make it so.
      for (const seg of this.segments.slice(firstToRecover)) await seg.flush(true);
    }
    this.recoveryPoint = state.clean || this.durability.mode === 'always'
      ? this.logEndOffset
      : Math.min(this.logEndOffset, firstToRecover < this.segments.length ? this.segments[firstToRecover]!.baseOffset : this.logEndOffset);
    const first = this.segments[0]!.baseOffset;
    this.logStartOffset = Math.min(Math.max(state.logStartOffset ?? first, first), this.logEndOffset);
    await this.txnIndex.load(this.segments.map((sg) => sg.baseOffset));
    this.txnIndex.truncateFrom(this.logEndOffset);
    await this.loadProducerState(names, state.clean);
    for (const seg of this.segments.slice(0, -1)) await seg.releaseHandle();
  }

  /** Logs index rebuilds of this segment (damaged or missing index files found when loading them). */
  private watch(seg: LogSegment): LogSegment {
    seg.onIndexRebuild = (why) => this.logger.warn(`${this.name}: rebuilding the indexes of segment ${seg.baseOffset} from its log: ${why}`);
    return seg;
  }

  private snapshotPath(offset: number): string {
    return join(this.dir, segmentFileName(offset, '.log').replace(/\.log$/, '.snapshot'));
  }

  /**
   * Producer state at start: the newest readable `<offset>.snapshot` at or below the log end, then the
   * batches after it replayed from their headers. Without a usable snapshot only the last two
   * segments are replayed (a producer without state is accepted at any sequence, as in Kafka).
   */
  private async loadProducerState(names: string[], clean: boolean): Promise<void> {
    const snaps = names
      .map((n) => /^(\d{20})\.snapshot$/.exec(n))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => b - a);
    let from = this.segments[Math.max(0, this.segments.length - 2)]!.baseOffset;
    for (const off of snaps) {
      if (off > this.logEndOffset) {
        // Written before a crash that lost the log tail it describes.
        await this.io.rm(this.snapshotPath(off), { force: true });
        continue;
      }
      try {
        const { state, nextOffset } = ProducerStateManager.deserialize(await this.io.readFile(this.snapshotPath(off)));
        this.producerState = state;
        from = nextOffset;
        break;
      } catch (e) {
        if (isNotFound(e)) continue;
        if (!(e instanceof ProducerStateError)) throw e;
        this.logger.warn(`${this.name}: ignoring producer snapshot ${off}: ${e.message}`);
      }
    }
    if (snaps.length === 0 && clean) return; // a clean close snapshots whenever there is state
    from = Math.max(from, this.segments[0]!.baseOffset);
    if (from >= this.logEndOffset) return;
    for (let i = this.segmentIndexFor(from); i < this.segments.length; i++) {
      const seg = this.segments[i]!;
      await seg.ensureIndexes();
      const scanner = new BatchScanner(await seg.handle(), seg.size);
      // Events in log order: markers need their record bytes (read after the header walk), and a
      // producer's next transaction may only begin after the marker that ended its previous one.
      const events: ({ kind: 'data'; run: () => void } | { kind: 'marker'; position: number; size: number })[] = [];
      await scanner.walk(seg.offsetIndex.lookupPosition(from), false, (buf, at, position, size) => {
        const base = Number(buf.readBigInt64BE(at + BASE_OFFSET));
        if (base < from) return true;
        const pid = headerProducerId(buf, at);
        if (pid >= 0n && isControl(buf, at)) {
          events.push({ kind: 'marker', position, size });
        } else if (pid >= 0n) {
          const seq = headerBaseSequence(buf, at);
          const epoch = headerProducerEpoch(buf, at);
          const last = lastSequenceOf(seq, headerRecordCount(buf, at));
          const lastOff = base + lastOffsetDelta(buf, at);
          const ts = headerMaxTimestamp(buf, at);
          const txn = headerIsTransactional(buf, at);
          events.push({
            kind: 'data',
            run: () => {
              if (seq < 0) this.producerState.bumpEpoch(pid, epoch);
              else this.producerState.record(pid, epoch, seq, last, base, lastOff, ts);
              if (txn) this.producerState.beginTransaction(pid, base);
            },
          });
        }
        return true;
      });
      for (const ev of events) {
        if (ev.kind === 'data') ev.run();
        else await this.applyMarker(await seg.read(ev.position, ev.size), seg.baseOffset);
      }
    }
  }

  /**
   * An end-transaction marker at its offset (stamped in the batch): raises the producer's epoch, ends its
   * open transaction and, for an abort, records it in the aborted-transaction index.
   */
  private async applyMarker(batch: Buffer, segmentBase: number): Promise<void> {
    const marker = readEndTxnMarker(decodeRecordBatch(batch));
    if (!marker) return;
    const offset = Number(batch.readBigInt64BE(BASE_OFFSET));
    this.producerState.bumpEpoch(marker.producerId, marker.producerEpoch);
    const first = this.producerState.endTransaction(marker.producerId);
    if (marker.type === 'abort' && first >= 0) {
      const lso = Math.min(this.producerState.firstUnstableOffset() ?? offset + 1, offset + 1);
      await this.txnIndex.add({ producerId: marker.producerId, firstOffset: first, lastOffset: offset, lastStableOffset: lso }, segmentBase);
    }
  }

  /** Last stable offset: below it every transaction is decided (Kafka's firstUnstableOffset or the high watermark). */
  get lastStableOffset(): number {
    return Math.min(this.producerState.firstUnstableOffset() ?? Number.POSITIVE_INFINITY, this.highWatermark);
  }

  /** Writes `<logEnd>.snapshot` of the producer state and keeps only the newest two. */
  private async writeProducerSnapshot(): Promise<void> {
    const offset = this.logEndOffset;
    const data = this.producerState.serialize(offset);
    await writeFileAtomic(this.io, this.snapshotPath(offset), data);
    await this.pruneSnapshots();
  }

  private async pruneSnapshots(keep = 2): Promise<void> {
    const snaps = (await this.io.readdir(this.dir))
      .map((n) => /^(\d{20})\.snapshot$/.exec(n))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => b - a);
    for (const old of snaps.slice(keep)) await this.io.rm(this.snapshotPath(old), { force: true });
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

  private async appendGroup(group: PendingAppend[]): Promise<void> {
    const nowMs = this.now();
    /** Batches stamped and waiting for the next write to the active segment. */
    const run: StampedBatch[] = [];
    let runBytes = 0;
    let nextOffset = this.logEndOffset;
    const answered: [PendingAppend, AppendResult][] = [];
    let writeError: KafkaStorageError | null = null;
    /** End-transaction markers of this group, applied (producer state, .txnindex) once written. */
    const markers: { batch: Buffer; segmentBase: number }[] = [];

    const writeRun = async (): Promise<void> => {
      if (run.length === 0) return;
      const seg = this.active;
      const data = run.length === 1 ? run[0]!.item.batch : Buffer.concat(run.map((r) => r.item.batch), runBytes);
      try {
        let position = await seg.write(data);
        for (const r of run) {
          seg.recordBatch(r.item.batch.length, position, r.lastOffset, r.maxTs);
          position += r.item.batch.length;
          this.unflushedMessages += r.item.batch.readInt32BE(RECORD_COUNT);
          answered.push([r.item, r.result]);
        }
        this.logEndOffset = nextOffset;
      } catch (e) {
        const err = storageFailure(`append to ${this.name}`, seg.logPath, e);
        this.logger.error(`${err.message}; ${run.length} batch(es) not written, earlier data is untouched`);
        // Producer sequences were recorded optimistically for this run: forget them again.
        this.producerState.truncateFrom(run[0]!.result.baseOffset);
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
        const logAppendTime = opts.logAppendTime;
        const pid = headerProducerId(batch);
        let firstSeq = -1;
        let lastSeq = -1;
        const control = isControl(batch);
        const fromCoordinator = pid >= 0n && (control || opts.origin === 'coordinator');
        if (fromCoordinator) {
          const v = this.producerState.checkEpoch(pid, headerProducerEpoch(batch));
          if (v.kind === 'error') throw new ProducerSequenceError(v.errorCode, `${this.name}: ${v.message}`);
        } else if (pid >= 0n) {
          firstSeq = headerBaseSequence(batch);
          lastSeq = lastSequenceOf(firstSeq, headerRecordCount(batch));
          const v = this.producerState.check(pid, headerProducerEpoch(batch), firstSeq, lastSeq);
          if (v.kind === 'duplicate') {
            const dup = { baseOffset: v.firstOffset, lastOffset: v.lastOffset, logAppendTimeMs: logAppendTime ? v.timestamp : -1, logStartOffset: this.logStartOffset, duplicate: true };
            answered.push([item, dup]);
            continue;
          }
          if (v.kind === 'error') throw new ProducerSequenceError(v.errorCode, `${this.name}: ${v.message}`);
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
        setPartitionLeaderEpoch(batch, this.leaderEpoch);
        stampMaxTimestamp(batch, maxTs, logAppendTime);
        const result = { baseOffset, lastOffset, logAppendTimeMs: logAppendTime ? nowMs : -1, logStartOffset: this.logStartOffset, duplicate: false };
        // Recorded now so a later batch of the same producer in this group is checked against it.
        if (control) markers.push({ batch, segmentBase: this.active.baseOffset });
        else if (fromCoordinator) this.producerState.bumpEpoch(pid, headerProducerEpoch(batch));
        else if (pid >= 0n) this.producerState.record(pid, headerProducerEpoch(batch), firstSeq, lastSeq, baseOffset, lastOffset, maxTs);
        if (pid >= 0n && !control && headerIsTransactional(batch)) this.producerState.beginTransaction(pid, baseOffset);
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
        await this.applyMarker(m.batch, m.segmentBase);
      } catch (e) {
        this.logger.error(`${this.name}: recording an end-transaction marker failed: ${(e as Error).message}`);
      }
    }
    if (this.durability.mode !== 'always' && answered.length > 0) {
      if (this.unflushedMessages >= this.durability.intervalMessages || this.unflushedMessages >= this.config.flushMessages) {
        try {
          await this.flushActive();
        } catch (e) {
          for (const [item] of answered) item.reject(e);
          return;
        }
      }
      this.advanceHighWatermark(this.logEndOffset);
    }
    for (const [item, result] of answered) item.resolve(result);
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
    // A roll's flush may have covered these offsets without an fsync of our own.
    this.advanceHighWatermark(Math.min(this.recoveryPoint, this.logEndOffset));
  }

  private fail(err: KafkaStorageError): void {
    if (!this.failure) this.logger.error(`${err.message}; ${this.name} is offline until restart (recovery re-validates it)`);
    this.failure ??= err;
  }

  /**
   * Kafka's roll rules, counting batches stamped but not yet written (`pendingBytes`, first pending
   * batch timestamp): the batch would push the segment past segment.bytes, the segment's first batch
   * is older than segment.ms, or offsets would overflow the 32-bit relative offset of the indexes.
   */
  private shouldRoll(pendingBytes: number, firstPendingTs: number, batchSize: number, lastOffset: number, nowMs: number): boolean {
    const seg = this.active;
    const size = seg.size + pendingBytes;
    if (size === 0) return false;
    const first = seg.size > 0 ? seg.firstBatchTimestamp : firstPendingTs;
    const rollBase = first >= 0 ? first : seg.createdMs;
    return size + batchSize > this.config.segmentBytes || nowMs - rollBase > this.config.segmentMs || lastOffset - seg.baseOffset > 0x7fffffff;
  }

  private async roll(nowMs: number): Promise<void> {
    const old = this.active;
    let next: LogSegment;
    try {
      next = this.watch(await LogSegment.create(this.io, this.dir, this.logEndOffset, this.config.indexIntervalBytes, nowMs));
    } catch (e) {
      throw storageFailure(`rolling a new segment of ${this.name}`, this.dir, e);
    }
    this.segments.push(next);
    const endOfOld = this.logEndOffset;
    // Always snapshot at a roll (even empty): after a crash, producer state is replayed from here
    // instead of from older segments.
    const snapshot = this.producerState.serialize(endOfOld);
    // Kafka flushes a rolled segment (log + indexes) and advances the recovery point past it. With
    // fsync=always its log is already synced, so waiting costs little; otherwise do it in the background.
    const flushOld = (async () => {
      try {
        await old.onBecomeInactive(true);
        this.recoveryPoint = Math.max(this.recoveryPoint, endOfOld);
        await writeFileAtomic(this.io, this.snapshotPath(endOfOld), snapshot);
        await this.pruneSnapshots();
        // Old segments keep their handle closed until read: bounded file handles with many segments.
        await old.releaseHandle();
      } catch (e) {
        if (!this.closed) this.fail(storageFailure(`flushing rolled segment of ${this.name}`, old.logPath, e));
      }
    })();
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

  /**
   * Keeps the indexes of at most INDEXED_OLD_SEGMENTS inactive segments in memory per partition
   * (Kafka mmaps them and lets the OS page them out; a catch-up consumer walks segments in order,
   * so a small LRU suffices). The active segment's indexes always stay.
   */
  private touch(seg: LogSegment): void {
    if (seg === this.active) return;
    const i = this.indexedOld.indexOf(seg);
    if (i >= 0) this.indexedOld.splice(i, 1);
    this.indexedOld.push(seg);
    while (this.indexedOld.length > INDEXED_OLD_SEGMENTS) this.indexedOld.shift()!.unloadIndexes();
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
  read(fetchOffset: number, maxBytes: number, opts: ReadOptions = {}): Promise<ReadResult> {
    return this.retryOnSwap(() => this.readOnce(fetchOffset, maxBytes, opts));
  }

  /** Runs a read; when compaction replaced a segment under it (ESTALE), waits for the swap and reruns. */
  private async retryOnSwap<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? (e as { cause?: NodeJS.ErrnoException }).cause?.code;
        if (code !== 'ESTALE' || attempt >= 3) throw e;
        await this.swapping;
      }
    }
  }

  private async readOnce(fetchOffset: number, maxBytes: number, opts: ReadOptions): Promise<ReadResult> {
    const minOne = opts.minOneBatch ?? true;
    const realHw = this.highWatermark;
    const lso = this.lastStableOffset;
    const committed = opts.isolation === 'read_committed';
    // `hw` below is the read limit: read_committed stops at the last stable offset.
    const hw = committed ? lso : realHw;
    const result = (records: Buffer, release?: () => void): ReadResult => {
      const r: ReadResult = { records, highWatermark: realHw, logStartOffset: this.logStartOffset, lastStableOffset: lso };
      if (committed && records.length > 0) r.abortedTransactions = this.txnIndex.collect(fetchOffset, hw);
      if (release) {
        if (records.length === 0) release();
        else r.release = release;
      }
      return r;
    };
    if (fetchOffset < this.logStartOffset || fetchOffset > this.logEndOffset) {
      throw new OffsetOutOfRangeError(this.name, fetchOffset, this.logStartOffset, this.logEndOffset);
    }
    if (fetchOffset >= hw) return result(EMPTY);
    // Defensive cap: one read never buffers more than MAX_READ_BYTES (except a single larger batch
    // under minOneBatch), whatever a client asked for.
    const budget = Math.min(Math.max(maxBytes, 0), MAX_READ_BYTES);
    try {
      for (let i = this.segmentIndexFor(fetchOffset); i < this.segments.length; i++) {
        const seg = this.segments[i]!;
        await seg.ensureIndexes();
        this.touch(seg);
        const end = seg.size;
        const from = seg.offsetIndex.lookupPosition(fetchOffset);
        if (from >= end) continue;
        // One read covering the scan from the index entry (at most ~index.interval.bytes plus a batch)
        // and the answer itself; a second read only when a batch is larger than that window.
        const window = Math.min(end - from, budget + this.config.indexIntervalBytes + SCAN_SLACK);
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
      if (fetchOffset < this.logStartOffset || isNotFound(e) || (e as NodeJS.ErrnoException).code === 'EBADF') {
        // The segment was deleted by retention between lookup and read.
        throw new OffsetOutOfRangeError(this.name, fetchOffset, this.logStartOffset, this.logEndOffset);
      }
      throw storageFailure(`read of ${this.name}`, this.dir, e);
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

  /**
   * ListOffsets by timestamp: the first record with timestamp >= ts, record-level (uncompressed batches
   * by walking record headers in place, compressed ones by decompressing that one batch).
   * Null when no record is that new.
   */
  offsetForTimestamp(ts: number): Promise<{ offset: number; timestamp: number } | null> {
    return this.retryOnSwap(() => this.offsetForTimestampOnce(ts));
  }

  private async offsetForTimestampOnce(ts: number): Promise<{ offset: number; timestamp: number } | null> {
    for (const seg of this.segments) {
      await seg.ensureMaxTimestamp();
      if (seg.maxTimestamp < ts || seg.nextOffset <= this.logStartOffset) continue;
      const hit = await seg.findBatchByTimestamp(ts, this.logStartOffset);
      this.touch(seg);
      if (!hit) continue;
      const base = Number(hit.batch.readBigInt64BE(BASE_OFFSET));
      if (base >= this.highWatermark) return null;
      const batchMax = headerMaxTimestamp(hit.batch);
      if (isLogAppendTime(hit.batch)) return { offset: Math.max(base, this.logStartOffset), timestamp: batchMax };
      const rec = findRecordAtOrAfter(hit.batch, ts, this.logStartOffset) ?? (await this.findCompressedRecord(hit.batch, ts));
      if (rec) return rec;
      return { offset: Math.max(base, this.logStartOffset), timestamp: batchMax };
    }
    return null;
  }

  /**
   * Record-level answer inside a compressed batch: decompresses it once (gzip/zstd off the event loop).
   * A rare admin path, so the codec is loaded only here. Null when the batch does not decode.
   */
  private async findCompressedRecord(batch: Buffer, ts: number): Promise<{ offset: number; timestamp: number } | null> {
    if ((batch.readInt16BE(ATTRIBUTES) & COMPRESSION_MASK) === 0) return null;
    try {
      const { decodeRecordBatchAsync } = await import('../protocol/records/record-batch.ts');
      const decoded = await decodeRecordBatchAsync(batch, 0, { verifyCrc: false });
      for (const r of decoded.records) {
        if (r.timestamp >= ts && r.offset >= this.logStartOffset) return { offset: r.offset, timestamp: r.timestamp };
      }
    } catch (e) {
      this.logger.warn(`${this.name}: cannot decode a compressed batch for a timestamp lookup: ${(e as Error).message}`);
    }
    return null;
  }

  /**
   * ListOffsets -3 (MAX_TIMESTAMP): offset and timestamp of the record with the largest timestamp (the
   * first such record). Null when empty.
   */
  async maxTimestampOffset(): Promise<{ offset: number; timestamp: number } | null> {
    let best: { offset: number; timestamp: number } | null = null;
    for (const seg of this.segments) {
      await seg.ensureMaxTimestamp();
      if (
        seg.maxTimestamp >= 0 &&
        (best === null || seg.maxTimestamp > best.timestamp) &&
        seg.offsetOfMaxTimestamp >= this.logStartOffset &&
        seg.offsetOfMaxTimestamp < this.highWatermark
      ) {
        best = { offset: seg.offsetOfMaxTimestamp, timestamp: seg.maxTimestamp };
      }
    }
    if (!best) return null;
    // Kafka (KIP-734, fixed in 3.8) answers the offset of the record itself, not its batch's last offset.
    try {
      const { records } = await this.read(best.offset, 1, { minOneBatch: true });
      if (records.length >= RECORDS_START && !isLogAppendTime(records)) {
        const rec = findRecordAtOrAfter(records, best.timestamp, this.logStartOffset) ?? (await this.findCompressedRecord(records, best.timestamp));
        if (rec) return rec;
      } else if (records.length >= RECORDS_START) {
        return { offset: Math.max(Number(records.readBigInt64BE(BASE_OFFSET)), this.logStartOffset), timestamp: best.timestamp };
      }
    } catch (e) {
      if (!(e instanceof OffsetOutOfRangeError)) throw e;
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
        await this.deleteSegmentsWhile((_seg, next) => next !== undefined && next.baseOffset <= this.logStartOffset, 'log start offset');
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
      this.producerState.expire(nowMs, this.producerIdExpirationMs);
      let deleted = await this.deleteSegmentsWhile((_seg, next) => next !== undefined && next.baseOffset <= this.logStartOffset, 'log start offset');
      if (!this.config.cleanupPolicy.includes('delete')) return deleted;
      const retentionMs = this.config.retentionMs;
      if (retentionMs >= 0 && Number.isFinite(retentionMs)) {
        deleted += await this.deleteSegmentsWhile(async (seg) => {
          await seg.ensureMaxTimestamp();
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

  /**
   * Log compaction for cleanup.policy=compact (see log-cleaner.ts): inactive segments older than
   * min.compaction.lag.ms are rewritten keeping each key's latest record; tombstones go once their
   * segment is older than delete.retention.ms. Runs when the not-yet-compacted share of those
   * segments reaches min.cleanable.dirty.ratio. Segments are swapped in atomically (`.cleaned` →
   * `.swap` → `.log` rename); the active segment is never touched.
   */
  compact(nowMs: number): Promise<CompactionResult> {
    // Scanning and writing the cleaned copies run beside appends (old segments never change);
    // only the swap of each segment goes through the serialized section.
    this.compacting ??= this.compactNow(nowMs).finally(() => {
      this.compacting = null;
    });
    return this.compacting;
  }

  private compactNow(nowMs: number): Promise<CompactionResult> {
    return (async () => {
      const result: CompactionResult = { segmentsCleaned: 0, recordsRemoved: 0, bytesBefore: 0, bytesAfter: 0 };
      if (this.closed || this.stopping || this.failure || !this.config.cleanupPolicy.includes('compact')) return result;
      const lag = this.config.minCompactionLagMs;
      const inactive = this.segments.slice(0, -1);
      // Rolled segments finish their own flush (final index entries) before anything rewrites them.
      await this.backgroundFlush;
      const cand: LogSegment[] = [];
      for (const seg of inactive) {
        await seg.ensureMaxTimestamp();
        if (lag > 0 && seg.maxTimestamp > nowMs - lag) break;
        cand.push(seg);
      }
      let total = 0;
      let dirty = 0;
      for (const seg of cand) {
        total += seg.size;
        if (seg.baseOffset >= this.cleanedUpTo) dirty += seg.size;
      }
      const dropTombstones = (seg: LogSegment): boolean => seg.maxTimestamp >= 0 && seg.maxTimestamp < nowMs - this.config.deleteRetentionMs;
      // Also due: a segment whose kept tombstones have passed delete.retention.ms since.
      const tombstonesDue = cand.some((seg) => this.tombstoneSegments.has(seg.baseOffset) && dropTombstones(seg));
      if (total === 0 || (dirty / total < this.config.minCleanableDirtyRatio && !tombstonesDue)) return result;
      const codecs = await loadCodecs();
      // Pass 1: each key's latest offset, and which segments hold something that will go.
      const map = new Map<string, number>();
      const changes = new Set<LogSegment>();
      const segOf = (offset: number): LogSegment => {
        let lo = 0;
        let hi = cand.length - 1;
        while (lo < hi) {
          const mid = (lo + hi + 1) >>> 1;
          if (cand[mid]!.baseOffset <= offset) lo = mid;
          else hi = mid - 1;
        }
        return cand[lo]!;
      };
      for (const seg of cand) {
        const drop = dropTombstones(seg);
        await this.forEachBatch(seg, async (batch) => {
          if (batch.readInt16BE(ATTRIBUTES) & CONTROL_BIT) return;
          const base = Number(batch.readBigInt64BE(BASE_OFFSET));
          const region = await recordsRegion(batch, codecs);
          forEachRecord(region, batch.readInt32BE(RECORD_COUNT), (_s, _e, delta, key, valueIsNull) => {
            if (key === null) return;
            const prev = map.get(key);
            if (prev !== undefined) changes.add(segOf(prev));
            map.set(key, base + delta);
            if (valueIsNull) {
              if (drop) changes.add(seg);
              else this.tombstoneSegments.add(seg.baseOffset);
            }
          });
        });
      }
      // Pass 2: rewrite only the segments that change.
      for (const seg of cand) {
        if (!changes.has(seg)) continue;
        if (!this.segments.includes(seg)) continue; // deleted by retention meanwhile
        if (dropTombstones(seg)) this.tombstoneSegments.delete(seg.baseOffset);
        const r = await this.rewriteSegment(seg, map, dropTombstones(seg), codecs);
        if (!r) continue;
        result.segmentsCleaned++;
        result.recordsRemoved += r.removed;
        result.bytesBefore += r.before;
        result.bytesAfter += r.after;
      }
      this.cleanedUpTo = cand[cand.length - 1]!.nextOffset;
      if (result.segmentsCleaned > 0) {
        this.logger.info(
          `${this.name}: compacted ${result.segmentsCleaned} segment(s), removed ${result.recordsRemoved} records, ${result.bytesBefore} → ${result.bytesAfter} bytes`,
        );
      }
      return result;
    })();
  }

  /** Calls `fn` for a copy of every batch of a segment, reading in chunks of ~4 MiB. */
  private async forEachBatch(seg: LogSegment, fn: (batch: Buffer) => Promise<void>): Promise<void> {
    await seg.withHandle(async (fh) => {
      const scanner = new BatchScanner(fh, seg.size, 1 << 20);
      let pos = 0;
      while (pos < seg.size) {
        const chunk: Buffer[] = [];
        let bytes = 0;
        const stop = await scanner.walk(pos, true, (buf, at, _p, size) => {
          if (bytes > 0 && bytes + size > 4 << 20) return false;
          chunk.push(Buffer.from(buf.subarray(at, at + size)));
          bytes += size;
          return true;
        });
        for (const b of chunk) await fn(b);
        if (this.stopping) throw new KafkaStorageError(`${this.name} is closing: compaction stopped`);
        if (chunk.length === 0 || scanner.stoppedOn === 'torn') break;
        pos = stop;
      }
    });
  }

  /** Writes the cleaned copy of `seg`, then swaps it in (serialized). Null when `seg` went away meanwhile. */
  private async rewriteSegment(seg: LogSegment, map: Map<string, number>, dropTombstones: boolean, codecs: Codecs): Promise<{ removed: number; before: number; after: number } | null> {
    const cleanedPath = `${seg.logPath}.cleaned`;
    const swapPath = `${seg.logPath}.swap`;
    const fresh = this.watch(new LogSegment(this.io, this.dir, seg.baseOffset, this.config.indexIntervalBytes, seg.createdMs));
    fresh.indexesLoaded = true;
    let removed = 0;
    const out = await this.io.open(cleanedPath, 'w');
    try {
      let position = 0;
      await this.forEachBatch(seg, async (batch) => {
        const r = await cleanBatch(batch, map, dropTombstones, codecs);
        removed += r.removed;
        if (!r.batch) return;
        await writeFully(out, r.batch, 0, r.batch.length, position);
        const base = Number(r.batch.readBigInt64BE(BASE_OFFSET));
        fresh.recordBatch(r.batch.length, position, base + r.batch.readInt32BE(LAST_OFFSET_DELTA), headerMaxTimestamp(r.batch));
        position += r.batch.length;
      });
      await out.sync();
    } catch (e) {
      await out.close().catch(() => undefined);
      await this.io.rm(cleanedPath, { force: true });
      if (!this.segments.includes(seg) || this.stopping) return null;
      throw e;
    }
    await out.close();
    fresh.nextOffset = Math.max(fresh.nextOffset, seg.nextOffset);
    await this.io.rename(cleanedPath, swapPath);
    return this.serialize(() => this.swapIn(seg, fresh, swapPath, removed));
  }

  private async swapIn(seg: LogSegment, fresh: LogSegment, swapPath: string, removed: number): Promise<{ removed: number; before: number; after: number } | null> {
    if (this.closed || !this.segments.includes(seg)) {
      await this.io.rm(swapPath, { force: true });
      return null;
    }
    // From here a crash leaves either the old .log (and a stray .swap, deleted at start) or the new one.
    let done!: () => void;
    this.swapping = new Promise((r) => (done = r));
    try {
      await seg.retire();
      // Old index files would point into the old bytes: remove them first (rebuilt if we crash now).
      await this.io.rm(seg.offsetIndex.path, { force: true });
      await this.io.rm(seg.timeIndex.path, { force: true });
      await this.io.rename(swapPath, seg.logPath);
      const i = this.segments.indexOf(seg);
      if (i >= 0) this.segments[i] = fresh;
      const j = this.indexedOld.indexOf(seg);
      if (j >= 0) this.indexedOld.splice(j, 1);
    } finally {
      this.swapping = null;
      done();
    }
    await syncDir(this.io, this.dir);
    await fresh.onBecomeInactive(true);
    return { removed, before: seg.size, after: fresh.size };
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
      await this.txnIndex.removeSegment(seg.baseOffset, newStart).catch((e: unknown) => this.logger.error(`${this.name}: ${(e as Error).message}`));
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
  async close(): Promise<void> {
    this.stopping = true;
    await this.compacting?.catch(() => undefined);
    return this.serialize(async () => {
      if (this.closed) return;
      try {
        await this.backgroundFlush;
        if (!this.failure) {
          await this.active.onBecomeInactive(true);
          this.recoveryPoint = this.logEndOffset;
          // With state: snapshot at the log end. Without: no snapshot at all, which a clean start reads
          // as "empty" — so starting never re-scans segments of a log without idempotent producers.
          if (this.producerState.producerCount > 0) await this.writeProducerSnapshot();
          else await this.pruneSnapshots(0);
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
    this.stopping = true;
    await this.compacting?.catch(() => undefined);
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

