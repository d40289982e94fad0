import {
  ATTRIBUTES,
  BASE_OFFSET,
  BATCH_LENGTH,
  COMPRESSION_MASK,
  CONTROL_BIT,
  BASE_TIMESTAMP,
  CRC,
  LAST_OFFSET_DELTA,
  MAX_TIMESTAMP,
  PARTITION_LEADER_EPOCH,
  PRODUCER_EPOCH,
  PRODUCER_ID,
  LOG_OVERHEAD,
  RECORDS_START,
  RECORD_COUNT,
  TIMESTAMP_TYPE_BIT,
  TRANSACTIONAL_BIT,
  computeCrc,
  maxTimestamp as headerMaxTimestamp,
} from '../protocol/records/batch-header.ts';
import { readVarint, readVarlong } from '../protocol/primitives/varint.ts';
import { readEndTxnMarker } from '../protocol/records/control-batch.ts';
import { decodeRecordBatch, encodeRecordBatch } from '../protocol/records/record-batch.ts';
import { BatchScanner } from './batch-scanner.ts';
import { KafkaStorageError } from './errors.ts';
import type { FileHandleBudget } from './file-handle-budget.ts';
import type { StorageIO } from './io.ts';
import { writeFully } from './io.ts';
import { watchIndexRebuilds } from './log-loader.ts';
import { LogSegment } from './log-segment.ts';
import type { LogSegments } from './log-segments.ts';
import { groupSegmentsBySize, rangeEndBatch } from './segment-groups.ts';
import type { StorageLogger } from './logger.ts';
import type { LogConfig } from './topic-config.ts';
import type { AbortedTxn, TransactionIndex } from './transaction-index.ts';

/**
 * Log compaction (cleanup.policy=compact), the core of Kafka's LogCleaner without its threads:
 * an offset map of each key's latest offset, then a rewrite of old segments keeping, per key, only
 * that latest record (and tombstones until delete.retention.ms has passed). Batches keep their base
 * offset, last offset delta, timestamps and producer fields; records keep their original offsets,
 * so offsets in a cleaned log have gaps, as in Kafka. Uncompressed batches are filtered by copying
 * raw record bytes; compressed ones are decompressed, filtered and recompressed with their codec.
 *
 * The cleaner never changes the live log: it writes each cleaned copy beside its segment and hands it
 * back as a SegmentReplacement; the partition log swaps it in (Kafka's replaceSegments).
 */

/** Decompresses/compresses a records region (injected: the protocol layer's codecs, loaded lazily). */
export interface Codecs {
  decompress(codec: number, data: Uint8Array, limit: number): Promise<Buffer>;
  compress(codec: number, data: Uint8Array): Promise<Buffer>;
}

const DECOMPRESS_LIMIT = 256 * 1024 * 1024;

/** Key bytes as a Map key (latin1 keeps every byte), or null for a keyless record. */
const keyString = (buf: Buffer, start: number, len: number): string | null => (len < 0 ? null : buf.toString('latin1', start, start + len));

/**
 * Walks the records of a (decompressed) records region: for each, its byte range, offset delta, key
 * and whether the value is null. Stops at `count` records or the region end.
 */
export function forEachRecord(
  region: Buffer,
  count: number,
  visit: (start: number, end: number, offsetDelta: number, key: string | null, valueIsNull: boolean) => void,
): void {
  const c = { pos: 0 };
  for (let i = 0; i < count && c.pos < region.length; i++) {
    const start = c.pos;
    const len = readVarint(region, c);
    const end = c.pos + len;
    c.pos += 1; // attributes
    readVarlong(region, c); // timestamp delta
    const offsetDelta = readVarint(region, c);
    const keyLen = readVarint(region, c);
    const key = keyString(region, c.pos, keyLen);
    if (keyLen > 0) c.pos += keyLen;
    const valueLen = readVarint(region, c);
    visit(start, end, offsetDelta, key, valueLen < 0);
    c.pos = end;
  }
}

/** The records region of a batch, decompressed when needed. */
export async function recordsRegion(batch: Buffer, codecs: Codecs): Promise<Buffer> {
  const region = batch.subarray(RECORDS_START);
  const codec = batch.readInt16BE(ATTRIBUTES) & COMPRESSION_MASK;
  return codec === 0 ? region : codecs.decompress(codec, region, DECOMPRESS_LIMIT);
}

/**
 * The batch as it should be after cleaning: the same Buffer when every record stays, null when none
 * does, else a new batch holding the survivors. `dropTombstones`: tombstones past the delete horizon
 * go too (a tombstone's job is done once consumers have had delete.retention.ms to see it).
 */
export async function cleanBatch(
  batch: Buffer,
  map: Map<string, number>,
  dropTombstones: boolean,
  codecs: Codecs,
  txn: BatchFate = { kind: 'filter', retainEmpty: false },
): Promise<{ batch: Buffer | null; removed: number }> {
  const attrs = batch.readInt16BE(ATTRIBUTES);
  const count = batch.readInt32BE(RECORD_COUNT);
  if (txn.kind === 'stamp') return { batch: stampDeleteHorizon(batch, txn.horizonMs), removed: 0 };
  if (txn.kind === 'discard') return { batch: txn.retainEmpty ? emptyBatch(batch) : null, removed: count };
  if (attrs & CONTROL_BIT) return { batch, removed: 0 };
  const base = Number(batch.readBigInt64BE(BASE_OFFSET));
  const region = await recordsRegion(batch, codecs);
  const keep: [number, number][] = [];
  let kept = 0;
  forEachRecord(region, count, (start, end, delta, key, valueIsNull) => {
    const latest = key === null || map.get(key) === base + delta;
    if (latest && !(valueIsNull && dropTombstones && key !== null)) {
      const last = keep[keep.length - 1];
      if (last && last[1] === start) last[1] = end;
      else keep.push([start, end]);
      kept++;
    }
  });
  if (kept === count) return { batch, removed: 0 };
  if (kept === 0) return { batch: txn.retainEmpty ? emptyBatch(batch) : null, removed: count };
  let size = 0;
  for (const [s, e] of keep) size += e - s;
  const raw = Buffer.allocUnsafe(size);
  let at = 0;
  for (const [s, e] of keep) at += region.copy(raw, at, s, e);
  const codec = attrs & COMPRESSION_MASK;
  const body = codec === 0 ? raw : await codecs.compress(codec, raw);
  const out = Buffer.allocUnsafe(RECORDS_START + body.length);
  batch.copy(out, 0, 0, RECORDS_START);
  body.copy(out, RECORDS_START);
  out.writeInt32BE(out.length - LOG_OVERHEAD, BATCH_LENGTH);
  out.writeInt32BE(kept, RECORD_COUNT);
  out.writeUInt32BE(computeCrc(out), CRC);
  return { batch: out, removed: count - kept };
}

/** Kafka's delete-horizon attribute bit: baseTimestamp then holds the time after which the batch may go. */
export const DELETE_HORIZON_BIT = 0x40;

/**
 * What the transaction rules decide for one batch: `filter` (key compaction as usual; `retainEmpty`
 * keeps a header-only batch if nothing survives, so the producer's last sequence stays in the log),
 * `discard` (aborted data, or a marker past its delete horizon), `stamp` (a marker whose transaction has
 * no data left: record the delete horizon, now + delete.retention.ms, in its header, as Kafka does).
 */
export type BatchFate = { kind: 'filter'; retainEmpty: boolean } | { kind: 'discard'; retainEmpty: boolean } | { kind: 'stamp'; horizonMs: number };

/** The batch with no records (Kafka's DefaultRecordBatch.writeEmptyHeader): offsets, producer fields and timestamps kept. */
export function emptyBatch(batch: Buffer): Buffer {
  const out = Buffer.alloc(RECORDS_START);
  batch.copy(out, 0, 0, RECORDS_START);
  const attrs = batch.readInt16BE(ATTRIBUTES) & ~COMPRESSION_MASK;
  out.writeInt16BE(attrs, ATTRIBUTES);
  out.writeBigInt64BE(batch.readBigInt64BE(MAX_TIMESTAMP), BASE_TIMESTAMP);
  out.writeInt32BE(out.length - LOG_OVERHEAD, BATCH_LENGTH);
  out.writeInt32BE(0, RECORD_COUNT);
  out.writeUInt32BE(computeCrc(out), CRC);
  return out;
}

/** A marker batch re-encoded with its delete horizon (records keep their timestamps: deltas are rebased). */
export function stampDeleteHorizon(batch: Buffer, horizonMs: number): Buffer {
  const d = decodeRecordBatch(batch);
  const out = encodeRecordBatch({
    baseOffset: d.baseOffset,
    partitionLeaderEpoch: d.partitionLeaderEpoch,
    transactional: d.isTransactional,
    control: d.isControl,
    producerId: d.producerId,
    producerEpoch: d.producerEpoch,
    baseSequence: d.baseSequence,
    baseTimestamp: horizonMs,
    records: d.records.map((r) => ({ key: r.key, value: r.value, timestamp: r.timestamp, headers: r.headers })),
  });
  out.writeInt32BE(d.lastOffsetDelta, LAST_OFFSET_DELTA);
  out.writeInt16BE(out.readInt16BE(ATTRIBUTES) | DELETE_HORIZON_BIT | (d.attributes & 0x08), ATTRIBUTES);
  out.writeBigInt64BE(BigInt(d.maxTimestamp), MAX_TIMESTAMP);
  out.writeUInt32BE(computeCrc(out), CRC);
  return out;
}

/**
 * Kafka's CleanedTransactionMetadata: walks batches in offset order, knowing the aborted transactions
 * (from the .txnindex) by first offset. Data of an aborted transaction is discarded; an ABORT marker may
 * go once none of its transaction's batches was seen, a COMMIT marker once none of its data remains.
 */
class TxnTracker {
  private readonly queue: AbortedTxn[];
  private readonly aborted = new Map<bigint, { txn: AbortedTxn; observed: boolean }>();
  private readonly committed = new Set<bigint>();
  constructor(aborts: readonly AbortedTxn[]) {
    this.queue = [...aborts].sort((a, b) => a.firstOffset - b.firstOffset);
  }
  private consumeUpTo(offset: number): void {
    while (this.queue.length > 0 && this.queue[0]!.firstOffset <= offset) {
      const t = this.queue.shift()!;
      if (!this.aborted.has(t.producerId)) this.aborted.set(t.producerId, { txn: t, observed: false });
    }
  }
  /** A data batch: true when it belongs to an aborted transaction. */
  onData(batch: Buffer, lastOffset: number): boolean {
    this.consumeUpTo(lastOffset);
    if (!(batch.readInt16BE(ATTRIBUTES) & TRANSACTIONAL_BIT)) return false;
    const pid = batch.readBigInt64BE(PRODUCER_ID);
    const a = this.aborted.get(pid);
    if (a) {
      a.observed = true;
      return true;
    }
    this.committed.add(pid);
    return false;
  }
  /** A control batch: whether it may be discarded, and the abort to keep indexed when its marker stays. */
  onControl(batch: Buffer, lastOffset: number): { discardable: boolean; keep?: AbortedTxn } {
    this.consumeUpTo(lastOffset);
    if (batch.readInt32BE(RECORD_COUNT) === 0) return { discardable: true };
    const m = readEndTxnMarker(decodeRecordBatch(batch));
    if (!m) return { discardable: false };
    if (m.type === 'abort') {
      const a = this.aborted.get(m.producerId);
      this.aborted.delete(m.producerId);
      return a?.observed ? { discardable: false, keep: a.txn } : { discardable: true };
    }
    return { discardable: !this.committed.delete(m.producerId) };
  }
}

/** What the cleaner reads of a partition. Scanning runs beside appends: old segments never change. */
export interface CleanableLog {
  readonly name: string;
  readonly dir: string;
  readonly segments: LogSegments;
  readonly config: LogConfig;
  /** The log is closing: cleaning stops at the next batch. */
  readonly stopping: boolean;
  /** Aborted transactions (which data the cleaner removes, which markers it may drop). */
  readonly txnIndex: TransactionIndex;
  /** Nothing at or past it is cleaned: its transactions are undecided (Kafka's firstUnstableOffset bound). */
  readonly lastStableOffset: number;
  /** Last offset of the producer's last data batch (kept, emptied if need be, to keep its sequence). */
  lastDataOffset(producerId: bigint): number | undefined;
  /** The producer's current epoch, undefined without state (a marker holding it is kept, emptied, for fencing). */
  producerEpoch(producerId: bigint): number | undefined;
}

/**
 * A cleaned copy of a group of adjacent segments `olds` (one segment, or several merged: see
 * segment-groups.ts), written and fsynced at `swapPath` (`<first base>.log.swap`). The partition log
 * removes the later segments of the group, renames it over the first one's file and puts `fresh`
 * (its in-memory state, indexes built) in their place. `fresh` ends where the group ended.
 */
export interface SegmentReplacement {
  olds: LogSegment[];
  fresh: LogSegment;
  swapPath: string;
  recordsRemoved: number;
  /** Aborts of these segments whose ABORT marker was kept (the merged `.txnindex` becomes these after the swap). */
  keptAborts: AbortedTxn[];
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

/**
 * The cleaner of one partition (cleanup.policy=compact): inactive segments older than
 * min.compaction.lag.ms are rewritten keeping each key's latest record; tombstones go once their
 * segment is older than delete.retention.ms. Runs when the not-yet-compacted share of those
 * segments reaches min.cleanable.dirty.ratio. The active segment is never touched.
 */
export class LogCleaner {
  private readonly io: StorageIO;
  private readonly logger: StorageLogger;
  /** Segments below this offset were compacted since start (for min.cleanable.dirty.ratio). */
  private cleanedUpTo = -1;
  /** Base offsets of compacted segments still holding tombstones (cleaned again once those expire). */
  private readonly tombstoneSegments = new Set<number>();
  /** Base offsets of segments with transaction-marker work pending, and from when it is due. */
  private readonly markerWork = new Map<number, number>();

  private readonly handles: FileHandleBudget | undefined;

  constructor(io: StorageIO, logger: StorageLogger, handles?: FileHandleBudget) {
    this.io = io;
    this.logger = logger;
    this.handles = handles;
  }

  /**
   * Yields one replacement per segment that changes, each written before it is yielded; the caller
   * swaps it in (or drops it, removing `swapPath`) before asking for the next. `inactive`: the
   * segments that were inactive when compaction was asked for (later rolls wait for the next run).
   */
  async *clean(log: CleanableLog, nowMs: number, inactive: readonly LogSegment[]): AsyncGenerator<SegmentReplacement, void, void> {
    const lag = log.config.minCompactionLagMs;
    const cand: LogSegment[] = [];
    // Never past the first unstable offset: an undecided transaction's batches stay as written.
    const lso = log.lastStableOffset;
    for (const seg of inactive) {
      if (seg.nextOffset > lso) break;
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
    const dropTombstones = (seg: LogSegment): boolean => seg.maxTimestamp >= 0 && seg.maxTimestamp < nowMs - log.config.deleteRetentionMs;
    // Also due: a segment whose kept tombstones have passed delete.retention.ms since.
    const tombstonesDue = cand.some((seg) => this.tombstoneSegments.has(seg.baseOffset) && dropTombstones(seg));
    // Also due: a segment whose transaction markers have work (data just removed, or a delete horizon passed).
    const markersDue = cand.some((seg) => (this.markerWork.get(seg.baseOffset) ?? Infinity) <= nowMs);
    if (total === 0 || (dirty / total < log.config.minCleanableDirtyRatio && !tombstonesDue && !markersDue)) return;
    for (const seg of cand) this.markerWork.delete(seg.baseOffset);
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
    const candEnd = cand[cand.length - 1]!.nextOffset;
    const tracker = new TxnTracker(log.txnIndex.entries.filter((e) => e.firstOffset < candEnd));
    // Per batch (by base offset) whose fate is not plain key compaction; aborts to keep indexed, per segment.
    const fates = new Map<number, BatchFate>();
    const keptAborts = new Map<LogSegment, AbortedTxn[]>();
    const laterWork = (seg: LogSegment, atMs: number): void => {
      this.markerWork.set(seg.baseOffset, Math.min(atMs, this.markerWork.get(seg.baseOffset) ?? Infinity));
    };
    for (const seg of cand) {
      const drop = dropTombstones(seg);
      keptAborts.set(seg, []);
      await this.forEachBatch(log, seg, async (batch) => {
        const base = Number(batch.readBigInt64BE(BASE_OFFSET));
        const last = base + batch.readInt32BE(LAST_OFFSET_DELTA);
        const attrs = batch.readInt16BE(ATTRIBUTES);
        if (attrs & CONTROL_BIT) {
          const c = tracker.onControl(batch, last);
          if (c.keep) keptAborts.get(seg)!.push(c.keep);
          if (!c.discardable) return;
          if (!(attrs & DELETE_HORIZON_BIT)) {
            const horizonMs = nowMs + log.config.deleteRetentionMs;
            fates.set(base, { kind: 'stamp', horizonMs });
            laterWork(seg, horizonMs);
            changes.add(seg);
          } else {
            const horizonMs = Number(batch.readBigInt64BE(BASE_TIMESTAMP));
            if (horizonMs <= nowMs) {
              // Kafka keeps (emptied) a producer's last marker when it has no data left: it holds the epoch.
              const pid = batch.readBigInt64BE(PRODUCER_ID);
              const retainEmpty = log.lastDataOffset(pid) === undefined && log.producerEpoch(pid) === batch.readInt16BE(PRODUCER_EPOCH);
              if (!(retainEmpty && batch.readInt32BE(RECORD_COUNT) === 0)) changes.add(seg);
              fates.set(base, { kind: 'discard', retainEmpty });
            } else laterWork(seg, horizonMs);
          }
          return;
        }
        const pid = batch.readBigInt64BE(PRODUCER_ID);
        const retainEmpty = pid >= 0n && log.lastDataOffset(pid) === last;
        if (tracker.onData(batch, last)) {
          // Aborted data: gone now; its marker can be let go on the next run.
          if (!(retainEmpty && batch.readInt32BE(RECORD_COUNT) === 0)) {
            changes.add(seg);
            laterWork(seg, nowMs);
          }
          fates.set(base, { kind: 'discard', retainEmpty });
          return;
        }
        if (retainEmpty) fates.set(base, { kind: 'filter', retainEmpty });
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
    // Pass 2: rewrite the segments that change, one by one.
    for (const seg of cand) {
      if (!changes.has(seg)) continue;
      if (!log.segments.has(seg)) continue; // deleted by retention meanwhile
      if (dropTombstones(seg)) this.tombstoneSegments.delete(seg.baseOffset);
      const r = await this.rewriteGroup(log, [seg], map, dropTombstones, codecs, fates, keptAborts.get(seg) ?? []);
      if (r) yield r;
    }
    this.cleanedUpTo = cand[cand.length - 1]!.nextOffset;
    // Pass 3: merge adjacent small segments (Kafka's groupSegmentsBySize). Kafka groups by the sizes
    // before cleaning, so a segment emptied by one run merges on the next; grouping the cleaned
    // segments now merges them in the same run. Their batches are copied as they are.
    const lastBase = cand[cand.length - 1]!.baseOffset;
    const current = log.segments.all.filter((seg) => seg !== log.segments.active && seg.baseOffset <= lastBase);
    const groups = groupSegmentsBySize(current, {
      maxBytes: log.config.segmentBytes,
      maxIndexBytes: log.config.maxIndexBytes,
      indexIntervalBytes: log.config.indexIntervalBytes,
    });
    for (const group of groups) {
      if (group.length < 2 || group.some((seg) => !log.segments.has(seg))) continue;
      const first = group[0]!;
      for (const seg of group.slice(1)) {
        if (this.tombstoneSegments.delete(seg.baseOffset)) this.tombstoneSegments.add(first.baseOffset);
        const due = this.markerWork.get(seg.baseOffset);
        this.markerWork.delete(seg.baseOffset);
        if (due !== undefined) laterWork(first, due);
      }
      const r = await this.rewriteGroup(log, group, null, dropTombstones, codecs, fates, [...log.txnIndex.entries]);
      if (r) yield r;
    }
  }

  /** Calls `fn` for a copy of every batch of a segment, reading in chunks of ~4 MiB. */
  private async forEachBatch(log: CleanableLog, seg: LogSegment, fn: (batch: Buffer) => Promise<void>): Promise<void> {
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
        if (log.stopping) throw new KafkaStorageError(`${log.name} is closing: compaction stopped`);
        if (chunk.length === 0 || scanner.stoppedOn === 'torn') break;
        pos = stop;
      }
    });
  }

  /**
   * Writes the cleaned copy of `group` (one or more adjacent segments) as one segment at the first
   * one's base: `.cleaned` while being written, fsynced, then renamed to `.swap` (Kafka's suffixes: a
   * `.swap` is complete, a `.cleaned` is not). Null when a segment went away (or the log closed) meanwhile.
   */
  private async rewriteGroup(
    log: CleanableLog,
    group: readonly LogSegment[],
    /** null: a merge of already-cleaned segments, batches copied as they are. */
    map: Map<string, number> | null,
    dropTombstones: (seg: LogSegment) => boolean,
    codecs: Codecs,
    fates: ReadonlyMap<number, BatchFate>,
    keptAborts: AbortedTxn[],
  ): Promise<SegmentReplacement | null> {
    const first = group[0]!;
    const last = group[group.length - 1]!;
    const cleanedPath = `${first.logPath}.cleaned`;
    const swapPath = `${first.logPath}.swap`;
    const fresh = watchIndexRebuilds(new LogSegment(this.io, log.dir, first.baseOffset, log.config.indexIntervalBytes, first.createdMs, this.handles), log.name, this.logger);
    fresh.indexesLoaded = true;
    // Written at the swap even when they hold no entry: a missing index file means "rebuild" at load.
    fresh.offsetIndex.reset();
    fresh.timeIndex.reset();
    let removed = 0;
    const out = await this.io.open(cleanedPath, 'w');
    try {
      let position = 0;
      const write = async (batch: Buffer): Promise<void> => {
        await writeFully(out, batch, 0, batch.length, position);
        const base = Number(batch.readBigInt64BE(BASE_OFFSET));
        fresh.recordBatch(batch.length, position, base + batch.readInt32BE(LAST_OFFSET_DELTA), headerMaxTimestamp(batch));
        position += batch.length;
      };
      let lastEpoch = -1;
      let logAppendTime = false;
      let maxTs = Math.max(-1, ...group.map((seg) => seg.maxTimestamp));
      for (const seg of group) {
        const drop = dropTombstones(seg);
        await this.forEachBatch(log, seg, async (batch) => {
          lastEpoch = batch.readInt32BE(PARTITION_LEADER_EPOCH);
          logAppendTime = (batch.readInt16BE(ATTRIBUTES) & TIMESTAMP_TYPE_BIT) !== 0;
          maxTs = Math.max(maxTs, headerMaxTimestamp(batch));
          // A record-less batch of no producer holds nothing (an earlier run's range end): it goes,
          // and a new one is written below if this group still needs its end marked.
          if (batch.readInt32BE(RECORD_COUNT) === 0 && batch.readBigInt64BE(PRODUCER_ID) < 0n && !(batch.readInt16BE(ATTRIBUTES) & CONTROL_BIT)) return;
          if (map === null) return write(batch);
          const r = await cleanBatch(batch, map, drop, codecs, fates.get(Number(batch.readBigInt64BE(BASE_OFFSET))));
          removed += r.removed;
          if (r.batch) await write(r.batch);
        });
      }
      // The group's end: the last segment's next offset (an old segment ends where the next begins).
      const end = Math.max(last.nextOffset, last.baseOffset);
      if (fresh.nextOffset < end && end > first.baseOffset) await write(rangeEndBatch(end - 1, maxTs, lastEpoch, logAppendTime));
      await out.sync();
    } catch (e) {
      await out.close().catch(() => undefined);
      await this.io.rm(cleanedPath, { force: true });
      if (group.some((seg) => !log.segments.has(seg)) || log.stopping) return null;
      throw e;
    }
    await out.close();
    fresh.nextOffset = Math.max(fresh.nextOffset, last.nextOffset);
    await this.io.rename(cleanedPath, swapPath);
    return { olds: [...group], fresh, swapPath, recordsRemoved: removed, keptAborts };
  }
}
