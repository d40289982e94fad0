import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/protocol/errors.ts';
import { Reader } from '../../src/protocol/primitives/reader.ts';
import { Writer } from '../../src/protocol/primitives/writer.ts';
import { readUnsignedVarint, readVarint, readVarlong, VarintError, varlongSize, writeVarlong } from '../../src/protocol/primitives/varint.ts';

const bytes = (...b: number[]) => Buffer.from(b);
const written = (f: (w: Writer) => void): Buffer => {
  const w = new Writer(4);
  f(w);
  return w.finish();
};

describe('Writer/Reader encodings match the Kafka spec', () => {
  it('fixed-width integers are big-endian two’s complement', () => {
    expect(written((w) => w.int8(-1).int16(-2).int32(0x01020304).uint16(0xfffe).uint32(0xfffffffe))).toEqual(
      bytes(0xff, 0xff, 0xfe, 1, 2, 3, 4, 0xff, 0xfe, 0xff, 0xff, 0xff, 0xfe),
    );
    expect(written((w) => w.int64(-2n))).toEqual(bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe));
    expect(written((w) => w.float64(1))).toEqual(bytes(0x3f, 0xf0, 0, 0, 0, 0, 0, 0));
  });

  it('strings: int16 length, compact N+1, null as -1 / 0', () => {
    expect(written((w) => w.string('ab'))).toEqual(bytes(0, 2, 0x61, 0x62));
    expect(written((w) => w.nullableString(null))).toEqual(bytes(0xff, 0xff));
    expect(written((w) => w.compactString('ab'))).toEqual(bytes(3, 0x61, 0x62));
    expect(written((w) => w.compactNullableString(null))).toEqual(bytes(0));
    expect(written((w) => w.string('é'))).toEqual(bytes(0, 2, 0xc3, 0xa9));
  });

  it('bytes: int32 length, compact N+1, null as -1 / 0', () => {
    expect(written((w) => w.bytes(bytes(9)))).toEqual(bytes(0, 0, 0, 1, 9));
    expect(written((w) => w.nullableBytes(null))).toEqual(bytes(0xff, 0xff, 0xff, 0xff));
    expect(written((w) => w.compactBytes(bytes(9)))).toEqual(bytes(2, 9));
    expect(written((w) => w.compactNullableBytes(null))).toEqual(bytes(0));
  });

  it('varints: LEB128 and zigzag as in protobuf', () => {
    expect(written((w) => w.unsignedVarint(300))).toEqual(bytes(0xac, 0x02));
    expect(written((w) => w.unsignedVarint(0xffffffff))).toEqual(bytes(0xff, 0xff, 0xff, 0xff, 0x0f));
    expect(written((w) => w.varint(-1))).toEqual(bytes(1));
    expect(written((w) => w.varint(1))).toEqual(bytes(2));
    expect(written((w) => w.varint(-2147483648))).toEqual(bytes(0xff, 0xff, 0xff, 0xff, 0x0f));
    expect(written((w) => w.varlong(-1))).toEqual(bytes(1));
    expect(written((w) => w.varlongBig(-9223372036854775808n))).toEqual(bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01));
  });

  it('uuid: 16 raw bytes shown as 22-char base64url, zero uuid', () => {
    const zero = written((w) => w.uuid('AAAAAAAAAAAAAAAAAAAAAA'));
    expect(zero).toEqual(Buffer.alloc(16));
    const raw = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    const id = new Reader(raw).uuid();
    expect(id).toBe(raw.toString('base64url'));
    expect(id).toHaveLength(22);
    expect(written((w) => w.uuid(id))).toEqual(raw);
    expect(() => written((w) => w.uuid('not-a-uuid'))).toThrow(ProtocolError);
  });

  it('bytes are read as views of the input, not copies', () => {
    const buf = bytes(0, 0, 0, 2, 7, 8);
    const b = new Reader(buf).bytes();
    b[0] = 99;
    expect(buf[4]).toBe(99);
  });

  it('endSized inserts the size in front of a value, also when the size needs 2 bytes', () => {
    for (const n of [0, 5, 127, 128, 300]) {
      const out = written((w) => {
        w.int8(1);
        const m = w.beginSized();
        w.raw(Buffer.alloc(n, 7));
        w.endSized(m);
        w.int8(2);
      });
      const r = new Reader(out);
      expect(r.int8()).toBe(1);
      expect(r.unsignedVarint()).toBe(n);
      expect(r.raw(n).every((x) => x === 7)).toBe(true);
      expect(r.int8()).toBe(2);
      expect(r.remaining()).toBe(0);
    }
  });

  it('grows from a tiny buffer and finish() detaches the result from later writes', () => {
    const w = new Writer(1);
    w.string('x'.repeat(1000));
    const first = w.finish();
    w.string('y'.repeat(10));
    const second = w.finish();
    expect(first.length).toBe(1002);
    expect(first.subarray(2).toString()).toBe('x'.repeat(1000));
    expect(second.subarray(2).toString()).toBe('y'.repeat(10));
  });

  it('round-trips arbitrary values (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -128, max: 127 }),
        fc.integer({ min: -32768, max: 32767 }),
        fc.integer({ min: -2147483648, max: 2147483647 }),
        fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
        fc.double({ noNaN: true }),
        fc.string({ unit: 'grapheme', maxLength: 50 }),
        fc.option(fc.string({ maxLength: 50 })),
        fc.uint8Array({ maxLength: 300 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }),
        (i8, i16, i32, i64, f64, s, ns, b, u32, long) => {
          const buf = written((w) =>
            w
              .int8(i8)
              .int16(i16)
              .int32(i32)
              .int64(i64)
              .float64(f64)
              .string(s)
              .compactNullableString(ns)
              .compactBytes(b)
              .nullableBytes(b)
              .unsignedVarint(u32)
              .varint(i32)
              .varlong(long)
              .varlongBig(i64)
              .uint32(u32),
          );
          const r = new Reader(buf);
          expect(r.int8()).toBe(i8);
          expect(r.int16()).toBe(i16);
          expect(r.int32()).toBe(i32);
          expect(r.int64()).toBe(i64);
          expect(Object.is(r.float64(), f64)).toBe(true);
          expect(r.string()).toBe(s);
          expect(r.compactNullableString()).toBe(ns);
          expect(r.compactBytes()).toEqual(Buffer.from(b));
          expect(r.nullableBytes()).toEqual(Buffer.from(b));
          expect(r.unsignedVarint()).toBe(u32);
          expect(r.varint()).toBe(i32);
          expect(r.varlong()).toBe(long);
          expect(r.varlongBig()).toBe(i64);
          expect(r.uint32()).toBe(u32);
          expect(r.remaining()).toBe(0);
          // The shared varint.ts functions read the same bytes.
          const w2 = written((w) => w.unsignedVarint(u32).varint(i32).varlong(long));
          const cur = { pos: 0 };
          expect(readUnsignedVarint(w2, cur)).toBe(u32);
          expect(readVarint(w2, cur)).toBe(i32);
          expect(readVarlong(w2, cur)).toBe(long);
          const viaBig = written((w) => w.varlongBig(BigInt(long)));
          const b2 = Buffer.alloc(10);
          expect(b2.subarray(0, writeVarlong(b2, 0, long))).toEqual(viaBig);
          expect(varlongSize(long)).toBe(viaBig.length);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('Reader rejects malformed input with ProtocolError', () => {
  const cases: [string, Buffer, (r: Reader) => unknown][] = [
    ['int32 past the end', bytes(0, 0, 1), (r) => r.int32()],
    ['int64 past the end', bytes(0, 0, 0, 0, 0, 0, 0), (r) => r.int64()],
    ['uuid past the end', Buffer.alloc(15), (r) => r.uuid()],
    ['string longer than the data', bytes(0, 5, 0x61), (r) => r.string()],
    ['null in a non-nullable string', bytes(0xff, 0xff), (r) => r.string()],
    ['negative string length', bytes(0xff, 0xfe), (r) => r.nullableString()],
    ['null in non-nullable bytes', bytes(0xff, 0xff, 0xff, 0xff), (r) => r.bytes()],
    ['negative bytes length', bytes(0x80, 0, 0, 0), (r) => r.nullableBytes()],
    ['bytes longer than the data', bytes(0, 0, 0, 9, 1), (r) => r.bytes()],
    ['null in a non-nullable compact string', bytes(0), (r) => r.compactString()],
    ['compact bytes longer than the data', bytes(10, 1), (r) => r.compactBytes()],
    ['unterminated varint', bytes(0x80, 0x80), (r) => r.unsignedVarint()],
    ['varint longer than 5 bytes', bytes(0xff, 0xff, 0xff, 0xff, 0x7f), (r) => r.unsignedVarint()],
    ['varlong longer than 10 bytes', Buffer.alloc(11, 0xff), (r) => r.varlong()],
    ['varlongBig longer than 10 bytes', Buffer.alloc(11, 0xff), (r) => r.varlongBig()],
    ['array count beyond the data', bytes(0x7f, 0xff, 0xff, 0xff), (r) => r.array((x) => x.int8())],
    ['negative array count', bytes(0xff, 0xff, 0xff, 0xfe), (r) => r.nullableArray((x) => x.int8())],
    ['null non-nullable array', bytes(0xff, 0xff, 0xff, 0xff), (r) => r.array((x) => x.int8())],
    ['compact array count beyond the data', bytes(0xff, 0xff, 0xff, 0xff, 0x0f), (r) => r.compactArray((x) => x.int8())],
    ['tagged field larger than the data', bytes(1, 0, 5, 1), (r) => r.taggedFields()],
  ];
  for (const [name, buf, read] of cases) {
    it(name, () => {
      expect(() => read(new Reader(buf))).toThrow(ProtocolError);
    });
  }

  it('respects an end bound inside a larger buffer', () => {
    const r = new Reader(bytes(0, 1, 2, 3, 4, 5), 1, 3);
    expect(r.int16()).toBe(0x0102);
    expect(() => r.int8()).toThrow(ProtocolError);
  });

  it('varint.ts errors are ProtocolErrors too', () => {
    expect(() => readUnsignedVarint(bytes(0x80), { pos: 0 })).toThrow(VarintError);
    expect(() => readUnsignedVarint(bytes(0x80), { pos: 0 })).toThrow(ProtocolError);
  });

  it('Writer rejects values it cannot encode', () => {
    expect(() => written((w) => w.string(null as unknown as string))).toThrow(ProtocolError);
    expect(() => written((w) => w.string('x'.repeat(40000)))).toThrow(ProtocolError);
    expect(() => written((w) => w.array(null as unknown as number[], (x, v) => x.int8(v)))).toThrow(ProtocolError);
  });
});
