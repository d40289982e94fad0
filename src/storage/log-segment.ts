import { join } from 'node:path';
import {
  BASE_OFFSET,
  LAST_OFFSET_DELTA,
  MAGIC,
  MAX_TIMESTAMP,
  crcMatches,
} from '../protocol/records/batch-header.ts';
import { BatchScanner } from './batch-scanner.ts';
import type { FileHandleBudget, HandleHolder } from './file-handle-budget.ts';
import type { StorageFile, StorageIO } from './io.ts';
import { isNotFound, readFully, writeFully } from './io.ts';
import { OffsetIndex } from './offset-index.ts';
import type { ReadBufferPool } from './read-buffer-pool.ts';
import { TimeIndex } from './time-index.ts';

/** Kafka's file name for a segment: the base offset, zero-padded to 20 digits. */
export function segmentFileName(baseOffset: number, suffix: '.log' | '.index' | '.timeindex'): string {
  return String(baseOffset).padStart(20, '0') + suffix;
}

export interface RecoveryResult {
  /** Bytes of valid batches kept. */
  validBytes: number;
  /** Bytes cut from the end (torn or corrupt tail). */
  truncatedBytes: number;
  /** Why the scan stopped early, when it did. */
  reason: string | null;
  /** First offset of the dropped region, when a readable header was there (else null). */
  firstDroppedOffset: number | null;
}

/**
 * One segment: `<base>.log` holding batches exactly as stored, plus its sparse `.index` and
 * `.timeindex`. In-memory state (size, next offset, largest timestamp) is what the partition log
 * needs without touching the disk; indexes of old segments load on first use.
 */
export class LogSegment implements HandleHolder {
  readonly baseOffset: number;
  readonly dir: string;
  readonly logPath: string;
  readonly offsetIndex: OffsetIndex;
  readonly timeIndex: TimeIndex;
  private readonly io: StorageIO;
  private readonly indexIntervalBytes: number;
  /** The broker's bound on open segment files (none: the handle stays open while active). */
  private readonly budget: FileHandleBudget | undefined;
  /** Bytes were written since the last fdatasync (an evicted handle still owes its sync). */
  private unsynced = false;

  /** Bytes of complete, acknowledged-or-in-flight batches (the next write position). */
  size = 0;
  /** Last offset + 1 of the batches in this segment (== baseOffset when empty). */
  nextOffset: number;
  /** Largest batch maxTimestamp seen, -1 when unknown/empty. */
  maxTimestamp = -1;
  /** Last offset of the batch that first carried maxTimestamp. */
  offsetOfMaxTimestamp = -1;
  /** maxTimestamp of the first batch (Kafka rolls segment.ms after it), -1 when empty. */
  firstBatchTimestamp = -1;
  /** Wall-clock creation time (for segment.ms when the first timestamp is unknown). */
  createdMs: number;
  bytesSinceLastIndexEntry = 0;
  /** Whether the indexes are in memory and match the log. */
  indexesLoaded = false;
  /** maxTimestamp is final even without the indexes in memory (see ensureMaxTimestamp). */
  private maxTimestampKnown = false;
  private file: StorageFile | null = null;
  private fileOpening: Promise<StorageFile> | null = null;
  private pendingReads = 0;
  private deleted = false;
  /** Close the handle once in-flight reads finish (set when the segment stops being active). */
  private closeWhenIdle = false;
  /** Replaced by a compacted copy: never reopen by path (it now holds different bytes). */
  private retired = false;
  private indexLoad: Promise<boolean> | null = null;
  /** Told (once per rebuild) why a damaged or missing index is being rebuilt from the log, for the log. */
  onIndexRebuild: ((why: string) => void) | null = null;

  constructor(io: StorageIO, dir: string, baseOffset: number, indexIntervalBytes: number, createdMs: number, budget?: FileHandleBudget) {
    this.io = io;
    this.budget = budget;
    this.dir = dir;
    this.baseOffset = baseOffset;
    this.nextOffset = baseOffset;
    this.indexIntervalBytes = indexIntervalBytes;
    this.createdMs = createdMs;
    this.logPath = join(dir, segmentFileName(baseOffset, '.log'));
    this.offsetIndex = new OffsetIndex(join(dir, segmentFileName(baseOffset, '.index')), baseOffset);
    this.timeIndex = new TimeIndex(join(dir, segmentFileName(baseOffset, '.timeindex')), baseOffset);
  }

  /** Creates the three empty files of a new segment. */
  static async create(io: StorageIO, dir: string, baseOffset: number, indexIntervalBytes: number, nowMs: number, budget?: FileHandleBudget): Promise<LogSegment> {
    const seg = new LogSegment(io, dir, baseOffset, indexIntervalBytes, nowMs, budget);
    seg.file = await io.open(seg.logPath, 'w+');
    budget?.touch(seg);
    await seg.offsetIndex.create(io);
    await seg.timeIndex.create(io);
    seg.indexesLoaded = true;
    return seg;
  }

  get isEmpty(): boolean {
    return this.size === 0;
  }

  /**
   * The read/write handle, opened on first use (old segments stay closed until read) and possibly
   * closed again by the handle budget when idle. Callers count themselves in `pendingReads` (see
   * withHandle) while they hold it, so it is never closed under them.
   */
  async handle(): Promise<StorageFile> {
    if (this.file) {
      this.budget?.touch(this);
      return this.file;
    }
    if (this.retired) throw Object.assign(new Error(`segment ${this.logPath} was replaced by compaction`), { code: 'ESTALE' });
    if (this.deleted) throw Object.assign(new Error(`segment ${this.logPath} was deleted`), { code: 'ENOENT' });
    this.fileOpening ??= this.io.open(this.logPath, 'r+').then((f) => {
      this.file = f;
      this.fileOpening = null;
      this.budget?.touch(this);
      return f;
    }, (e) => {
      this.fileOpening = null;
      throw e;
    });
    return this.fileOpening;
  }

  /** Size on disk of the .log file (for loading). */
  fileSize(): Promise<number> {
    return this.withHandle(async (fh) => (await fh.stat()).size);
  }

  get idle(): boolean {
    return this.pendingReads === 0 && this.file !== null;
  }

  /** The handle budget closes this idle handle; the next use reopens it. */
  async evictHandle(): Promise<void> {
    if (this.pendingReads === 0) await this.closeHandle();
  }

  /**
   * Writes stamped batches (one or several back to back) at the end, in one write. On failure the
   * file is cut back to the old size so no partial batch is left behind, and the error is rethrown
   * for the caller to wrap. The caller then calls recordBatch for each batch (size is not advanced
   * here). Returns the position written at.
   */
  write(data: Buffer): Promise<number> {
    return this.withHandle(async (fh) => {
      const position = this.size;
      try {
        await writeFully(fh, data, 0, data.length, position);
      } catch (e) {
        await fh.truncate(position).catch(() => undefined);
        throw e;
      } finally {
        // Marked once the bytes are written (also partly, before the truncation): a sync that began
        // during the write may not cover them, and must not clear the mark for them.
        this.unsynced = true;
      }
      return position;
    });
  }

  /** Updates size, offsets, timestamps and indexes for a batch now at `position` (append and rebuild). */
  recordBatch(size: number, position: number, lastOffset: number, maxTimestamp: number): void {
    if (this.bytesSinceLastIndexEntry > this.indexIntervalBytes) {
      this.offsetIndex.append(lastOffset, position);
      this.timeIndex.maybeAppend(Math.max(this.maxTimestamp, maxTimestamp), maxTimestamp > this.maxTimestamp ? lastOffset : this.offsetOfMaxTimestamp);
      this.bytesSinceLastIndexEntry = 0;
    }
    this.bytesSinceLastIndexEntry += size;
    if (this.firstBatchTimestamp < 0 && position === 0) this.firstBatchTimestamp = maxTimestamp;
    if (maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = maxTimestamp;
      this.offsetOfMaxTimestamp = lastOffset;
    }
    this.size = position + size;
    this.nextOffset = lastOffset + 1;
  }

  /**
   * Reads [position, position+length) into a buffer lent by `pool` (fewer bytes only if the file is
   * shorter). The caller hands the buffer back with `release` once done with it.
   */
  async readPooled(position: number, length: number, pool: ReadBufferPool): Promise<{ data: Buffer; release: () => void }> {
    this.pendingReads++;
    const lease = pool.acquire(length);
    try {
      const fh = await this.handle();
      const got = await readFully(fh, lease.buf, 0, length, position);
      return { data: lease.buf.subarray(0, got), release: lease.release };
    } catch (e) {
      lease.release();
      throw e;
    } finally {
      await this.endRead();
    }
  }

  /** Reads [position, position+length) into a fresh Buffer (fewer bytes only if the file is shorter). */
  async read(position: number, length: number): Promise<Buffer> {
    this.pendingReads++;
    try {
      const fh = await this.handle();
      const buf = Buffer.allocUnsafe(length);
      const got = await readFully(fh, buf, 0, length, position);
      return got === length ? buf : buf.subarray(0, got);
    } finally {
      await this.endRead();
    }
  }

  private async endRead(): Promise<void> {
    this.pendingReads--;
    if ((this.deleted || this.closeWhenIdle || this.retired) && this.pendingReads === 0) await this.closeHandle();
  }

  /**
   * Before compaction renames a cleaned file over this segment's: readers already in flight finish on
   * the open (old) file; later use of this object fails with ESTALE and the reader retries.
   */
  async retire(): Promise<void> {
    this.retired = true;
    if (this.pendingReads === 0) await this.closeHandle();
  }

  /** Runs `fn` with the open handle, counted as a read (so the handle is not closed under it). */
  async withHandle<T>(fn: (fh: StorageFile) => Promise<T>): Promise<T> {
    this.pendingReads++;
    try {
      return await fn(await this.handle());
    } finally {
      await this.endRead();
    }
  }

  /** Closes the file handle now, or after the reads in flight (an inactive segment needs no open fd). */
  async releaseHandle(): Promise<void> {
    this.closeWhenIdle = true;
    if (this.pendingReads === 0) await this.closeHandle();
  }

  /**
   * Position of the first batch whose last offset >= `offset`, scanning headers from the index hint;
   * `end` when no such batch is below `end`.
   */
  async locate(offset: number, end = this.size): Promise<number> {
    await this.ensureIndexes();
    const start = this.offsetIndex.lookupPosition(offset);
    if (start >= end) return end;
    this.pendingReads++;
    try {
      const scanner = new BatchScanner(await this.handle(), end, 16 * 1024);
      return await scanner.walk(start, false, (buf, at) => {
        const last = Number(buf.readBigInt64BE(at + BASE_OFFSET)) + buf.readInt32BE(at + LAST_OFFSET_DELTA);
        return last < offset;
      });
    } finally {
      await this.endRead();
    }
  }

  /**
   * First batch with maxTimestamp >= ts and last offset >= minOffset: its position, or -1. Starts at the
   * time index hint.
   */
  async findBatchByTimestamp(ts: number, minOffset: number): Promise<{ position: number; batch: Buffer } | null> {
    await this.ensureIndexes();
    const startOffset = Math.max(this.timeIndex.lookupOffset(ts), minOffset);
    const start = this.offsetIndex.lookupPosition(startOffset);
    this.pendingReads++;
    try {
      const scanner = new BatchScanner(await this.handle(), this.size);
      let found: Buffer | null = null;
      let foundPos = -1;
      await scanner.walk(start, true, (buf, at, position, size) => {
        const last = Number(buf.readBigInt64BE(at + BASE_OFFSET)) + buf.readInt32BE(at + LAST_OFFSET_DELTA);
        if (last >= minOffset && Number(buf.readBigInt64BE(at + MAX_TIMESTAMP)) >= ts) {
          found = Buffer.from(buf.subarray(at, at + size));
          foundPos = position;
          return false;
        }
        return true;
      });
      return found ? { position: foundPos, batch: found } : null;
    } finally {
      await this.endRead();
    }
  }

  /**
   * Makes `maxTimestamp` known without loading whole indexes: the last time-index entry holds it
   * (a final entry is written when a segment is rolled or closed, as in Kafka). Falls back to
   * loading (and if need be rebuilding) the indexes when the file is missing or torn.
   */
  async ensureMaxTimestamp(): Promise<void> {
    if (this.indexesLoaded || this.maxTimestampKnown) return;
    try {
      const fh = await this.io.open(this.timeIndex.path, 'r');
      try {
        const size = (await fh.stat()).size;
        if (size % TimeIndex.ENTRY_SIZE === 0) {
          if (size > 0) {
            const tail = Buffer.alloc(TimeIndex.ENTRY_SIZE);
            await readFully(fh, tail, 0, TimeIndex.ENTRY_SIZE, size - TimeIndex.ENTRY_SIZE);
            const ts = Number(tail.readBigInt64BE(0));
            if (ts > this.maxTimestamp) {
              this.maxTimestamp = ts;
              this.offsetOfMaxTimestamp = this.baseOffset + tail.readInt32BE(8);
            }
          }
          this.maxTimestampKnown = true;
          return;
        }
      } finally {
        await fh.close();
      }
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    await this.ensureIndexes();
  }

  /** Frees the indexes of an inactive, flushed segment (they reload on next use). */
  unloadIndexes(): void {
    if (!this.indexesLoaded || this.indexLoad || this.offsetIndex.dirty || this.timeIndex.dirty) return;
    this.maxTimestampKnown = true;
    this.indexesLoaded = false;
    this.offsetIndex.unload();
    this.timeIndex.unload();
  }

  /**
   * Loads both indexes if not yet in memory; rebuilds them from the log when a file is missing, torn
   * or fails the sanity check. Returns true when a rebuild happened.
   */
  ensureIndexes(): Promise<boolean> {
    if (this.indexesLoaded) return Promise.resolve(false);
    // Concurrent readers share one load (and at most one rebuild).
    this.indexLoad ??= this.loadIndexes().finally(() => {
      this.indexLoad = null;
    });
    return this.indexLoad;
  }

  private async loadIndexes(): Promise<boolean> {
    this.pendingReads++;
    try {
      return await this.loadIndexesNow();
    } finally {
      await this.endRead();
    }
  }

  private async loadIndexesNow(): Promise<boolean> {
    if (this.indexesLoaded) return false;
    const okOffsets = (await this.offsetIndex.load(this.io)) && this.offsetIndex.isSane(this.size);
    const okTimes = (await this.timeIndex.load(this.io)) && this.timeIndex.isSane();
    if (okOffsets && okTimes) {
      this.indexesLoaded = true;
      const last = this.timeIndex.lastEntry();
      if (last && last.timestamp > this.maxTimestamp) {
        this.maxTimestamp = last.timestamp;
        this.offsetOfMaxTimestamp = last.offset;
      }
      return false;
    }
    this.onIndexRebuild?.(
      [okOffsets ? null : this.offsetIndex.path, okTimes ? null : this.timeIndex.path].filter((p) => p !== null).join(' and ') +
        ' missing, torn or inconsistent',
    );
    await this.rebuild(false);
    return true;
  }

  /**
   * Re-validates every batch (length, magic, CRC-32C, increasing offsets) and rebuilds both indexes.
   * With `truncate`, the file is cut at the first bad batch (recovery of an unflushed tail); without,
   * the scan just stops there (index rebuild of an old segment).
   */
  rebuild(truncate: boolean): Promise<RecoveryResult> {
    return this.withHandle((fh) => this.rebuildWith(fh, truncate));
  }

  private async rebuildWith(fh: StorageFile, truncate: boolean): Promise<RecoveryResult> {
    // What is re-validated may be in the page cache only (a process crash): not known to be synced.
    this.unsynced = true;
    const fileSize = (await fh.stat()).size;
    this.offsetIndex.reset();
    this.timeIndex.reset();
    this.size = 0;
    this.nextOffset = this.baseOffset;
    this.maxTimestamp = -1;
    this.offsetOfMaxTimestamp = -1;
    this.firstBatchTimestamp = -1;
    this.bytesSinceLastIndexEntry = 0;
    let reason: string | null = null;
    let droppedOffset: number | null = null;
    const scanner = new BatchScanner(fh, fileSize, 1024 * 1024);
    const stop = await scanner.walk(0, true, (buf, at, position, size) => {
      const base = Number(buf.readBigInt64BE(at + BASE_OFFSET));
      const lastDelta = buf.readInt32BE(at + LAST_OFFSET_DELTA);
      let bad: string | null = null;
      if (buf.readInt8(at + MAGIC) !== 2) bad = `magic ${buf.readInt8(at + MAGIC)} (expected 2)`;
      else if (!crcMatches(buf, at)) bad = 'CRC-32C mismatch';
      else if (base < this.nextOffset) bad = `offset ${base} not above previous ${this.nextOffset - 1}`;
      else if (lastDelta < 0) bad = `negative lastOffsetDelta ${lastDelta}`;
      if (bad) {
        reason = `${bad} at position ${position}`;
        droppedOffset = base;
        return false;
      }
      this.recordBatch(size, position, base + lastDelta, Number(buf.readBigInt64BE(at + MAX_TIMESTAMP)));
      return true;
    });
    if (scanner.stoppedOn === 'torn') {
      reason = `incomplete batch at position ${stop} (${fileSize - stop} bytes)`;
      if (fileSize - stop >= 8) {
        const head = Buffer.alloc(8);
        await readFully(fh, head, 0, 8, stop);
        droppedOffset = Number(head.readBigInt64BE(0));
      }
    }
    const truncatedBytes = fileSize - stop;
    if (truncate && truncatedBytes > 0) await fh.truncate(stop);
    this.indexesLoaded = true;
    await this.offsetIndex.flush(this.io, false);
    await this.timeIndex.flush(this.io, false);
    return { validBytes: stop, truncatedBytes, reason: truncatedBytes > 0 ? reason : null, firstDroppedOffset: truncatedBytes > 0 ? droppedOffset : null };
  }

  /**
   * Loads state of a segment that was cleanly closed (or lies before the recovery point): size from the
   * file; for the last segment the next offset by scanning headers after the last index entry.
   */
  async loadClean(isLast: boolean): Promise<void> {
    if (!isLast) {
      // stat, not open: old segments keep no file descriptor until they are read.
      this.size = (await this.io.stat(this.logPath)).size;
      return;
    }
    await this.withHandle((fh) => this.loadActive(fh));
  }

  private async loadActive(fh: StorageFile): Promise<void> {
    this.size = (await fh.stat()).size;
    await this.ensureIndexes();
    const last = this.offsetIndex.lastEntry();
    const start = last ? last.position : 0;
    const scanner = new BatchScanner(fh, this.size);
    let next = last ? last.offset + 1 : this.baseOffset;
    let bytesSince = 0;
    const end = await scanner.walk(start, false, (buf, at, _position, size) => {
      next = Number(buf.readBigInt64BE(at + BASE_OFFSET)) + buf.readInt32BE(at + LAST_OFFSET_DELTA) + 1;
      const ts = Number(buf.readBigInt64BE(at + MAX_TIMESTAMP));
      if (ts > this.maxTimestamp) {
        this.maxTimestamp = ts;
        this.offsetOfMaxTimestamp = next - 1;
      }
      bytesSince += size;
      return true;
    });
    if (end !== this.size) {
      // A clean shutdown never leaves a torn tail; if it is there anyway, recover instead of guessing.
      throw new Error(`segment ${this.logPath} has an incomplete batch at ${end} despite a clean shutdown`);
    }
    this.nextOffset = next;
    this.bytesSinceLastIndexEntry = bytesSince;
    if (this.size > 0) {
      const head = Buffer.alloc(43);
      if ((await readFully(fh, head, 0, 43, 0)) === 43) this.firstBatchTimestamp = Number(head.readBigInt64BE(MAX_TIMESTAMP));
    }
  }

  /** Called when a newer segment takes over: final time index entry (Kafka does the same), flush. */
  async onBecomeInactive(sync: boolean): Promise<void> {
    if (this.maxTimestamp >= 0) this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
    await this.flush(sync);
  }

  /** Writes pending index entries; with `sync`, fdatasyncs log and indexes. */
  async flush(sync: boolean): Promise<void> {
    if (this.indexesLoaded) {
      await this.offsetIndex.flush(this.io, sync);
      await this.timeIndex.flush(this.io, sync);
    }
    if (sync) await this.syncLog();
  }

  /**
   * fdatasync of the log file only: acks with fsync=always and the periodic flush. Index files are
   * not synced on the hot path (as in Kafka): they are written at roll and close, and recovery
   * rebuilds the indexes of every segment from the recovery point on.
   */
  async syncLog(): Promise<void> {
    // Nothing written since the last sync: no fsync (and no reopen of an evicted handle). Otherwise
    // fdatasync through whichever handle is open: it flushes the file's pages whoever wrote them.
    if (!this.unsynced) return;
    this.unsynced = false;
    try {
      await this.withHandle((fh) => fh.datasync());
    } catch (e) {
      this.unsynced = true;
      throw e;
    }
  }

  /** Cuts the segment back to `size` bytes (after a failed write whose truncation also failed). */
  truncateTo(size: number): Promise<void> {
    return this.withHandle((fh) => fh.truncate(size));
  }

  async closeHandle(): Promise<void> {
    const f = this.file;
    this.file = null;
    this.budget?.forget(this);
    if (f) await f.close().catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.closeHandle();
  }

  /** Removes the segment's files; an in-flight read finishes on its open handle first. */
  async delete(): Promise<void> {
    this.deleted = true;
    for (const p of [this.logPath, this.offsetIndex.path, this.timeIndex.path]) {
      await this.io.unlink(p).catch((e) => {
        if (!isNotFound(e)) throw e;
      });
    }
    if (this.pendingReads === 0) await this.closeHandle();
  }
}
