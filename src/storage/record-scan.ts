import {
  BASE_OFFSET,
  BASE_TIMESTAMP,
  RECORDS_START,
  RECORD_COUNT,
  batchSize,
  compression,
} from '../protocol/records/batch-header.ts';
import { readVarint, readVarlong } from '../protocol/primitives/varint.ts';

/**
 * The first record of an uncompressed batch with timestamp >= ts and offset >= minOffset, reading only
 * each record's length, timestamp delta and offset delta (no record objects). Null for a compressed
 * batch (its records would need decompressing) or when no record qualifies or the batch is malformed.
 */
export function findRecordAtOrAfter(batch: Buffer, ts: number, minOffset: number): { offset: number; timestamp: number } | null {
  if (compression(batch) !== 0) return null;
  const base = Number(batch.readBigInt64BE(BASE_OFFSET));
  const baseTs = Number(batch.readBigInt64BE(BASE_TIMESTAMP));
  const count = batch.readInt32BE(RECORD_COUNT);
  const end = batchSize(batch);
  const cursor = { pos: RECORDS_START };
  try {
    for (let i = 0; i < count && cursor.pos < end; i++) {
      const len = readVarint(batch, cursor);
      const next = cursor.pos + len;
      cursor.pos += 1; // attributes
      const tsDelta = readVarlong(batch, cursor);
      const offDelta = readVarint(batch, cursor);
      const recTs = baseTs + tsDelta;
      const off = base + offDelta;
      if (recTs >= ts && off >= minOffset) return { offset: off, timestamp: recTs };
      cursor.pos = next;
    }
  } catch {
    return null;
  }
  return null;
}
