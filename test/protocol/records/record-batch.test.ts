import { describe, expect, it } from 'vitest';
import * as H from '../../../src/protocol/records/batch-header.ts';
import { crc32c } from '../../../src/protocol/records/crc32c.ts';
import { compressionName, type CompressionCodec } from '../../../src/protocol/records/compression/index.ts';
import { RecordErrorCode } from '../../../src/protocol/records/errors.ts';
import {
  completeBatchesLength,
  decodeRecordBatch,
  decodeRecordBatchAsync,
  decodeRecordsBlob,
  encodeRecordBatch,
  encodeRecordBatchAsync,
  iterateBatches,
  splitBatches,
  TimestampType,
  type RecordInput,
} from '../../../src/protocol/records/record-batch.ts';
import { expectRecordError, expectRecordErrorAsync, fixCrc, requireCjs } from './helpers.ts';

const { RecordBatch: KafkajsRecordBatch } = requireCjs('kafkajs/src/protocol/recordBatch/v0/index.js') as {
  RecordBatch: (o: object) => Promise<{ buffer: Buffer }>;
};
const KafkajsRecord = requireCjs('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (r: object) => unknown;
const Long = requireCjs('kafkajs/src/utils/long.js') as { fromInt(n: number): unknown; fromValue(n: number): unknown };

const T0 = 1_700_000_000_000;
const inputs: RecordInput[] = [1, 2, 3, 4, 5].map((i) => ({
  key: `key${i}`,
  value: `value-${i}`,
  headers: [{ key: 'a', value: 'b' }],
  timestamp: T0 + (i % 3) * 10,
}));

/** kafkajs's own producer path (produce/v3/request.js) for the same records. */
async function kafkajsBatch(compression: number): Promise<Buffer> {
  const firstTimestamp = inputs[0]!.timestamp!;
  const records = inputs.map((r, i) =>
    KafkajsRecord({
      offsetDelta: i,
      timestampDelta: r.timestamp! - firstTimestamp,
      key: Buffer.from(r.key as string),
      value: Buffer.from(r.value as string),
      headers: { a: 'b' },
    }),
  );
  const enc = await KafkajsRecordBatch({
    compression,
    firstOffset: Long.fromInt(0),
    firstTimestamp,
    maxTimestamp: T0 + 20,
    partitionLeaderEpoch: 0,
    lastOffsetDelta: records.length - 1,
    producerId: Long.fromValue(-1),
    producerEpoch: 0,
    firstSequence: 0,
    records,
  });
  return enc.buffer;
}

function expectInputs(records: { offset: number; timestamp: number; key: Buffer | null; value: Buffer | null; headers: { key: string; value: Buffer | null }[] }[], base = 0) {
  expect(records.map((r) => r.offset)).toEqual([0, 1, 2, 3, 4].map((i) => base + i));
  expect(records.map((r) => r.timestamp)).toEqual(inputs.map((r) => r.timestamp));
  expect(records.map((r) => r.key!.toString())).toEqual(inputs.map((r) => r.key));
  expect(records.map((r) => r.value!.toString())).toEqual(inputs.map((r) => r.value));
  for (const r of records) expect(r.headers.map((h) => [h.key, h.value!.toString()])).toEqual([['a', 'b']]);
}

describe('encodeRecordBatch / decodeRecordBatch', () => {
  for (const codec of [0, 1, 2, 3, 4] as CompressionCodec[]) {
    it(`round trips with ${compressionName(codec)}`, async () => {
      const batch = encodeRecordBatch({ compression: codec, records: inputs, baseOffset: 42 });
      expect(H.magic(batch)).toBe(2);
      expect(H.batchSize(batch)).toBe(batch.length);
      expect(H.crcMatches(batch)).toBe(true);
      expect(H.compression(batch)).toBe(codec);
      const d = decodeRecordBatch(batch);
      expect(d).toMatchObject({
        baseOffset: 42,
        magic: 2,
        compression: codec,
        lastOffsetDelta: 4,
        recordCount: 5,
        baseTimestamp: T0 + 10,
        maxTimestamp: T0 + 20,
        producerId: -1n,
        producerEpoch: -1,
        baseSequence: -1,
        partitionLeaderEpoch: -1,
        isTransactional: false,
        isControl: false,
        timestampType: 0,
        size: batch.length,
      });
      expectInputs(d.records, 42);
      const viaAsync = await encodeRecordBatchAsync({ compression: codec, records: inputs, baseOffset: 42 });
      expect((await decodeRecordBatchAsync(viaAsync)).records).toEqual(d.records);
    });
  }

  it('writes byte-for-byte what kafkajs writes for an uncompressed batch', async () => {
    const ours = encodeRecordBatch({
      compression: 'none',
      partitionLeaderEpoch: 0,
      producerId: -1,
      producerEpoch: 0,
      baseSequence: 0,
      records: inputs,
    });
    const theirs = await kafkajsBatch(0);
    expect(ours.toString('hex')).toBe(theirs.toString('hex'));
  });

  it('decodes kafkajs gzip batches, with matching CRC', async () => {
    const theirs = await kafkajsBatch(1);
    expect(crc32c(theirs, H.ATTRIBUTES, theirs.length)).toBe(H.storedCrc(theirs));
    const d = decodeRecordBatch(theirs);
    expect(d.compression).toBe(1);
    expect(d.producerEpoch).toBe(0);
    expect(d.baseSequence).toBe(0);
    expectInputs(d.records);
    // Ours, gzip, with the same header fields: same records region once decompressed.
    const ours = encodeRecordBatch({ compression: 'gzip', partitionLeaderEpoch: 0, producerId: -1, producerEpoch: 0, baseSequence: 0, records: inputs });
    expect(decodeRecordBatch(ours).records).toEqual(d.records);
  });

  it('sets producer fields, flags and LogAppendTime timestamps', () => {
    const batch = encodeRecordBatch({
      compression: 'lz4',
      records: inputs,
      producerId: 123456789012n,
      producerEpoch: 7,
      baseSequence: 99,
      transactional: true,
      timestampType: TimestampType.LogAppendTime,
    });
    expect(H.producerId(batch)).toBe(123456789012n);
    expect(H.producerEpoch(batch)).toBe(7);
    expect(H.baseSequence(batch)).toBe(99);
    expect(H.recordCount(batch)).toBe(5);
    expect(H.isTransactional(batch)).toBe(true);
    expect(H.isLogAppendTime(batch)).toBe(true);
    H.stampMaxTimestamp(batch, T0 + 999, true);
    const d = decodeRecordBatch(batch);
    expect(d.timestampType).toBe(1);
    expect(d.records.every((r) => r.timestamp === T0 + 999)).toBe(true);
  });

  it('handles null keys/values, string/Uint8Array inputs and clock defaults', () => {
    const batch = encodeRecordBatch({
      compression: 0,
      now: () => 5000,
      records: [{ value: new Uint8Array([1, 2, 3]) }, { key: null, value: null, headers: [{ key: 'h', value: null }] }],
    });
    const d = decodeRecordBatch(batch);
    expect(d.baseTimestamp).toBe(5000);
    expect(d.records).toEqual([
      { offset: 0, timestamp: 5000, key: null, value: Buffer.from([1, 2, 3]), headers: [] },
      { offset: 1, timestamp: 5000, key: null, value: null, headers: [{ key: 'h', value: null }] },
    ]);
  });

  it('refuses an empty batch and unknown compression names', () => {
    expect(() => encodeRecordBatch({ records: [] })).toThrow(RangeError);
    expect(() => encodeRecordBatch({ records: inputs, compression: 'brotli' as 'gzip' })).toThrow(/unknown compression/);
  });
});

describe('decode errors', () => {
  const good = encodeRecordBatch({ compression: 0, records: inputs });
  it('CRC mismatch → CORRUPT_MESSAGE (unless verifyCrc is off)', async () => {
    const bad = Buffer.from(good);
    bad[bad.length - 1]! ^= 1;
    expectRecordError(() => decodeRecordBatch(bad), RecordErrorCode.CORRUPT_MESSAGE, /CRC/);
    await expectRecordErrorAsync(decodeRecordBatchAsync(bad), RecordErrorCode.CORRUPT_MESSAGE);
    expect(decodeRecordBatch(bad, 0, { verifyCrc: false }).records).toHaveLength(5);
  });
  it('truncated → CORRUPT_MESSAGE', () => {
    expectRecordError(() => decodeRecordBatch(good.subarray(0, good.length - 1)), RecordErrorCode.CORRUPT_MESSAGE, /past/);
    expectRecordError(() => decodeRecordBatch(good.subarray(0, 30)), RecordErrorCode.CORRUPT_MESSAGE, /cut short/);
  });
  it('unknown compression codec → UNSUPPORTED_COMPRESSION_TYPE', () => {
    const bad = Buffer.from(good);
    bad.writeInt16BE(6, H.ATTRIBUTES);
    expectRecordError(() => decodeRecordBatch(fixCrc(bad)), RecordErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
  });
  it('decompression bomb → MESSAGE_TOO_LARGE', async () => {
    const bomb = encodeRecordBatch({ compression: 'gzip', records: [{ value: Buffer.alloc(4 * 1024 * 1024) }] });
    expect(bomb.length).toBeLessThan(16 * 1024);
    expectRecordError(() => decodeRecordBatch(bomb, 0, { maxDecompressedBytes: 1024 * 1024 }), RecordErrorCode.MESSAGE_TOO_LARGE);
    await expectRecordErrorAsync(decodeRecordBatchAsync(bomb, 0, { maxDecompressedBytes: 1024 * 1024 }), RecordErrorCode.MESSAGE_TOO_LARGE);
  });
});

describe('records blobs with several batches', () => {
  const a = encodeRecordBatch({ compression: 'none', records: inputs, baseOffset: 0 });
  const b = encodeRecordBatch({ compression: 'zstd', records: inputs, baseOffset: 5 });
  const c = encodeRecordBatch({ compression: 'snappy', records: inputs, baseOffset: 10 });
  const blob = Buffer.concat([a, b, c]);

  it('iterates every batch in order', () => {
    const batches = [...iterateBatches(blob)];
    expect(batches.map((x) => [x.baseOffset, x.compression])).toEqual([
      [0, 0],
      [5, 4],
      [10, 2],
    ]);
    expect(decodeRecordsBlob(blob).map((r) => r.offset)).toEqual([...Array(15).keys()]);
    expect(splitBatches(blob).map((x) => x.length)).toEqual([a.length, b.length, c.length]);
    expect(completeBatchesLength(blob)).toBe(blob.length);
  });

  it('skips a partial batch at the end (Fetch cut by maxBytes), at every cut point', () => {
    for (let cut = 0; cut < blob.length; cut++) {
      const part = blob.subarray(0, cut);
      const whole = cut >= a.length + b.length ? 2 : cut >= a.length ? 1 : 0;
      expect([...iterateBatches(part)]).toHaveLength(whole);
      expect(splitBatches(part)).toHaveLength(whole);
      expect(completeBatchesLength(part)).toBe([0, a.length, a.length + b.length][whole]);
    }
  });

  it('leaves control batches out of decodeRecordsBlob', () => {
    const control = encodeRecordBatch({ control: true, transactional: true, records: [{ key: Buffer.from([0, 0, 0, 1]), value: Buffer.from([0, 0, 0, 0, 0, 0]) }], baseOffset: 15 });
    expect(decodeRecordsBlob(Buffer.concat([blob, control]))).toHaveLength(15);
    expect([...iterateBatches(control)][0]!.isControl).toBe(true);
  });

  it('a corrupt length in the middle is an error, not a silent stop', () => {
    const bad = Buffer.from(blob);
    bad.writeInt32BE(-3, a.length + H.BATCH_LENGTH);
    expectRecordError(() => [...iterateBatches(bad)], RecordErrorCode.CORRUPT_MESSAGE);
    expectRecordError(() => splitBatches(bad), RecordErrorCode.CORRUPT_MESSAGE);
  });
});
