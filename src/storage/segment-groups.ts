import {
  ATTRIBUTES,
  BASE_OFFSET,
  BASE_SEQUENCE,
  BASE_TIMESTAMP,
  BATCH_LENGTH,
  CRC,
  LAST_OFFSET_DELTA,
  LOG_OVERHEAD,
  MAGIC,
  MAX_TIMESTAMP,
  PARTITION_LEADER_EPOCH,
  PRODUCER_EPOCH,
  PRODUCER_ID,
  RECORDS_START,
  RECORD_COUNT,
  TIMESTAMP_TYPE_BIT,
  computeCrc,
} from '../protocol/records/batch-header.ts';
import type { LogSegment } from './log-segment.ts';

/**
 * How the cleaner merges adjacent segments while compacting (Kafka's LogCleaner.groupSegmentsBySize):
 * a compacted log whose old segments each shrink to a few live keys would otherwise keep one small
 * (often empty) file per rolled segment forever — each one opened, its indexes rebuilt, and read at
 * every start. Consecutive segments form one group while their summed current sizes stay within
 * segment.bytes, their summed index sizes within segment.index.bytes, and the group's offsets fit the
 * indexes' 32-bit relative offsets; each group is rewritten as one segment at the group's first base.
 */

/** Bytes of index entries a segment holds at most: one entry per index.interval.bytes, plus the final one. */
function indexBytesBound(seg: LogSegment, indexIntervalBytes: number, entrySize: number): number {
  const loaded = Math.max(seg.offsetIndex.sizeInBytes, seg.timeIndex.sizeInBytes);
  const bound = (Math.floor(seg.size / Math.max(1, indexIntervalBytes)) + 1) * entrySize;
  return Math.max(loaded, bound);
}

export interface GroupLimits {
  /** segment.bytes. */
  maxBytes: number;
  /** segment.index.bytes. */
  maxIndexBytes: number;
  indexIntervalBytes: number;
}

/** The time index has the larger entries (12 bytes: timestamp + relative offset). */
const TIME_INDEX_ENTRY = 12;

export function groupSegmentsBySize(segments: readonly LogSegment[], limits: GroupLimits): LogSegment[][] {
  const groups: LogSegment[][] = [];
  let i = 0;
  while (i < segments.length) {
    const first = segments[i]!;
    const group = [first];
    let bytes = first.size;
    let indexBytes = indexBytesBound(first, limits.indexIntervalBytes, TIME_INDEX_ENTRY);
    i++;
    while (i < segments.length) {
      const next = segments[i]!;
      const nextIndex = indexBytesBound(next, limits.indexIntervalBytes, TIME_INDEX_ENTRY);
      if (bytes + next.size > limits.maxBytes) break;
      if (indexBytes + nextIndex > limits.maxIndexBytes) break;
      // An empty segment adds no offsets; otherwise the merged segment's last offset must stay
      // within 2^31 - 1 of its base (relative offsets in the index are 32-bit).
      if (next.size > 0 && next.nextOffset - 1 - first.baseOffset > 0x7fffffff) break;
      group.push(next);
      bytes += next.size;
      indexBytes += nextIndex;
      i++;
    }
    groups.push(group);
  }
  return groups;
}

/**
 * An empty batch (no records) whose last offset is `lastOffset`: written at the end of a cleaned
 * segment whose last batches were all removed, so the segment still ends where the group it replaces
 * ended. A scan of the file (crash recovery, an interrupted swap) then finds the offsets contiguous
 * with the next segment instead of a gap that looks like lost data, and a fetch past the removed
 * records moves on to the next segment. Kafka consumers skip record-less batches (the cleaner keeps
 * such batches for idempotent producers too). It carries no producer: producer state ignores it.
 */
export function rangeEndBatch(lastOffset: number, maxTimestamp: number, leaderEpoch: number, logAppendTime: boolean): Buffer {
  const out = Buffer.alloc(RECORDS_START);
  out.writeBigInt64BE(BigInt(lastOffset), BASE_OFFSET);
  out.writeInt32BE(out.length - LOG_OVERHEAD, BATCH_LENGTH);
  out.writeInt32BE(leaderEpoch, PARTITION_LEADER_EPOCH);
  out.writeInt8(2, MAGIC);
  out.writeInt16BE(logAppendTime ? TIMESTAMP_TYPE_BIT : 0, ATTRIBUTES);
  out.writeInt32BE(0, LAST_OFFSET_DELTA);
  const ts = BigInt(maxTimestamp < 0 ? -1 : maxTimestamp);
  out.writeBigInt64BE(ts, BASE_TIMESTAMP);
  out.writeBigInt64BE(ts, MAX_TIMESTAMP);
  out.writeBigInt64BE(-1n, PRODUCER_ID);
  out.writeInt16BE(-1, PRODUCER_EPOCH);
  out.writeInt32BE(-1, BASE_SEQUENCE);
  out.writeInt32BE(0, RECORD_COUNT);
  out.writeUInt32BE(computeCrc(out), CRC);
  return out;
}
