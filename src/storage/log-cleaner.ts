import {
  ATTRIBUTES,
  BASE_OFFSET,
  BATCH_LENGTH,
  COMPRESSION_MASK,
  CONTROL_BIT,
  CRC,
  LAST_OFFSET_DELTA,
  LOG_OVERHEAD,
  RECORDS_START,
  RECORD_COUNT,
  computeCrc,
  maxTimestamp as headerMaxTimestamp,
} from '../protocol/records/batch-header.ts';
import { readVarint, readVarlong } from '../protocol/primitives/varint.ts';
import { BatchScanner } from './batch-scanner.ts';
import { KafkaStorageError } from './errors.ts';
import type { FileHandleBudget } from './file-handle-budget.ts';
import type { StorageIO } from './io.ts';
import { writeFully } from './io.ts';
import { watchIndexRebuilds } from './log-loader.ts';
import { LogSegment } from './log-segment.ts';
import type { LogSegments } from './log-segments.ts';
import type { StorageLogger } from './logger.ts';
import type { LogConfig } from './topic-config.ts';

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
): Promise<{ batch: Buffer | null; removed: number }> {
  const attrs = batch.readInt16BE(ATTRIBUTES);
  if (attrs & CONTROL_BIT) return { batch, removed: 0 };
  const base = Number(batch.readBigInt64BE(BASE_OFFSET));
  const count = batch.readInt32BE(RECORD_COUNT);
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
  if (kept === 0) return { batch: null, removed: count };
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

/** What the cleaner reads of a partition. Scanning runs beside appends: old segments never change. */
export interface CleanableLog {
  readonly name: string;
  readonly dir: string;
  readonly segments: LogSegments;
  readonly config: LogConfig;
  /** The log is closing: cleaning stops at the next batch. */
  readonly stopping: boolean;
}

/**
 * A cleaned copy of `old`, written and fsynced at `swapPath` (`<base>.log.swap`). The partition log
 * renames it over `old`'s file and puts `fresh` (its in-memory state, indexes built) in the list.
 */
export interface SegmentReplacement {
  old: LogSegment;
  fresh: LogSegment;
  swapPath: string;
  recordsRemoved: number;
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
    const dropTombstones = (seg: LogSegment): boolean => seg.maxTimestamp >= 0 && seg.maxTimestamp < nowMs - log.config.deleteRetentionMs;
    // Also due: a segment whose kept tombstones have passed delete.retention.ms since.
    const tombstonesDue = cand.some((seg) => this.tombstoneSegments.has(seg.baseOffset) && dropTombstones(seg));
    if (total === 0 || (dirty / total < log.config.minCleanableDirtyRatio && !tombstonesDue)) return;
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
      await this.forEachBatch(log, seg, async (batch) => {
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
      if (!log.segments.has(seg)) continue; // deleted by retention meanwhile
      if (dropTombstones(seg)) this.tombstoneSegments.delete(seg.baseOffset);
      const r = await this.rewriteSegment(log, seg, map, dropTombstones(seg), codecs);
      if (r) yield r;
    }
    this.cleanedUpTo = cand[cand.length - 1]!.nextOffset;
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

  /** Writes the cleaned copy of `seg` as `.swap`. Null when `seg` went away (or the log closed) meanwhile. */
  private async rewriteSegment(log: CleanableLog, seg: LogSegment, map: Map<string, number>, dropTombstones: boolean, codecs: Codecs): Promise<SegmentReplacement | null> {
    const cleanedPath = `${seg.logPath}.cleaned`;
    const swapPath = `${seg.logPath}.swap`;
    const fresh = watchIndexRebuilds(new LogSegment(this.io, log.dir, seg.baseOffset, log.config.indexIntervalBytes, seg.createdMs, this.handles), log.name, this.logger);
    fresh.indexesLoaded = true;
    let removed = 0;
    const out = await this.io.open(cleanedPath, 'w');
    try {
      let position = 0;
      await this.forEachBatch(log, seg, async (batch) => {
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
      if (!log.segments.has(seg) || log.stopping) return null;
      throw e;
    }
    await out.close();
    fresh.nextOffset = Math.max(fresh.nextOffset, seg.nextOffset);
    await this.io.rename(cleanedPath, swapPath);
    return { old: seg, fresh, swapPath, recordsRemoved: removed };
  }
}
