import { TransactionIndex } from './transaction-index.ts';
import { join } from 'node:path';
import type { FsyncMode } from './durability.ts';
import { StorageError, storageFailure } from './errors.ts';
import type { FileHandleBudget } from './file-handle-budget.ts';
import type { StorageIO } from './io.ts';
import { syncDir } from './io.ts';
import { LogSegment, segmentFileName } from './log-segment.ts';
import { BatchScanner } from './batch-scanner.ts';
import { BASE_OFFSET, LAST_OFFSET_DELTA } from '../protocol/records/batch-header.ts';
import { LogSegments } from './log-segments.ts';
import type { StorageLogger } from './logger.ts';
import type { ProducerStateManager } from './producer-state.ts';
import { loadProducerState } from './producer-snapshots.ts';

/** What the last run left behind, from the log manager's checkpoint files. */
export interface LoadState {
  /** A clean-shutdown marker was found: trust the files, skip validation. */
  clean: boolean;
  /** Offsets below this are known flushed (recovery-point-offset-checkpoint), if known. */
  recoveryPoint?: number;
  /** Persisted logStartOffset (log-start-offset-checkpoint), if known. */
  logStartOffset?: number;
}

export interface LogLoadParams {
  io: StorageIO;
  dir: string;
  /** `<topic>-<partition>`, for messages. */
  name: string;
  indexIntervalBytes: number;
  nowMs: number;
  logger: StorageLogger;
  fsyncMode: FsyncMode;
  state: LoadState;
  /** The broker's bound on open segment files. */
  handles?: FileHandleBudget;
}

/** The loaded state of a partition (Kafka's LoadedLogOffsets plus the segments and producer state). */
export interface LoadedLog {
  segments: LogSegments;
  logStartOffset: number;
  logEndOffset: number;
  recoveryPoint: number;
  producerState: ProducerStateManager;
  txnIndex: TransactionIndex;
}

const STRAY_SUFFIXES = ['.cleaned', '.deleted', '.swap', '.tmp'];

/** Logs index rebuilds of `seg` (damaged or missing index files found when loading them). */
export function watchIndexRebuilds(seg: LogSegment, name: string, logger: StorageLogger): LogSegment {
  seg.onIndexRebuild = (why) => logger.warn(`${name}: rebuilding the indexes of segment ${seg.baseOffset} from its log: ${why}`);
  return seg;
}

/**
 * Kafka's LogLoader: opens (creating if needed) the partition directory, removes leftovers of cut-short
 * operations, and loads its segments. Without a clean shutdown, every segment from the one holding the
 * recovery point on is re-validated batch by batch, cut at the first torn or corrupt batch, and its
 * indexes are rebuilt from the log (index files are never fsynced on the hot path, so only a scan
 * makes them trustworthy after a crash). On failure every file it opened is closed again.
 */
export async function loadLog(p: LogLoadParams): Promise<LoadedLog> {
  const opened: LogSegment[] = [];
  try {
    return await loadSegments(p, opened);
  } catch (e) {
    for (const seg of opened) await seg.close();
    if (e instanceof StorageError) throw e;
    throw storageFailure('loading partition', p.dir, e);
  }
}

/**
 * Finishes compaction swaps a crash cut short (Kafka's LogLoader swap recovery). A `<base>.log.swap`
 * is complete (it is fsynced as `.cleaned` before being renamed), so it wins: every segment whose base
 * offset lies in the swap's range [base, its last offset + 1) is one it replaces (the cleaner ends a
 * cleaned segment exactly where its group ended: segment-groups.ts rangeEndBatch) and is deleted; then
 * the swap is renamed into place. Its indexes are rebuilt on first use.
 */
async function completeSwaps(p: LogLoadParams, names: string[]): Promise<string[]> {
  const { io, dir, name, logger } = p;
  const swaps = names.filter((f) => /^\d{20}\.log\.swap$/.test(f));
  if (swaps.length === 0) return names;
  for (const swap of swaps.sort()) {
    const base = Number(swap.slice(0, 20));
    // The cleaner renames a swap over its first segment's .log, which it never deletes before: a swap
    // without that .log, or without a whole batch, is no cut-short swap (removed as a stray below).
    if (!names.includes(segmentFileName(base, '.log'))) continue;
    const fh = await io.open(join(dir, swap), 'r');
    let end = base;
    try {
      const size = (await fh.stat()).size;
      await new BatchScanner(fh, size, 1024 * 1024).walk(0, false, (buf, at) => {
        end = Number(buf.readBigInt64BE(at + BASE_OFFSET)) + buf.readInt32BE(at + LAST_OFFSET_DELTA) + 1;
        return true;
      });
    } finally {
      await fh.close();
    }
    if (end === base) continue;
    const replaced = new Set<number>();
    for (const file of await io.readdir(dir)) {
      const m = /^(\d{20})\.(log|index|timeindex|txnindex)$/.exec(file);
      if (!m) continue;
      const b = Number(m[1]);
      // The swap's own base keeps its .txnindex (written for the merged range before the swap).
      if (b === base && m[2] === 'txnindex') continue;
      if (b === base || (b > base && b < end)) {
        replaced.add(b);
        await io.rm(join(dir, file), { force: true });
      }
    }
    await io.rename(join(dir, swap), join(dir, segmentFileName(base, '.log')));
    logger.warn(`${name}: completed an interrupted compaction swap: ${swap} replaces ${replaced.size} segment(s) in offsets ${base}-${end - 1}`);
  }
  await syncDir(io, dir);
  return io.readdir(dir);
}

async function loadSegments(p: LogLoadParams, opened: LogSegment[]): Promise<LoadedLog> {
  const { io, dir, name, logger, state } = p;
  await io.mkdir(dir, { recursive: true });
  const names = await completeSwaps(p, await io.readdir(dir));
  const bases: number[] = [];
  for (const file of names) {
    if (STRAY_SUFFIXES.some((s) => file.endsWith(s))) {
      logger.warn(`${name}: deleting leftover file ${file}`);
      await io.rm(join(dir, file), { force: true, recursive: true });
      continue;
    }
    const m = /^(\d{20})\.(log|index|timeindex)$/.exec(file);
    if (m && m[2] === 'log') bases.push(Number(m[1]));
  }
  // Index files without their log are leftovers of a deletion (or a merge) cut short.
  for (const file of names) {
    const m = /^(\d{20})\.(index|timeindex|txnindex)$/.exec(file);
    if (m && !bases.includes(Number(m[1]))) await io.rm(join(dir, file), { force: true });
  }
  bases.sort((a, b) => a - b);
  const list: LogSegment[] = [];
  const track = (seg: LogSegment): LogSegment => {
    opened.push(seg);
    return watchIndexRebuilds(seg, name, logger);
  };
  if (bases.length === 0) {
    list.push(track(await LogSegment.create(io, dir, state.logStartOffset ?? 0, p.indexIntervalBytes, p.nowMs, p.handles)));
  } else {
    for (const b of bases) list.push(track(new LogSegment(io, dir, b, p.indexIntervalBytes, p.nowMs, p.handles)));
  }
  // Which segments need validation: all from the one containing the recovery point.
  let firstToRecover = list.length;
  if (!state.clean) {
    firstToRecover = 0;
    if (state.recoveryPoint !== undefined) {
      for (let i = 0; i < list.length; i++) if (list[i]!.baseOffset <= state.recoveryPoint) firstToRecover = i;
    }
  }
  for (let i = 0; i < list.length; i++) {
    const seg = list[i]!;
    const isLast = i === list.length - 1;
    if (i < firstToRecover) {
      try {
        await seg.loadClean(isLast);
        continue;
      } catch (e) {
        if (!isLast) throw e;
        logger.warn(`${name}: ${(e as Error).message}; recovering the segment`);
      }
    }
    if (i > firstToRecover && seg.baseOffset > list[i - 1]!.nextOffset) {
      // Data below this segment was lost (a power loss dropped a rolled segment's unsynced tail while
      // the next file, created at the roll, survived): offsets would jump, and an empty trailing
      // segment would put the log end past data that does not exist. Keep the contiguous prefix.
      const end = list[i - 1]!.nextOffset;
      const later = list.splice(i);
      logger.warn(
        `${name}: recovery found offsets ${end}-${seg.baseOffset - 1} missing; deleting ${later.length} later segment(s) from offset ${seg.baseOffset}; log now ends at offset ${end}`,
      );
      for (const s of later) await s.delete();
      break;
    }
    const r = await seg.rebuild(true);
    if (r.truncatedBytes > 0) {
      logger.warn(
        `${name}: recovery truncated ${r.truncatedBytes} bytes of ${seg.logPath} at position ${r.validBytes}` +
          ` (${r.reason}); dropped offsets from ${r.firstDroppedOffset ?? seg.nextOffset}; log now ends at offset ${seg.nextOffset}`,
      );
      // Anything after a corrupt batch is unreachable by offset order: drop later segments too.
      const later = list.splice(i + 1);
      for (const s of later) {
        logger.warn(`${name}: deleting segment ${s.logPath} after the corrupt point`);
        await s.delete();
      }
    }
  }
  // Old segments loaded without a scan end where the next one begins.
  for (let i = 0; i < list.length - 1; i++) {
    const seg = list[i]!;
    if (seg.nextOffset === seg.baseOffset && seg.size > 0) seg.nextOffset = list[i + 1]!.baseOffset;
  }
  const segments = new LogSegments(list);
  const logEndOffset = segments.active.nextOffset;
  // Recovered data is not fsynced here (that would cost three fsyncs per partition at start); the
  // recovery point stays where it was, so a second crash re-validates the same segments.
  if (!state.clean && p.fsyncMode === 'always') {
    // fsync=always promises that everything below the recovery point is on disk: make it so.
    for (const seg of list.slice(firstToRecover)) await seg.flush(true);
  }
  const recoveryPoint =
    state.clean || p.fsyncMode === 'always'
      ? logEndOffset
      : Math.min(logEndOffset, firstToRecover < list.length ? list[firstToRecover]!.baseOffset : logEndOffset);
  const first = segments.first.baseOffset;
  const logStartOffset = Math.min(Math.max(state.logStartOffset ?? first, first), logEndOffset);
  // Aborted transactions (.txnindex per segment) first: replaying markers after the snapshot adds any
  // entry a crash kept from being written.
  const txnIndex = new TransactionIndex(io, dir);
  await txnIndex.load(list.map((sg) => sg.baseOffset));
  txnIndex.truncateFrom(logEndOffset);
  const producerState = await loadProducerState({ io, dir, name, logger, names, clean: state.clean, segments, logEndOffset, txnIndex });
  for (const seg of segments.inactive) await seg.releaseHandle();
  return { segments, logStartOffset, logEndOffset, recoveryPoint, producerState, txnIndex };
}
