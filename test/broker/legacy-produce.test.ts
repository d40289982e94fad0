/** Produce v0–2 up-conversion: legacy message sets become one magic-2 batch; garbage is a typed error. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { upConvertLegacy } from '../../src/broker/legacy-produce.ts';
import { RecordValidationError } from '../../src/protocol/records/errors.ts';
import { crc32 } from '../../src/protocol/records/legacy-message-set.ts';
import { decodeRecordBatch } from '../../src/protocol/records/record-batch.ts';
import { compress } from '../../src/protocol/records/compression/index.ts';

/** offset · size · crc · magic · attributes · [timestamp] · key · value */
function message(magic: 0 | 1, key: Buffer | null, value: Buffer | null, opts: { timestamp?: number; attributes?: number; offset?: number } = {}): Buffer {
  const parts: Buffer[] = [Buffer.from([magic, opts.attributes ?? 0])];
  if (magic === 1) {
    const ts = Buffer.alloc(8);
    ts.writeBigInt64BE(BigInt(opts.timestamp ?? 0));
    parts.push(ts);
  }
  for (const b of [key, value]) {
    const len = Buffer.alloc(4);
    len.writeInt32BE(b === null ? -1 : b.length);
    parts.push(len, ...(b === null ? [] : [b]));
  }
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(16);
  head.writeBigInt64BE(BigInt(opts.offset ?? 0), 0);
  head.writeInt32BE(4 + body.length, 8);
  head.writeUInt32BE(crc32(body), 12);
  return Buffer.concat([head, body]);
}

describe('legacy produce up-conversion', () => {
  it('keeps keys, values, null keys and magic-1 timestamps; magic 0 gets the broker clock', async () => {
    const set = Buffer.concat([message(1, Buffer.from('k'), Buffer.from('v'), { timestamp: 1234 }), message(1, null, Buffer.from('w'), { timestamp: 1240, offset: 1 })]);
    const batch = decodeRecordBatch(await upConvertLegacy(set, 99));
    expect(batch.magic).toBe(2);
    expect(batch.records.map((r) => [r.key?.toString() ?? null, r.value!.toString(), r.timestamp])).toEqual([['k', 'v', 1234], [null, 'w', 1240]]);
    const v0 = decodeRecordBatch(await upConvertLegacy(message(0, null, Buffer.from('x')), 777));
    expect(v0.records[0]!.timestamp).toBe(777);
  });

  it('keeps the codec of a compressed wrapper (gzip, magic 1, relative inner offsets)', async () => {
    const inner = Buffer.concat([0, 1, 2].map((i) => message(1, null, Buffer.from(`m${i}`), { timestamp: 5000 + i, offset: i })));
    const wrapper = message(1, null, compress(1, inner), { timestamp: 5002, attributes: 1, offset: 2 });
    const batch = decodeRecordBatch(await upConvertLegacy(wrapper, 0));
    expect(batch.compression).toBe(1);
    expect(batch.records.map((r) => r.value!.toString())).toEqual(['m0', 'm1', 'm2']);
  });

  it('any bytes give a converted batch or a RecordValidationError, never anything else', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 0, max: 60 }), async (bytes, cut) => {
        // Half the cases start from a valid message set and get corrupted, half are pure noise.
        const valid = message(1, Buffer.from('key'), Buffer.from('value'), { timestamp: 1 });
        const input = bytes.length % 2 === 0 ? Buffer.from(bytes) : Buffer.concat([valid.subarray(0, Math.min(cut, valid.length)), Buffer.from(bytes)]);
        try {
          const out = await upConvertLegacy(input, 0);
          expect(decodeRecordBatch(out).magic).toBe(2);
        } catch (err) {
          expect(err).toBeInstanceOf(RecordValidationError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
