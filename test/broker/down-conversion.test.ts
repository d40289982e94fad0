/**
 * Down-conversion for Fetch v0–3 (legacy-message-writer.ts) read back by our legacy reader, and
 * ListOffsets v0 / Fetch v0 against a running broker with our own codecs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Compression, type CompressionCodec } from '../../src/protocol/records/compression/index.ts';
import { xxh32 } from '../../src/protocol/records/compression/lz4.ts';
import { decodeLegacyEntry, decodeLegacyMessageSet } from '../../src/protocol/records/legacy-message-set.ts';
import { downConvertToLegacy } from '../../src/protocol/records/legacy-message-writer.ts';
import { encodeRecordBatch, TimestampType } from '../../src/protocol/records/record-batch.ts';
import { closeAll, RawClient, startTestBroker, type TestBroker } from '../helpers/index.ts';
import { FetchFacts, ListOffsetsFacts } from '../../src/protocol/messages/api-facts.ts';
import { ErrorCode } from '../../src/protocol/error-codes.ts';

const records = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => ({ key: `k${from + i}`, value: `v${from + i}`, timestamp: 5000 + from + i, headers: [{ key: 'h', value: 'x' }] }));

describe('downConvertToLegacy', () => {
  for (const codec of [Compression.none, Compression.gzip, Compression.snappy, Compression.lz4] as CompressionCodec[]) {
    for (const magic of [0, 1] as const) {
      it(`codec ${codec} → magic ${magic}: every record, offsets absolute, timestamps only in magic 1, headers dropped`, () => {
        const blob = Buffer.concat([
          encodeRecordBatch({ baseOffset: 10, compression: codec, records: records(3) }),
          encodeRecordBatch({ baseOffset: 13, compression: codec, records: records(2, 3) }),
        ]);
        const out = downConvertToLegacy(blob, magic, 10);
        const got = decodeLegacyMessageSet(out);
        expect(got.map((r) => [r.offset, r.key!.toString(), r.value!.toString(), r.timestamp, r.headers.length])).toEqual(
          Array.from({ length: 5 }, (_, i) => [10 + i, `k${i}`, `v${i}`, magic === 1 ? 5000 + i : -1, 0]),
        );
        const first = decodeLegacyEntry(out, 0);
        expect(first.magic).toBe(magic);
        expect(first.compression).toBe(codec);
      });
    }
  }

  it('an uncompressed batch is cut at the fetch offset; a compressed one is kept whole', () => {
    const plain = encodeRecordBatch({ baseOffset: 0, records: records(4) });
    expect(decodeLegacyMessageSet(downConvertToLegacy(plain, 1, 2)).map((r) => r.offset)).toEqual([2, 3]);
    const gz = encodeRecordBatch({ baseOffset: 0, compression: 'gzip', records: records(4) });
    expect(decodeLegacyMessageSet(downConvertToLegacy(gz, 1, 2)).map((r) => r.offset)).toEqual([0, 1, 2, 3]);
  });

  it('magic-1 compressed wrappers carry relative inner offsets and the last absolute offset; magic 0 absolute ones', () => {
    const gz = encodeRecordBatch({ baseOffset: 100, compression: 'gzip', records: records(3) });
    for (const magic of [0, 1] as const) {
      const out = downConvertToLegacy(gz, magic, 100);
      expect(out.readBigInt64BE(0)).toBe(102n); // the wrapper's offset is its last record's
      expect(decodeLegacyMessageSet(out).map((r) => r.offset)).toEqual([100, 101, 102]);
    }
  });

  it('LogAppendTime: every magic-1 message carries the batch time and the timestamp-type bit', () => {
    const batch = encodeRecordBatch({ baseOffset: 0, timestampType: TimestampType.LogAppendTime, records: records(2) });
    // Storage stamps maxTimestamp with the broker's clock for LogAppendTime topics.
    batch.writeBigInt64BE(777n, 35);
    const out = downConvertToLegacy(batch, 1, 0);
    const e = decodeLegacyEntry(out, 0);
    expect(e.timestampType).toBe(1);
    expect(decodeLegacyMessageSet(out).map((r) => r.timestamp)).toEqual([777, 777]);
  });

  it('control batches are dropped; zstd cannot be down-converted', () => {
    const control = encodeRecordBatch({ baseOffset: 0, control: true, producerId: 1n, producerEpoch: 0, records: [{ key: Buffer.from([0, 0, 0, 0]), value: Buffer.from([0, 0, 0, 0, 0, 0]) }] });
    const data = encodeRecordBatch({ baseOffset: 1, records: records(1) });
    expect(decodeLegacyMessageSet(downConvertToLegacy(Buffer.concat([control, data]), 1, 0)).map((r) => r.offset)).toEqual([1]);
    const zstd = encodeRecordBatch({ baseOffset: 0, compression: 'zstd', records: records(1) });
    expect(() => downConvertToLegacy(zstd, 1, 0)).toThrow(/zstandard/);
  });

  it("magic-0 LZ4 frames carry Kafka 0.8's header checksum (over the magic too); magic 1 the standard one", () => {
    const lz = encodeRecordBatch({ baseOffset: 0, compression: 'lz4', records: records(2) });
    const frameOf = (out: Buffer) => {
      const e = decodeLegacyEntry(out, 0, { verifyCrc: true });
      expect(e.records).toHaveLength(2);
      // value of the wrapper: after crc, magic, attributes, [timestamp], key (-1), value length.
      const valueAt = 12 + 4 + 2 + (e.magic === 1 ? 8 : 0) + 4 + 4;
      return out.subarray(valueAt);
    };
    const v0 = frameOf(downConvertToLegacy(lz, 0, 0));
    expect(v0[6]).toBe((xxh32(v0, 0, 6, 0) >>> 8) & 0xff);
    const v1 = frameOf(downConvertToLegacy(lz, 1, 0));
    expect(v1[6]).toBe((xxh32(v1, 4, 2, 0) >>> 8) & 0xff);
  });
});

describe('ListOffsets v0 and Fetch v0 on a broker', () => {
  let b: TestBroker;
  beforeAll(async () => {
    b = await startTestBroker({ config: { 'log.segment.bytes': '200' } });
  });
  afterAll(closeAll);

  it('ListOffsets v0: segment base offsets and the log end, newest first, up to MaxNumOffsets; capped for latest/earliest', async () => {
    await b.broker.context.logs.createTopic('lo0', { partitions: 1 });
    const log = b.broker.context.logs.partition('lo0', 0)!;
    for (let i = 0; i < 4; i++) await log.append(encodeRecordBatch({ records: records(2, 2 * i) }), { logAppendTime: false });
    const bases = log.segmentList.map((s) => s.baseOffset);
    expect(bases.length).toBeGreaterThan(1);
    const c = await RawClient.connect(b.port);
    try {
      const ask = async (timestamp: bigint, maxNumOffsets: number) => {
        const res = await c.request(ListOffsetsFacts, 0, { replicaId: -1, topics: [{ name: 'lo0', partitions: [{ partitionIndex: 0, timestamp, maxNumOffsets }] }] });
        const p = res.topics[0].partitions[0];
        expect(p.errorCode).toBe(0);
        return (p.oldStyleOffsets as bigint[]).map(Number);
      };
      const candidates = [...bases, ...(log.segmentList.at(-1)!.size > 0 ? [8] : [])];
      expect(await ask(-1n, 1)).toEqual([8]);
      expect(await ask(-1n, 100)).toEqual([...candidates].reverse());
      expect(await ask(-2n, 1)).toEqual([0]);
      // A time before every record: no segment is old enough.
      expect(await ask(1n, 10)).toEqual([]);
      const unknown = await c.request(ListOffsetsFacts, 0, { replicaId: -1, topics: [{ name: 'lo0', partitions: [{ partitionIndex: 9, timestamp: -1n, maxNumOffsets: 1 }] }] });
      expect(unknown.topics[0].partitions[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    } finally {
      c.close();
    }
  });

  it('Fetch v0 on a zstd batch answers UNSUPPORTED_COMPRESSION_TYPE with an empty record set', async () => {
    await b.broker.context.logs.createTopic('zstd0', { partitions: 1 });
    await b.broker.context.logs.partition('zstd0', 0)!.append(encodeRecordBatch({ compression: 'zstd', records: records(1) }), { logAppendTime: false });
    const c = await RawClient.connect(b.port);
    try {
      const res = await c.request(FetchFacts, 0, {
        replicaId: -1, maxWaitMs: 0, minBytes: 1,
        topics: [{ topic: 'zstd0', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
      });
      const p = res.responses[0].partitions[0];
      expect(p.errorCode).toBe(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
      expect(p.records.length).toBe(0);
    } finally {
      c.close();
    }
  });
});
