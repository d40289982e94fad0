import { describe, expect, it } from 'vitest';
import * as H from '../../../src/protocol/records/batch-header.ts';
import { compress } from '../../../src/protocol/records/compression/index.ts';
import { RecordErrorCode } from '../../../src/protocol/records/errors.ts';
import { encodeRecordBatch, type RecordInput } from '../../../src/protocol/records/record-batch.ts';
import { encodeRecord } from '../../../src/protocol/records/record.ts';
import {
  checkSingleBatch,
  validateBatch,
  validateBatchAsync,
  validateProduceRecords,
  validateProduceRecordsAsync,
} from '../../../src/protocol/records/validate.ts';
import { expectRecordError, expectRecordErrorAsync, fixCrc, rawBatch, recordBytes, withLength } from './helpers.ts';

const T = 1_700_000_000_000;
const inputs: RecordInput[] = [30, 10, 50, 20].map((dt, i) => ({ key: `k${i}`, value: `v${i}`, timestamp: T + dt }));
const rec = (offsetDelta: number, timestampDelta = 0) =>
  encodeRecord({ offsetDelta, timestampDelta, key: null, value: Buffer.from('x'), headers: [] });

describe('validateBatch accepts good batches', () => {
  for (const compression of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const) {
    it(`${compression}: returns the summary the broker needs`, async () => {
      const batch = encodeRecordBatch({ compression, records: inputs, producerId: 77n, producerEpoch: 3, baseSequence: 10 });
      const want = {
        size: batch.length,
        recordCount: 4,
        lastOffsetDelta: 3,
        maxTimestamp: T + 50,
        baseTimestamp: T + 30,
        compression: H.compression(batch),
        timestampType: 0,
        producerId: 77n,
        producerEpoch: 3,
        baseSequence: 10,
        isTransactional: false,
        isControl: false,
      };
      expect(validateBatch(batch)).toEqual(want);
      expect(await validateBatchAsync(batch)).toEqual(want);
      expect(validateProduceRecords(batch)).toEqual(want);
      expect(await validateProduceRecordsAsync(batch)).toEqual(want);
    });
  }
  it('validates a batch inside a larger buffer at an offset', () => {
    const a = encodeRecordBatch({ records: inputs });
    const b = encodeRecordBatch({ records: inputs.slice(0, 2), compression: 'gzip' });
    const both = Buffer.concat([a, b]);
    expect(validateBatch(both, a.length).recordCount).toBe(2);
    expect(validateBatch(both, 0).recordCount).toBe(4);
  });
});

describe('validateBatch rejects bad batches with the Kafka error code', () => {
  const good = encodeRecordBatch({ records: inputs });

  it('CRC mismatch → CORRUPT_MESSAGE', () => {
    const bad = Buffer.from(good);
    bad[H.RECORDS_START + 3]! ^= 0x40;
    expectRecordError(() => validateBatch(bad), RecordErrorCode.CORRUPT_MESSAGE, /CRC/);
  });
  it('batch length past the buffer, negative, or too small → CORRUPT_MESSAGE', () => {
    expectRecordError(() => validateBatch(good.subarray(0, good.length - 2)), RecordErrorCode.CORRUPT_MESSAGE);
    for (const len of [-1, -(2 ** 31), 0, 48, 2 ** 31 - 1]) {
      const bad = Buffer.from(good);
      bad.writeInt32BE(len, H.BATCH_LENGTH);
      expectRecordError(() => validateBatch(bad), RecordErrorCode.CORRUPT_MESSAGE);
    }
    expectRecordError(() => validateBatch(Buffer.alloc(10)), RecordErrorCode.CORRUPT_MESSAGE);
    expectRecordError(() => validateBatch(good, good.length), RecordErrorCode.CORRUPT_MESSAGE);
  });
  it('wrong magic: 0/1 → INVALID_RECORD, others → CORRUPT_MESSAGE', () => {
    for (const [magic, code] of [
      [0, RecordErrorCode.INVALID_RECORD],
      [1, RecordErrorCode.INVALID_RECORD],
      [3, RecordErrorCode.CORRUPT_MESSAGE],
      [-1, RecordErrorCode.CORRUPT_MESSAGE],
    ] as const) {
      const bad = Buffer.from(good);
      bad.writeInt8(magic, H.MAGIC);
      expectRecordError(() => validateBatch(bad), code, /magic/);
    }
  });
  it('unknown codec or zstd when not allowed → UNSUPPORTED_COMPRESSION_TYPE', () => {
    const bad = fixCrc(Buffer.from(good));
    bad.writeInt16BE(5, H.ATTRIBUTES);
    expectRecordError(() => validateBatch(fixCrc(bad)), RecordErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
    const zstd = encodeRecordBatch({ records: inputs, compression: 'zstd' });
    expectRecordError(() => validateBatch(zstd, 0, { allowZstd: false }), RecordErrorCode.UNSUPPORTED_COMPRESSION_TYPE, /zstd/);
    expect(validateBatch(zstd, 0, { allowZstd: true }).recordCount).toBe(4);
  });
  it('record count and lastOffsetDelta disagree → INVALID_RECORD', () => {
    const region = Buffer.concat([rec(0), rec(1)]);
    expectRecordError(() => validateBatch(rawBatch(region, { count: 2, lastOffsetDelta: 2 })), RecordErrorCode.INVALID_RECORD, /lastOffsetDelta/);
    expectRecordError(() => validateBatch(rawBatch(region, { count: 3 })), RecordErrorCode.INVALID_RECORD);
    expectRecordError(() => validateBatch(rawBatch(region, { count: 1 })), RecordErrorCode.INVALID_RECORD, /bytes follow/);
    expectRecordError(() => validateBatch(rawBatch(region, { count: -1 })), RecordErrorCode.INVALID_RECORD, /negative/);
    expectRecordError(() => validateBatch(rawBatch(Buffer.alloc(0), { count: 0 })), RecordErrorCode.INVALID_RECORD, /no records/);
  });
  it('offset deltas other than 0,1,2,… → INVALID_RECORD', () => {
    expectRecordError(() => validateBatch(rawBatch(Buffer.concat([rec(0), rec(2)]), { count: 2 })), RecordErrorCode.INVALID_RECORD, /offset delta 2/);
    expectRecordError(() => validateBatch(rawBatch(Buffer.concat([rec(1), rec(2)]), { count: 2 })), RecordErrorCode.INVALID_RECORD, /offset delta 1/);
    expectRecordError(() => validateBatch(rawBatch(Buffer.concat([rec(0), rec(0)]), { count: 2 })), RecordErrorCode.INVALID_RECORD);
  });
  it('absurd record counts fail fast without allocating (2^31-1 records in 8 bytes)', () => {
    const bad = rawBatch(rec(0), { count: 2 ** 31 - 1 });
    expectRecordError(() => validateBatch(bad), RecordErrorCode.INVALID_RECORD, /cannot fit|lastOffsetDelta/);
    const sameDelta = rawBatch(rec(0), { count: 2 ** 31 - 1, lastOffsetDelta: 2 ** 31 - 2 });
    expectRecordError(() => validateBatch(sameDelta), RecordErrorCode.INVALID_RECORD, /cannot fit/);
    // Compressed: the count is checked against the decompression limit before inflating anything.
    const gz = rawBatch(compress(1, rec(0)), { count: 2 ** 31 - 1, lastOffsetDelta: 2 ** 31 - 2, attributes: 1 });
    expectRecordError(() => validateBatch(gz), RecordErrorCode.INVALID_RECORD, /cannot fit/);
  });
  it('malformed records inside a correctly checksummed batch → INVALID_RECORD', () => {
    const bodies = [
      recordBytes(-5), // negative record length
      withLength(recordBytes(0, { long: 0 }, 0, -3, -1, 0)), // negative key length
      withLength(recordBytes(0, { long: 0 }, 0, -1, 100, 0)), // value past the record
      Buffer.from([0x20, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), // bad varlong
      Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), // bad varint length
    ];
    for (const body of bodies) {
      const padded = Buffer.concat([body, Buffer.alloc(Math.max(0, 8 - body.length))]);
      expectRecordError(() => validateBatch(rawBatch(padded, { count: 1 })), RecordErrorCode.INVALID_RECORD);
    }
  });
  it('compressed records that do not parse, or do not decompress → INVALID_RECORD', () => {
    const garbage = compress(3, Buffer.from('this is not a record at all, just text'));
    expectRecordError(() => validateBatch(rawBatch(garbage, { count: 1, attributes: 3 })), RecordErrorCode.INVALID_RECORD);
    expectRecordError(() => validateBatch(rawBatch(Buffer.from('not gzip data'), { count: 1, attributes: 1 })), RecordErrorCode.INVALID_RECORD);
    const trailing = compress(4, Buffer.concat([rec(0), Buffer.from([1, 2, 3])]));
    expectRecordError(() => validateBatch(rawBatch(trailing, { count: 1, attributes: 4 })), RecordErrorCode.INVALID_RECORD, /bytes follow/);
  });
  it('compression bomb → MESSAGE_TOO_LARGE (sync and async)', async () => {
    const bomb = encodeRecordBatch({ compression: 'gzip', records: [{ value: Buffer.alloc(8 * 1024 * 1024) }] });
    expect(bomb.length).toBeLessThan(32 * 1024);
    const opts = { maxDecompressedBytes: 1024 * 1024 };
    expectRecordError(() => validateBatch(bomb, 0, opts), RecordErrorCode.MESSAGE_TOO_LARGE);
    await expectRecordErrorAsync(validateBatchAsync(bomb, 0, opts), RecordErrorCode.MESSAGE_TOO_LARGE);
    expect(validateBatch(bomb).recordCount).toBe(1); // default 64 MiB limit
  });
  it('client rules: no control batches, a producer id needs a sequence', () => {
    const control = encodeRecordBatch({ control: true, records: [{ key: Buffer.from([0, 0, 0, 1]), value: Buffer.alloc(6) }] });
    expectRecordError(() => validateBatch(control), RecordErrorCode.INVALID_RECORD, /control/);
    expect(validateBatch(control, 0, { origin: 'log' }).isControl).toBe(true);
    const noSeq = encodeRecordBatch({ records: inputs, producerId: 5n, producerEpoch: 0, baseSequence: -1 });
    expectRecordError(() => validateBatch(noSeq), RecordErrorCode.INVALID_RECORD, /baseSequence/);
  });
  it("origin 'log' accepts compacted batches (gaps, empty) but not deltas past lastOffsetDelta", () => {
    const gaps = rawBatch(Buffer.concat([rec(0, 5), rec(3, 9)]), { count: 2, lastOffsetDelta: 4 });
    expect(validateBatch(gaps, 0, { origin: 'log' })).toMatchObject({ recordCount: 2, lastOffsetDelta: 4, maxTimestamp: 1009 });
    expectRecordError(() => validateBatch(gaps), RecordErrorCode.INVALID_RECORD);
    expect(validateBatch(rawBatch(Buffer.alloc(0), { count: 0, lastOffsetDelta: 7 }), 0, { origin: 'log' }).maxTimestamp).toBe(-1);
    const past = rawBatch(Buffer.concat([rec(0), rec(9)]), { count: 2, lastOffsetDelta: 4 });
    expectRecordError(() => validateBatch(past, 0, { origin: 'log' }), RecordErrorCode.INVALID_RECORD);
    const backwards = rawBatch(Buffer.concat([rec(2), rec(1)]), { count: 2, lastOffsetDelta: 4 });
    expectRecordError(() => validateBatch(backwards, 0, { origin: 'log' }), RecordErrorCode.INVALID_RECORD);
  });
});

describe('exactly one batch per Produce partition', () => {
  const one = encodeRecordBatch({ records: inputs });
  it('two batches → INVALID_RECORD', () => {
    expectRecordError(() => validateProduceRecords(Buffer.concat([one, one])), RecordErrorCode.INVALID_RECORD, /more than one/);
  });
  it('no records, or null → INVALID_RECORD', () => {
    expectRecordError(() => checkSingleBatch(null), RecordErrorCode.INVALID_RECORD);
    expectRecordError(() => checkSingleBatch(Buffer.alloc(0)), RecordErrorCode.INVALID_RECORD);
    expectRecordError(() => checkSingleBatch(Buffer.alloc(5)), RecordErrorCode.INVALID_RECORD);
  });
  it('a cut-short batch → CORRUPT_MESSAGE; one batch plus garbage → INVALID_RECORD', () => {
    expectRecordError(() => validateProduceRecords(one.subarray(0, one.length - 1)), RecordErrorCode.CORRUPT_MESSAGE);
    expectRecordError(() => validateProduceRecords(Buffer.concat([one, Buffer.from([0])])), RecordErrorCode.INVALID_RECORD);
  });
  it('a legacy magic-1 message set in Produce v3+ → INVALID_RECORD', () => {
    const legacy = Buffer.from(one);
    legacy.writeInt8(1, H.MAGIC);
    expectRecordError(() => validateProduceRecords(legacy), RecordErrorCode.INVALID_RECORD);
  });
});
