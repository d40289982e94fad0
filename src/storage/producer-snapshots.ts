import { join } from 'node:path';
import {
  BASE_OFFSET,
  baseSequence as headerBaseSequence,
  isControl,
  lastOffsetDelta,
  maxTimestamp as headerMaxTimestamp,
  producerEpoch as headerProducerEpoch,
  producerId as headerProducerId,
  recordCount as headerRecordCount,
} from '../protocol/records/batch-header.ts';
import { BatchScanner } from './batch-scanner.ts';
import type { StorageIO } from './io.ts';
import { isNotFound, writeFileAtomic } from './io.ts';
import type { LogSegments } from './log-segments.ts';
import { segmentFileName } from './log-segment.ts';
import type { StorageLogger } from './logger.ts';
import { ProducerStateError, ProducerStateManager, lastSequenceOf } from './producer-state.ts';

/**
 * Producer-state snapshot files beside a partition's segments (`<offset>.snapshot`, as Kafka names
 * them): written at every roll and at a clean close, read back at start.
 */
export function snapshotPath(dir: string, offset: number): string {
  return join(dir, segmentFileName(offset, '.log').replace(/\.log$/, '.snapshot'));
}

/** Offsets of the snapshot files among `names`, newest first. */
export function snapshotOffsets(names: readonly string[]): number[] {
  return names
    .map((n) => /^(\d{20})\.snapshot$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => b - a);
}

/** Writes already-serialized producer state as `<offset>.snapshot`, then keeps only the newest two. */
export async function writeProducerSnapshot(io: StorageIO, dir: string, offset: number, data: Buffer): Promise<void> {
  await writeFileAtomic(io, snapshotPath(dir, offset), data);
  await pruneSnapshots(io, dir);
}

export async function pruneSnapshots(io: StorageIO, dir: string, keep = 2): Promise<void> {
  for (const old of snapshotOffsets(await io.readdir(dir)).slice(keep)) await io.rm(snapshotPath(dir, old), { force: true });
}

/**
 * Producer state at start: the newest readable snapshot at or below the log end, then the batches
 * after it replayed from their headers. Without a usable snapshot only the last two segments are
 * replayed (a producer without state is accepted at any sequence, as in Kafka).
 */
export async function loadProducerState(opts: {
  io: StorageIO;
  dir: string;
  name: string;
  logger: StorageLogger;
  names: readonly string[];
  clean: boolean;
  segments: LogSegments;
  logEndOffset: number;
}): Promise<ProducerStateManager> {
  const { io, dir, segments, logEndOffset } = opts;
  let state = new ProducerStateManager();
  const snaps = snapshotOffsets(opts.names);
  let from = segments.at(Math.max(0, segments.count - 2))!.baseOffset;
  for (const off of snaps) {
    if (off > logEndOffset) {
      // Written before a crash that lost the log tail it describes.
      await io.rm(snapshotPath(dir, off), { force: true });
      continue;
    }
    try {
      const loaded = ProducerStateManager.deserialize(await io.readFile(snapshotPath(dir, off)));
      state = loaded.state;
      from = loaded.nextOffset;
      break;
    } catch (e) {
      if (isNotFound(e)) continue;
      if (!(e instanceof ProducerStateError)) throw e;
      opts.logger.warn(`${opts.name}: ignoring producer snapshot ${off}: ${e.message}`);
    }
  }
  if (snaps.length === 0 && opts.clean) return state; // a clean close snapshots whenever there is state
  from = Math.max(from, segments.first.baseOffset);
  if (from >= logEndOffset) return state;
  for (let i = segments.indexFor(from); i < segments.count; i++) {
    const seg = segments.at(i)!;
    await seg.ensureIndexes();
    await seg.withHandle((fh) => new BatchScanner(fh, seg.size).walk(seg.offsetIndex.lookupPosition(from), false, (buf, at) => {
      const base = Number(buf.readBigInt64BE(at + BASE_OFFSET));
      if (base < from) return true;
      const pid = headerProducerId(buf, at);
      if (pid >= 0n && !isControl(buf, at)) {
        const seq = headerBaseSequence(buf, at);
        state.record(
          pid, headerProducerEpoch(buf, at), seq, lastSequenceOf(seq, headerRecordCount(buf, at)),
          base, base + lastOffsetDelta(buf, at), headerMaxTimestamp(buf, at),
        );
      }
      return true;
    }));
  }
  return state;
}
