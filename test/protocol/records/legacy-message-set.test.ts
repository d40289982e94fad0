import { describe, expect, it } from 'vitest';
import { compress } from '../../../src/protocol/records/compression/index.ts';
import { RecordErrorCode } from '../../../src/protocol/records/errors.ts';
import { crc32, decodeLegacyEntry, decodeLegacyMessageSet } from '../../../src/protocol/records/legacy-message-set.ts';
import { iterateBatches } from '../../../src/protocol/records/record-batch.ts';
import { expectRecordError, requireCjs } from './helpers.ts';

// kafkajs's Produce v0–v2 message-set encoder and the crc-32 package are the independent references.
const MessageSet = requireCjs('kafkajs/src/protocol/messageSet/index.js') as (o: object) => { buffer: Buffer };
const CRC32 = requireCjs('crc-32') as { buf(b: Uint8Array): number };

const T = 1_600_000_000_000;
const entries = [1, 2, 3].map((i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(`legacy-${i}`), timestamp: T + i }));

/** One message set entry built by hand, CRC from the crc-32 package. */
function legacyEntry(offset: bigint, magic: 0 | 1, attributes: number, timestamp: number, key: Buffer | null, value: Buffer | null): Buffer {
  const bytes = (b: Buffer | null) => {
    const len = Buffer.alloc(4);
    len.writeInt32BE(b === null ? -1 : b.length);
    return b === null ? len : Buffer.concat([len, b]);
  };
  const ts = Buffer.alloc(8);
  ts.writeBigInt64BE(BigInt(timestamp));
  const content = Buffer.concat([Buffer.from([magic, attributes]), magic === 1 ? ts : Buffer.alloc(0), bytes(key), bytes(value)]);
  const head = Buffer.alloc(16);
  head.writeBigInt64BE(offset, 0);
  head.writeInt32BE(content.length + 4, 8);
  head.writeInt32BE(CRC32.buf(content), 12);
  return Buffer.concat([head, content]);
}

describe('legacy message sets (magic 0 and 1)', () => {
  it('CRC-32 matches the crc-32 package', () => {
    const data = Buffer.from('The quick brown fox jumps over the lazy dog');
    expect(crc32(data)).toBe(CRC32.buf(data) >>> 0);
    expect(crc32(data)).toBe(0x414fa339);
  });

  for (const magic of [0, 1] as const) {
    it(`reads kafkajs's uncompressed magic-${magic} set`, () => {
      const set = MessageSet({ messageVersion: magic, compression: 0, entries }).buffer;
      const records = decodeLegacyMessageSet(set);
      expect(records.map((r) => [r.key!.toString(), r.value!.toString(), r.timestamp, r.headers])).toEqual(
        entries.map((e) => [e.key.toString(), e.value.toString(), magic === 1 ? e.timestamp : -1, []]),
      );
      expect(records.map((r) => r.offset)).toEqual([-1, -1, -1]); // producers leave offsets to the broker
    });

    it(`reads kafkajs's gzip wrapper (magic ${magic}) as Produce v2 sends it`, () => {
      const inner = MessageSet({ messageVersion: magic, compression: 1, entries }).buffer;
      const wrapper = MessageSet({ messageVersion: magic, entries: [{ compression: 1, timestamp: T, key: null, value: compress(1, inner) }] }).buffer;
      const [batch, ...rest] = [...iterateBatches(wrapper)];
      expect(rest).toHaveLength(0);
      expect(batch).toMatchObject({ magic, compression: 1, recordCount: 3, producerId: -1n, baseOffset: 0, lastOffsetDelta: 2, size: wrapper.length });
      expect(batch!.records.map((r) => r.offset)).toEqual([0, 1, 2]);
      expect(batch!.records.map((r) => r.value!.toString())).toEqual(['legacy-1', 'legacy-2', 'legacy-3']);
    });
  }

  it('magic 1: inner offsets are relative to the wrapper, which holds the last absolute offset', () => {
    const inner = Buffer.concat(entries.map((e, i) => legacyEntry(BigInt(i), 1, 0, e.timestamp, e.key, e.value)));
    for (const codec of [1, 2, 3] as const) {
      const wrapper = legacyEntry(102n, 1, codec, T, null, compress(codec, inner));
      const b = decodeLegacyEntry(wrapper);
      expect(b.records.map((r) => r.offset)).toEqual([100, 101, 102]);
      expect(b.records.map((r) => r.timestamp)).toEqual([T + 1, T + 2, T + 3]);
      expect(b.maxTimestamp).toBe(T + 3);
    }
  });

  it('magic 1 LogAppendTime wrapper: every inner record takes the wrapper timestamp', () => {
    const inner = Buffer.concat(entries.map((e, i) => legacyEntry(BigInt(i), 1, 0, e.timestamp, e.key, e.value)));
    const wrapper = legacyEntry(2n, 1, 1 | 0x08, T + 500, null, compress(1, inner));
    const b = decodeLegacyEntry(wrapper);
    expect(b.timestampType).toBe(1);
    expect(b.records.map((r) => r.timestamp)).toEqual([T + 500, T + 500, T + 500]);
  });

  it('magic 0 wrapper: inner offsets are absolute', () => {
    const inner = Buffer.concat(entries.map((e, i) => legacyEntry(BigInt(50 + i), 0, 0, 0, e.key, e.value)));
    const b = decodeLegacyEntry(legacyEntry(52n, 0, 1, 0, null, compress(1, inner)));
    expect(b.records.map((r) => [r.offset, r.timestamp])).toEqual([
      [50, -1],
      [51, -1],
      [52, -1],
    ]);
  });

  it('null keys and values, and a partial entry at the end is skipped', () => {
    const set = Buffer.concat([legacyEntry(7n, 1, 0, T, null, null), legacyEntry(8n, 1, 0, T, Buffer.from('k'), Buffer.from('v'))]);
    expect(decodeLegacyMessageSet(set).map((r) => [r.offset, r.key, r.value?.toString() ?? null])).toEqual([
      [7, null, null],
      [8, Buffer.from('k'), 'v'],
    ]);
    expect(decodeLegacyMessageSet(set.subarray(0, set.length - 3))).toHaveLength(1);
    expect([...iterateBatches(set.subarray(0, set.length - 3))]).toHaveLength(1);
  });

  it('bad input gives typed errors', () => {
    const good = legacyEntry(0n, 1, 0, T, Buffer.from('k'), Buffer.from('v'));
    const badCrc = Buffer.from(good);
    badCrc[badCrc.length - 1]! ^= 1;
    expectRecordError(() => decodeLegacyEntry(badCrc), RecordErrorCode.CORRUPT_MESSAGE, /CRC/);
    expect(decodeLegacyEntry(badCrc, 0, { verifyCrc: false }).records).toHaveLength(1);
    const badKey = legacyEntry(0n, 1, 0, T, Buffer.from('k'), Buffer.from('v'));
    badKey.writeInt32BE(1000, 12 + 4 + 2 + 8);
    expectRecordError(() => decodeLegacyEntry(badKey, 0, { verifyCrc: false }), RecordErrorCode.INVALID_RECORD);
    const zstd = legacyEntry(0n, 1, 4, T, null, compress(4, good));
    expectRecordError(() => decodeLegacyEntry(zstd), RecordErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
    const nested = legacyEntry(0n, 1, 1, T, null, compress(1, legacyEntry(0n, 1, 1, T, null, compress(1, good))));
    expectRecordError(() => decodeLegacyEntry(nested), RecordErrorCode.INVALID_RECORD, /nests/);
    const nullWrapper = legacyEntry(0n, 1, 1, T, null, null);
    expectRecordError(() => decodeLegacyEntry(nullWrapper), RecordErrorCode.INVALID_RECORD);
    const innerCut = legacyEntry(0n, 1, 1, T, null, compress(1, good.subarray(0, good.length - 2)));
    expectRecordError(() => decodeLegacyEntry(innerCut), RecordErrorCode.INVALID_RECORD);
    const tooSmall = Buffer.from(good);
    tooSmall.writeInt32BE(3, 8);
    expectRecordError(() => decodeLegacyMessageSet(tooSmall), RecordErrorCode.CORRUPT_MESSAGE);
    const bomb = legacyEntry(0n, 1, 1, T, null, compress(1, Buffer.alloc(4 * 1024 * 1024)));
    expectRecordError(() => decodeLegacyEntry(bomb, 0, { maxDecompressedBytes: 1024 * 1024 }), RecordErrorCode.MESSAGE_TOO_LARGE);
  });
});
