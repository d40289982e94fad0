import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as H from '../../../src/protocol/records/batch-header.ts';
import { decompress, type CompressionCodec } from '../../../src/protocol/records/compression/index.ts';
import { RecordValidationError } from '../../../src/protocol/records/errors.ts';
import { decodeLegacyMessageSet } from '../../../src/protocol/records/legacy-message-set.ts';
import { decodeRecordBatch, encodeRecordBatch, iterateBatches, splitBatches } from '../../../src/protocol/records/record-batch.ts';
import { decodeRecord } from '../../../src/protocol/records/record.ts';
import { validateBatch, validateProduceRecords } from '../../../src/protocol/records/validate.ts';
import { fixCrc, rawBatch } from './helpers.ts';

/**
 * Hostile input (issue 9): whatever the bytes, every entry point either returns or throws
 * RecordValidationError — never a RangeError from Buffer, never a hang, never an unbounded allocation
 * (the decompression limit is kept small here so a lucky bomb cannot eat memory).
 */
const LIMIT = 1024 * 1024;
/** RECORDS_FUZZ_SCALE=20 (say) runs the long form; CI keeps the short one. */
const SCALE = Number(process.env.RECORDS_FUZZ_SCALE ?? 1);
const itScaled = (name: string, fn: () => void) => it(name, fn, 30_000 * Math.max(1, SCALE));
const runs = (n: number) => ({ numRuns: Math.max(1, Math.round(n * SCALE)) });
const opts = { maxDecompressedBytes: LIMIT };

function onlyTypedErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof RecordValidationError)) throw err;
  }
}

function everyEntryPoint(buf: Buffer): void {
  onlyTypedErrors(() => validateBatch(buf, 0, opts));
  onlyTypedErrors(() => validateBatch(buf, 0, { ...opts, origin: 'log' }));
  onlyTypedErrors(() => validateProduceRecords(buf, opts));
  onlyTypedErrors(() => decodeRecordBatch(buf, 0, opts));
  onlyTypedErrors(() => [...iterateBatches(buf, opts)]);
  onlyTypedErrors(() => splitBatches(buf));
  onlyTypedErrors(() => decodeLegacyMessageSet(buf, opts));
  onlyTypedErrors(() => decodeRecord(buf));
}

const record = fc.record({
  key: fc.option(fc.uint8Array({ maxLength: 40 }), { nil: null }),
  value: fc.option(fc.uint8Array({ maxLength: 200 }), { nil: null }),
  headers: fc.array(fc.record({ key: fc.string({ maxLength: 10 }), value: fc.option(fc.uint8Array({ maxLength: 20 }), { nil: null }) }), { maxLength: 3 }),
  timestamp: fc.integer({ min: 0, max: 2 ** 45 }),
});
const codec = fc.constantFrom<CompressionCodec>(0, 1, 2, 3, 4);

describe('fuzz: random bytes', () => {
  itScaled('random buffers', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (a) => everyEntryPoint(Buffer.from(a))), runs(1000));
  });
  itScaled('random bytes behind a plausible header (magic 2, right length, right CRC)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.integer({ min: -2, max: 2 ** 31 - 1 }), fc.integer({ min: 0, max: 7 }), (region, count, codecId) => {
        everyEntryPoint(rawBatch(Buffer.from(region), { count, attributes: codecId }));
      }),
      runs(1000),
    );
  });
  itScaled('random bytes into every decompressor', () => {
    fc.assert(
      fc.property(codec, fc.uint8Array({ maxLength: 200 }), (c, a) => {
        onlyTypedErrors(() => decompress(c, Buffer.from(a), LIMIT));
      }),
      runs(1000),
    );
  });
});

describe('fuzz: mutated valid batches (CRC recomputed, so the record parser and decompressors see the damage)', () => {
  itScaled('byte flips, truncations and length tweaks', () => {
    fc.assert(
      fc.property(
        codec,
        fc.array(record, { minLength: 1, maxLength: 6 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        (c, records, flips, recomputeCrc) => {
          const batch = encodeRecordBatch({ compression: c, records });
          for (const [pos, byte] of flips) batch[H.RECORDS_START + (pos % (batch.length - H.RECORDS_START))] = byte;
          if (recomputeCrc) fixCrc(batch);
          everyEntryPoint(batch);
          everyEntryPoint(batch.subarray(0, batch.length - 1));
        },
      ),
      runs(500),
    );
  });
  itScaled('header field mutations (count, deltas, attributes, lengths)', () => {
    const fields = [H.BATCH_LENGTH, H.MAGIC, H.ATTRIBUTES, H.LAST_OFFSET_DELTA, H.RECORD_COUNT, H.BASE_TIMESTAMP + 4];
    fc.assert(
      fc.property(codec, fc.array(record, { minLength: 1, maxLength: 4 }), fc.constantFrom(...fields), fc.integer(), (c, records, field, value) => {
        const batch = encodeRecordBatch({ compression: c, records });
        if (field === H.MAGIC || field === H.ATTRIBUTES + 1) batch.writeInt8(value & 0x7f, field);
        else if (field === H.ATTRIBUTES) batch.writeInt16BE(value & 0x7fff, field);
        else batch.writeInt32BE(value | 0, field);
        if (field !== H.BATCH_LENGTH) fixCrc(batch);
        everyEntryPoint(batch);
      }),
      runs(500),
    );
  });
});

describe('property: encode → decode/validate round trip', () => {
  itScaled('any records, any codec', () => {
    fc.assert(
      fc.property(codec, fc.array(record, { minLength: 1, maxLength: 20 }), fc.bigInt({ min: -1n, max: 2n ** 62n }), (c, records, pid) => {
        const batch = encodeRecordBatch({ compression: c, records, producerId: pid, producerEpoch: pid < 0n ? -1 : 1, baseSequence: pid < 0n ? -1 : 0, baseOffset: 1000 });
        const d = decodeRecordBatch(batch);
        expect(d.records.length).toBe(records.length);
        d.records.forEach((r, i) => {
          const want = records[i]!;
          expect(r.offset).toBe(1000 + i);
          expect(r.timestamp).toBe(want.timestamp);
          expect(r.key === null ? null : [...r.key]).toEqual(want.key === null ? null : [...want.key]);
          expect(r.value === null ? null : [...r.value]).toEqual(want.value === null ? null : [...want.value]);
          expect(r.headers.map((h) => [h.key, h.value === null ? null : [...h.value]])).toEqual(want.headers.map((h) => [h.key, h.value === null ? null : [...h.value]]));
        });
        const v = validateProduceRecords(batch);
        expect(v.maxTimestamp).toBe(Math.max(...records.map((r) => r.timestamp)));
        expect(v.producerId).toBe(pid);
      }),
      runs(300),
    );
  });
});
