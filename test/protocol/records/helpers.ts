import { createRequire } from 'node:module';
import * as H from '../../../src/protocol/records/batch-header.ts';
import { crc32c } from '../../../src/protocol/records/crc32c.ts';
import { RecordValidationError, type RecordErrorCode } from '../../../src/protocol/records/errors.ts';
import { writeVarint, writeVarlong } from '../../../src/protocol/primitives/varint.ts';
import { expect } from 'vitest';

/** CommonJS packages used as independent references (kafkajs internals, lz4js, crc-32). */
export const requireCjs = createRequire(import.meta.url);

export interface RawBatchOptions {
  count?: number;
  lastOffsetDelta?: number;
  attributes?: number;
  baseTimestamp?: number;
  maxTimestamp?: number;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  magic?: number;
}

/** A batch around an arbitrary records region, with a correct CRC: lets tests reach the record parser. */
export function rawBatch(region: Buffer, o: RawBatchOptions = {}): Buffer {
  const count = o.count ?? 1;
  const buf = Buffer.alloc(H.RECORDS_START + region.length);
  buf.writeBigInt64BE(0n, H.BASE_OFFSET);
  buf.writeInt32BE(buf.length - H.LOG_OVERHEAD, H.BATCH_LENGTH);
  buf.writeInt32BE(-1, H.PARTITION_LEADER_EPOCH);
  buf.writeInt8(o.magic ?? 2, H.MAGIC);
  buf.writeInt16BE(o.attributes ?? 0, H.ATTRIBUTES);
  buf.writeInt32BE(o.lastOffsetDelta ?? count - 1, H.LAST_OFFSET_DELTA);
  buf.writeBigInt64BE(BigInt(o.baseTimestamp ?? 1000), H.BASE_TIMESTAMP);
  buf.writeBigInt64BE(BigInt(o.maxTimestamp ?? 1000), H.MAX_TIMESTAMP);
  buf.writeBigInt64BE(o.producerId ?? -1n, H.PRODUCER_ID);
  buf.writeInt16BE(o.producerEpoch ?? -1, H.PRODUCER_EPOCH);
  buf.writeInt32BE(o.baseSequence ?? -1, H.BASE_SEQUENCE);
  buf.writeInt32BE(count, H.RECORD_COUNT);
  region.copy(buf, H.RECORDS_START);
  fixCrc(buf);
  return buf;
}

export function fixCrc(batch: Buffer, at = 0): Buffer {
  batch.writeUInt32BE(crc32c(batch, at + H.ATTRIBUTES, at + H.batchSize(batch, at)), at + H.CRC);
  return batch;
}

/** Hand-written record bytes: each element is a zigzag varint, a varlong (as {long}), or raw bytes. */
export function recordBytes(...parts: (number | { long: number } | { raw: Buffer | string })[]): Buffer {
  const tmp = Buffer.alloc(4096);
  let pos = 0;
  for (const p of parts) {
    if (typeof p === 'number') pos = writeVarint(tmp, pos, p);
    else if ('long' in p) pos = writeVarlong(tmp, pos, p.long);
    else {
      const b = typeof p.raw === 'string' ? Buffer.from(p.raw) : p.raw;
      b.copy(tmp, pos);
      pos += b.length;
    }
  }
  return Buffer.from(tmp.subarray(0, pos));
}

/** A record body (without its length) prefixed by its correct length. */
export function withLength(body: Buffer): Buffer {
  return Buffer.concat([recordBytes(body.length), body]);
}

export function expectRecordError(fn: () => unknown, code: RecordErrorCode, message?: RegExp): RecordValidationError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected a RecordValidationError').toBeInstanceOf(RecordValidationError);
  const e = caught as RecordValidationError;
  expect(e.errorCode).toBe(code);
  if (message) expect(e.message).toMatch(message);
  return e;
}

export async function expectRecordErrorAsync(p: Promise<unknown>, code: RecordErrorCode): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RecordValidationError);
  expect((err as RecordValidationError).errorCode).toBe(code);
}
