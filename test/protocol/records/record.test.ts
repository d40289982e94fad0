import { describe, expect, it } from 'vitest';
import {
  decodeRecord,
  encodeRecord,
  readRecord,
  recordSize,
  scanRecord,
  type Record,
} from '../../../src/protocol/records/record.ts';
import { RecordErrorCode } from '../../../src/protocol/records/errors.ts';
import { expectRecordError, recordBytes, requireCjs, withLength } from './helpers.ts';

const KafkajsRecord = requireCjs('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (r: object) => { buffer: Buffer };

const records: Record[] = [
  { offsetDelta: 0, timestampDelta: 0, key: null, value: null, headers: [] },
  { offsetDelta: 1, timestampDelta: 5, key: Buffer.from('k'), value: Buffer.from('v'), headers: [{ key: 'a', value: Buffer.from('b') }] },
  { offsetDelta: 300, timestampDelta: -70_000, key: Buffer.alloc(0), value: Buffer.alloc(200, 1), headers: [{ key: 'ключ', value: null }, { key: '', value: Buffer.alloc(0) }] },
  { offsetDelta: 2 ** 31 - 1, timestampDelta: 2 ** 40, key: Buffer.alloc(70_000, 2), value: null, headers: [] },
];

describe('record encode/decode', () => {
  for (const [i, r] of records.entries()) {
    it(`round trips record ${i}`, () => {
      const bytes = encodeRecord(r);
      expect(bytes.length).toBe(recordSize(r));
      const { record, next } = decodeRecord(bytes);
      expect(next).toBe(bytes.length);
      expect(record).toEqual(r);
      const scan = { timestampDelta: NaN, offsetDelta: NaN };
      expect(scanRecord(bytes, 0, bytes.length, scan)).toBe(bytes.length);
      expect(scan).toEqual({ timestampDelta: r.timestampDelta, offsetDelta: r.offsetDelta });
    });
  }

  it('writes the same bytes as kafkajs', () => {
    const ours = encodeRecord({
      offsetDelta: 3,
      timestampDelta: 1234,
      key: Buffer.from('key1'),
      value: Buffer.from('value-1'),
      headers: [
        { key: 'a', value: Buffer.from('b') },
        { key: 'n', value: Buffer.from('1') },
      ],
    });
    const theirs = KafkajsRecord({ offsetDelta: 3, timestampDelta: 1234, key: Buffer.from('key1'), value: Buffer.from('value-1'), headers: { a: 'b', n: '1' } }).buffer;
    expect(ours.equals(theirs)).toBe(true);
  });

  it('reads consecutive records with a cursor and keeps views into the source', () => {
    const buf = Buffer.concat(records.map(encodeRecord));
    const cursor = { pos: 0 };
    for (const r of records) expect(readRecord(buf, cursor)).toEqual(r);
    expect(cursor.pos).toBe(buf.length);
    const { record } = decodeRecord(buf, encodeRecord(records[0]!).length);
    expect(record.key!.buffer).toBe(buf.buffer);
  });
});

describe('malformed records → INVALID_RECORD', () => {
  // body: attributes, timestampDelta, offsetDelta, key length, [key], value length, [value], header count, …
  const cases: [string, Buffer][] = [
    ['record length past the region', Buffer.concat([recordBytes(50), recordBytes(0, { long: 0 }, 0, -1, -1, 0)])],
    ['record length below the minimum', recordBytes(3, 0, 0, 0)],
    ['negative record length', recordBytes(-5, 0, 0, 0, -1, -1, 0)],
    ['key length below -1', withLength(recordBytes(0, { long: 0 }, 0, -2, -1, 0))],
    ['key past the record', withLength(recordBytes(0, { long: 0 }, 0, 40, -1, 0))],
    ['value length below -1', withLength(recordBytes(0, { long: 0 }, 0, -1, -7, 0))],
    ['negative header count', withLength(recordBytes(0, { long: 0 }, 0, -1, -1, -1))],
    ['absurd header count', withLength(recordBytes(0, { long: 0 }, 0, -1, -1, 2 ** 30))],
    ['negative header key length', withLength(recordBytes(0, { long: 0 }, 0, -1, -1, 1, -1, -1))],
    ['header value past the record', withLength(recordBytes(0, { long: 0 }, 0, -1, -1, 1, 1, { raw: 'a' }, 9))],
    ['fields shorter than the length', Buffer.concat([recordBytes(8), recordBytes(0, { long: 0 }, 0, -1, -1, 0), Buffer.from([0, 0])])],
    ['fields longer than the length', Buffer.concat([recordBytes(6), recordBytes(0, { long: 0 }, 0, 1, { raw: 'k' }, -1, 0)])],
    ['unterminated varint', Buffer.from([0x0c, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])],
    ['varlong longer than 10 bytes', Buffer.concat([recordBytes(20), Buffer.from([0]), Buffer.alloc(19, 0xff)])],
    ['empty input', Buffer.alloc(0)],
  ];
  for (const [name, bytes] of cases) {
    it(name, () => {
      expectRecordError(() => decodeRecord(bytes), RecordErrorCode.INVALID_RECORD);
      expectRecordError(() => scanRecord(bytes, 0, bytes.length, { timestampDelta: 0, offsetDelta: 0 }), RecordErrorCode.INVALID_RECORD);
    });
  }
});
