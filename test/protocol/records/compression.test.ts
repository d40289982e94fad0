import { randomBytes } from 'node:crypto';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  compress,
  compressAsync,
  Compression,
  compressionName,
  decompress,
  decompressAsync,
  toCompressionCodec,
  type CompressionCodec,
} from '../../../src/protocol/records/compression/index.ts';
import { compressLz4, decompressLz4, xxh32 } from '../../../src/protocol/records/compression/lz4.ts';
import { compressSnappy, decompressSnappy, XERIAL_MAGIC } from '../../../src/protocol/records/compression/snappy.ts';
import { DecompressedSizeLimitError, RecordErrorCode } from '../../../src/protocol/records/errors.ts';
import { expectRecordError, expectRecordErrorAsync, requireCjs } from './helpers.ts';

const lz4js = requireCjs('lz4js') as { compress(b: Uint8Array): Uint8Array; decompress(b: Uint8Array): Uint8Array };
const lz4jsXxh = requireCjs('lz4js/xxh32.js') as { hash(seed: number, b: Uint8Array, i: number, n: number): number };
const snappyjs = requireCjs('snappyjs') as { compress(b: Buffer): Buffer };

const LIMIT = 64 * 1024 * 1024;
const samples: [string, Buffer][] = [
  ['empty', Buffer.alloc(0)],
  ['one byte', Buffer.from('x')],
  ['short text', Buffer.from('hello hello hello hello, kafka records')],
  ['random 70 KiB (incompressible, crosses a 64 KiB lz4 block)', randomBytes(70 * 1024)],
  ['zeros 300 KiB', Buffer.alloc(300 * 1024)],
  ['repetitive 200 KiB', Buffer.from('key-value-header-'.repeat(12_000))],
  ['mixed', Buffer.concat([randomBytes(1000), Buffer.alloc(5000, 0x61), randomBytes(3), Buffer.from('abcabcabcab'.repeat(900))])],
];
const codecs: CompressionCodec[] = [0, 1, 2, 3, 4];

describe('codecs round trip', () => {
  for (const codec of codecs) {
    for (const [name, data] of samples) {
      it(`${compressionName(codec)}: ${name}`, async () => {
        const c = compress(codec, data);
        expect(decompress(codec, c, LIMIT).equals(data)).toBe(true);
        const ca = await compressAsync(codec, data);
        expect((await decompressAsync(codec, ca, LIMIT)).equals(data)).toBe(true);
        if (codec !== 0 && data.length > 10_000 && name.startsWith('zeros')) expect(c.length).toBeLessThan(data.length / 20);
      });
    }
  }
});

describe('codec names', () => {
  it('maps names and ids both ways', () => {
    expect(toCompressionCodec('GZIP')).toBe(1);
    expect(toCompressionCodec('zstd')).toBe(Compression.zstd);
    expect(toCompressionCodec(3)).toBe(3);
    expect(compressionName(2)).toBe('snappy');
    expect(compressionName(6)).toBe('unknown(6)');
    expect(() => toCompressionCodec('brotli')).toThrow(/unknown compression/);
    expect(() => toCompressionCodec(5)).toThrow(RangeError);
  });
  it('unknown codec ids give UNSUPPORTED_COMPRESSION_TYPE', () => {
    expectRecordError(() => decompress(5, Buffer.from('x'), LIMIT), RecordErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
    expectRecordError(() => decompress(7, Buffer.from('x'), LIMIT), RecordErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
  });
});

describe('lz4 frame interoperability (lz4js as the independent implementation)', () => {
  for (const [name, data] of samples) {
    it(`ours → lz4js and lz4js → ours: ${name}`, () => {
      expect(Buffer.from(lz4js.decompress(compressLz4(data))).equals(data)).toBe(true);
      if (data.length > 0) expect(decompressLz4(Buffer.from(lz4js.compress(data)), LIMIT).equals(data)).toBe(true);
    });
  }
  it('writes the Kafka/librdkafka frame shape: version 01, independent 64 KiB blocks, valid header checksum', () => {
    const f = compressLz4(Buffer.from('abc'));
    expect(f.readUInt32LE(0)).toBe(0x184d2204);
    expect(f[4]).toBe(0x60);
    expect(f[5]).toBe(0x40);
    expect(f[6]).toBe((lz4jsXxh.hash(0, f, 4, 2) >>> 8) & 0xff);
  });
  it('xxh32 matches lz4js for many lengths', () => {
    const data = randomBytes(100);
    for (let n = 0; n <= 100; n += 7) expect(xxh32(data, 0, n, 0)).toBe(lz4jsXxh.hash(0, data, 0, n) >>> 0);
  });
  it('reads frames with block checksums, content size and content checksum fields', () => {
    // Hand-built frame: FLG = version 01 | block checksum | content size | content checksum.
    const payload = Buffer.from('plain literal block');
    const parts = [
      Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x40 | 0x10 | 0x08 | 0x04, 0x40]),
      Buffer.alloc(8), // content size (value unused)
      Buffer.from([0x00]), // header checksum (not checked: Kafka magic-0 quirk)
      Buffer.from(Uint32Array.of((0x80000000 | payload.length) >>> 0).buffer),
      payload,
      Buffer.alloc(4), // block checksum
      Buffer.alloc(4), // end mark
      Buffer.alloc(4), // content checksum
    ];
    expect(decompressLz4(Buffer.concat(parts), LIMIT).toString()).toBe('plain literal block');
  });
  it('rejects corrupt frames with typed errors', () => {
    const good = compressLz4(Buffer.from('hello hello hello hello hello hello'));
    expectRecordError(() => decompressLz4(Buffer.from('nope'), LIMIT), RecordErrorCode.INVALID_RECORD, /magic/);
    expectRecordError(() => decompressLz4(good.subarray(0, good.length - 4), LIMIT), RecordErrorCode.INVALID_RECORD);
    expectRecordError(() => decompressLz4(good.subarray(0, 9), LIMIT), RecordErrorCode.INVALID_RECORD);
    // A match offset pointing before the start of the output.
    const bad = Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82, 4, 0, 0, 0, 0x10, 0x61, 0xff, 0x00, 0, 0, 0, 0]);
    expectRecordError(() => decompressLz4(bad, LIMIT), RecordErrorCode.INVALID_RECORD, /offset/);
  });
});

describe('snappy: raw blocks and xerial framing', () => {
  it('writes raw blocks that snappyjs (librdkafka-style) reads', () => {
    const data = Buffer.from('x'.repeat(1000) + 'y');
    expect(compressSnappy(data).subarray(0, 8).equals(XERIAL_MAGIC)).toBe(false);
  });
  it('reads xerial-framed data with several chunks, as snappy-java writes it', () => {
    const a = Buffer.from('first chunk '.repeat(100));
    const b = randomBytes(5000);
    const chunk = (d: Buffer) => {
      const c = snappyjs.compress(d);
      const len = Buffer.alloc(4);
      len.writeInt32BE(c.length);
      return Buffer.concat([len, c]);
    };
    const versions = Buffer.from([0, 0, 0, 1, 0, 0, 0, 1]);
    const framed = Buffer.concat([XERIAL_MAGIC, versions, chunk(a), chunk(b)]);
    expect(decompressSnappy(framed, LIMIT).equals(Buffer.concat([a, b]))).toBe(true);
    expect(decompress(2, framed, LIMIT).equals(Buffer.concat([a, b]))).toBe(true);
    // Chunk length running past the data.
    const cut = framed.subarray(0, framed.length - 10);
    expectRecordError(() => decompressSnappy(cut, LIMIT), RecordErrorCode.INVALID_RECORD, /xerial/);
    // The size limit applies across chunks.
    expect(() => decompressSnappy(framed, a.length + 100)).toThrow(DecompressedSizeLimitError);
  });
  it('rejects, without hanging, input on which snappyjs loops forever (found by the fuzz test)', () => {
    const hangsSnappyjs = Buffer.from(
      '228bb251259138e6cb2c66a4f0a648c99e9654a643e1fc832b46a6c202e6f05142a9b30c4f9dbde7acbb8e4e06fc767bb24123483f22e6482d4523eb8963d5388f261d6d5b3bee47d70dd929fa1a3797caad90044975532ba8586ffeb0a1539ffcf213fc2cb904efd628808551e895032013cce5',
      'hex',
    );
    expectRecordError(() => decompressSnappy(hangsSnappyjs, LIMIT), RecordErrorCode.INVALID_RECORD);
  });
  it('rejects blocks whose output does not match the declared length', () => {
    const block = compressSnappy(Buffer.from('abcdefgh'.repeat(10)));
    const longer = Buffer.from(block);
    longer[0] = longer[0]! + 1; // declares one more byte than the elements produce
    expectRecordError(() => decompressSnappy(longer, LIMIT), RecordErrorCode.INVALID_RECORD, /declares/);
    expectRecordError(() => decompressSnappy(block.subarray(0, block.length - 1), LIMIT), RecordErrorCode.INVALID_RECORD);
  });
  it('rejects a block without a length prefix', () => {
    expectRecordError(() => decompressSnappy(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), LIMIT), RecordErrorCode.INVALID_RECORD);
    expectRecordError(() => decompressSnappy(Buffer.alloc(0), LIMIT), RecordErrorCode.INVALID_RECORD);
  });
});

describe('decompressed-size limit (compression bombs)', () => {
  const big = Buffer.alloc(8 * 1024 * 1024); // 8 MiB of zeros compresses to a few KiB
  const limit = 1024 * 1024;
  for (const codec of [1, 2, 3, 4] as const) {
    it(`${compressionName(codec)}: 8 MiB of zeros with a 1 MiB limit → MESSAGE_TOO_LARGE`, async () => {
      const bomb = compress(codec, big);
      expect(bomb.length).toBeLessThan(big.length / 20);
      const e = expectRecordError(() => decompress(codec, bomb, limit), RecordErrorCode.MESSAGE_TOO_LARGE, /limit/);
      expect(e).toBeInstanceOf(DecompressedSizeLimitError);
      await expectRecordErrorAsync(decompressAsync(codec, bomb, limit), RecordErrorCode.MESSAGE_TOO_LARGE);
      // Exactly at the limit is fine.
      expect(decompress(codec, compress(codec, big.subarray(0, limit)), limit).length).toBe(limit);
    });
  }
  it('a gzip bomb far past the limit stops early (64 MiB from a ~64 KiB stream, 16 MiB limit)', () => {
    const stream = zlib.gzipSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 });
    expect(stream.length).toBeLessThan(128 * 1024);
    expectRecordError(() => decompress(1, stream, 16 * 1024 * 1024), RecordErrorCode.MESSAGE_TOO_LARGE);
  });
  it('a snappy block declaring 4 GiB fails before allocating', () => {
    const lying = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]);
    expectRecordError(() => decompress(2, lying, limit), RecordErrorCode.MESSAGE_TOO_LARGE);
  });
  it('garbage input gives INVALID_RECORD, not a zlib error', async () => {
    for (const codec of [1, 4] as const) {
      expectRecordError(() => decompress(codec, Buffer.from('definitely not compressed'), limit), RecordErrorCode.INVALID_RECORD);
      await expectRecordErrorAsync(decompressAsync(codec, Buffer.from('nope nope'), limit), RecordErrorCode.INVALID_RECORD);
    }
  });
});
