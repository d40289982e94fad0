import { BASE_OFFSET, LAST_OFFSET_DELTA, MAGIC, MAX_TIMESTAMP, crcMatches } from '../protocol/records/batch-header.ts';
import { BatchScanner } from './batch-scanner.ts';
import type { PartitionLog } from './partition-log.ts';

/**
 * Full consistency check of one partition, for tests and tools (reads every byte): every batch is
 * whole, magic 2, CRC-32C valid; offsets run on without gaps across batches and segments; each
 * offset-index entry points at the start of the batch whose last offset it names; time-index entries
 * never decrease and stay within the segment; the log end and high watermark match the data.
 * Returns the problems found (empty when consistent).
 */
export async function verifyPartition(log: PartitionLog): Promise<string[]> {
  const problems: string[] = [];
  const segs = log.segmentList;
  const compacted = log.config.cleanupPolicy.includes('compact');
  let expected = segs[0]?.baseOffset ?? 0;
  for (const seg of segs) {
    const name = `${log.name}/${seg.baseOffset}`;
    if (compacted ? seg.baseOffset < expected : seg.baseOffset !== expected) problems.push(`${name}: segment starts at ${seg.baseOffset}, previous data ended at ${expected}`);
    await seg.ensureIndexes();
    const starts = new Map<number, number>(); // position → last offset
    let maxTs = -1;
    const end = await seg.withHandle((fh) => new BatchScanner(fh, seg.size).walk(0, true, (buf, at, position) => {
      const base = Number(buf.readBigInt64BE(at + BASE_OFFSET));
      const last = base + buf.readInt32BE(at + LAST_OFFSET_DELTA);
      if (buf.readInt8(at + MAGIC) !== 2) problems.push(`${name}@${position}: magic ${buf.readInt8(at + MAGIC)}`);
      if (!crcMatches(buf, at)) problems.push(`${name}@${position}: CRC mismatch`);
      // Compaction leaves gaps (offsets of removed records); otherwise offsets run on exactly.
      if (compacted ? base < expected : base !== expected) problems.push(`${name}@${position}: batch starts at offset ${base}, expected ${expected}`);
      starts.set(position, last);
      maxTs = Math.max(maxTs, Number(buf.readBigInt64BE(at + MAX_TIMESTAMP)));
      expected = last + 1;
      return true;
    }));
    if (end !== seg.size) problems.push(`${name}: incomplete batch at ${end} (segment size ${seg.size})`);
    const oi = seg.offsetIndex;
    for (let i = 0; i < oi.entries; i++) {
      const off = oi.baseOffset + oi.relativeOffsetAt(i);
      const pos = oi.positionAt(i);
      if (starts.get(pos) !== off) problems.push(`${name}: offset index entry ${i} (${off} @ ${pos}) does not name a batch`);
    }
    const ti = seg.timeIndex;
    let prev = -Infinity;
    for (let i = 0; i < ti.entries; i++) {
      const ts = ti.timestampAt(i);
      const off = ti.baseOffset + ti.relativeOffsetAt(i);
      if (ts < prev) problems.push(`${name}: time index entry ${i} goes back in time`);
      if (ts > maxTs) problems.push(`${name}: time index entry ${i} (${ts}) above the segment's largest timestamp ${maxTs}`);
      if (off < seg.baseOffset || off >= Math.max(expected, seg.nextOffset)) problems.push(`${name}: time index entry ${i} offset ${off} outside the segment`);
      prev = ts;
    }
  }
  if (log.logEndOffset !== expected) problems.push(`${log.name}: log end offset ${log.logEndOffset}, data ends at ${expected}`);
  if (log.highWatermark > log.logEndOffset) problems.push(`${log.name}: high watermark ${log.highWatermark} above log end ${log.logEndOffset}`);
  if (log.logStartOffset < (segs[0]?.baseOffset ?? 0) || log.logStartOffset > log.logEndOffset) {
    problems.push(`${log.name}: log start offset ${log.logStartOffset} outside [${segs[0]?.baseOffset}, ${log.logEndOffset}]`);
  }
  return problems;
}
