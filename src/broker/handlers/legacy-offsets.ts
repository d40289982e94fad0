import type { PartitionLog } from '../../storage/partition-log.ts';

const LATEST = -1;
const EARLIEST = -2;

/**
 * ListOffsets v0's answer ("old-style offsets"), as Kafka 3.9's UnifiedLog.legacyFetchOffsetsBefore and
 * Partition.legacyFetchOffsetsForTimestamp compute it: the candidate offsets are each segment's base
 * offset (raised to the log start offset) and, when the active segment holds data, the log end offset.
 * -1 (latest) starts from the last candidate, -2 (earliest) from the first, a timestamp from the last
 * segment whose time is <= it; up to `maxNumOffsets` candidates from there backwards, in descending
 * order. For a consumer, offsets above the high watermark are replaced by the high watermark.
 *
 * A segment's time is Kafka's file modification time; here it is the segment's largest record
 * timestamp (what the time index knows, and not changed by copying or recovering a data dir), 0 for
 * a segment without records, and now() for the log end.
 */
export function legacyOffsetsBefore(log: PartitionLog, timestamp: number, maxNumOffsets: number, nowMs: number): bigint[] {
  const segments = log.segmentList;
  const candidates: { offset: number; time: number }[] = segments.map((s) => ({
    offset: Math.max(s.baseOffset, log.logStartOffset),
    time: Math.max(s.maxTimestamp, 0),
  }));
  const last = segments[segments.length - 1];
  if (last !== undefined && last.size > 0) candidates.push({ offset: log.logEndOffset, time: nowMs });
  let start: number;
  if (timestamp === LATEST) start = candidates.length - 1;
  else if (timestamp === EARLIEST) start = 0;
  else {
    start = candidates.length - 1;
    while (start >= 0 && candidates[start]!.time > timestamp) start--;
  }
  const offsets: number[] = [];
  for (let i = start; i >= 0 && offsets.length < Math.max(0, maxNumOffsets); i--) offsets.push(candidates[i]!.offset);
  offsets.sort((a, b) => b - a);
  // A consumer never sees offsets past the high watermark.
  const hw = log.highWatermark;
  const capped = offsets.some((o) => o > hw) ? [hw, ...dropWhileAbove(offsets, hw)] : offsets;
  return capped.map((o) => BigInt(o));
}

function dropWhileAbove(sortedDesc: number[], limit: number): number[] {
  let i = 0;
  while (i < sortedDesc.length && sortedDesc[i]! > limit) i++;
  return sortedDesc.slice(i);
}
