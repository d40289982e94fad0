import { DecompressedSizeLimitError, invalidRecord } from '../errors.ts';

/**
 * LZ4 in the LZ4 *frame* format, as Kafka (magic 1+), librdkafka and Java write it. Our own small
 * codec rather than lz4js: lz4js allocates a 5 MiB buffer when it is imported (every CLI start would
 * pay for it) and its decoder has no bounds checks, which hostile batches would exploit. lz4js stays
 * a test-only reference for interoperability.
 *
 * Writing: frame version 01, independent 64 KiB blocks, no checksums (the batch CRC-32C covers the
 * bytes) — the same shape as Java's KafkaLZ4BlockOutputStream and librdkafka.
 * Reading: any frame — linked or independent blocks, optional block/content checksums (skipped, the
 * batch CRC already covers them), content size, dictionary id field. The header checksum byte is not
 * checked: Kafka before 0.10 (magic 0) computed it over the wrong bytes, and clients still carry that
 * quirk for old data.
 */
const FRAME_MAGIC = 0x184d2204;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
const BLOCK_SIZE = 64 * 1024;
const UNCOMPRESSED_BIT = 0x80000000;

const MIN_MATCH = 4;
const LAST_LITERALS = 5;
const MF_LIMIT = 12;
const HASH_LOG = 14;
const hashTable = new Int32Array(1 << HASH_LOG);

// ---------------------------------------------------------------------------------------------
// Compression

export function compressLz4(data: Uint8Array): Buffer {
  const blocks = Math.max(1, Math.ceil(data.length / BLOCK_SIZE));
  // compressBlock never writes more than the raw block, so raw size + headers is a hard bound.
  const out = Buffer.allocUnsafe(7 + blocks * 4 + data.length + 4);
  out.writeUInt32LE(FRAME_MAGIC, 0);
  out[4] = 0x60; // version 01, block independence
  out[5] = 0x40; // max block size 64 KiB
  out[6] = (xxh32(out, 4, 2, 0) >>> 8) & 0xff;
  let pos = 7;
  for (let start = 0; start < data.length; start += BLOCK_SIZE) {
    const end = Math.min(start + BLOCK_SIZE, data.length);
    const size = compressBlock(data, start, end, out, pos + 4);
    if (size > 0 && size < end - start) {
      out.writeUInt32LE(size, pos);
      pos += 4 + size;
    } else {
      out.writeUInt32LE((UNCOMPRESSED_BIT | (end - start)) >>> 0, pos);
      out.set(data.subarray(start, end), pos + 4);
      pos += 4 + end - start;
    }
  }
  out.writeUInt32LE(0, pos); // end mark
  pos += 4;
  return out.subarray(0, pos);
}

const readU32 = (b: Uint8Array, i: number): number => (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;

/**
 * Greedy LZ4 block compressor (the reference "fast" algorithm). Returns the compressed size, or 0
 * when it would not fit in the input's own size (the caller then stores the block uncompressed).
 */
function compressBlock(src: Uint8Array, start: number, end: number, dst: Uint8Array, dStart: number): number {
  const limit = dStart + (end - start); // never write more than the raw block would take
  let d = dStart;
  let anchor = start;
  if (end - start >= MF_LIMIT + 1) {
    hashTable.fill(0);
    const mfLimit = end - MF_LIMIT;
    const matchLimit = end - LAST_LITERALS;
    let ip = start;
    let searches = 1 << 6;
    while (ip < mfLimit) {
      const seq = readU32(src, ip);
      const h = Math.imul(seq, 2654435761) >>> (32 - HASH_LOG);
      const ref = hashTable[h]! - 1;
      hashTable[h] = ip + 1;
      if (ref < start || ip - ref > 65535 || readU32(src, ref) !== seq) {
        ip += searches++ >> 6; // skip faster through incompressible data
        continue;
      }
      searches = 1 << 6;
      let len = MIN_MATCH;
      while (ip + len < matchLimit && src[ip + len] === src[ref + len]) len++;
      const literals = ip - anchor;
      if (d + 1 + ((literals / 255) | 0) + 1 + literals + 2 + (((len - MIN_MATCH) / 255) | 0) + 1 > limit) return 0;
      d = writeSequence(src, anchor, literals, dst, d, ip - ref, len - MIN_MATCH);
      ip += len;
      anchor = ip;
    }
  }
  const literals = end - anchor;
  if (d + 1 + ((literals / 255) | 0) + 1 + literals > limit) return 0;
  d = writeSequence(src, anchor, literals, dst, d, 0, -1);
  return d - dStart;
}

/** One sequence: token, literal run, and (unless matchExtra < 0, the final literals) offset + match length. */
function writeSequence(src: Uint8Array, lit: number, literals: number, dst: Uint8Array, d: number, offset: number, matchExtra: number): number {
  const tokenPos = d++;
  let token = 0;
  if (literals >= 15) {
    token = 0xf0;
    let n = literals - 15;
    for (; n >= 255; n -= 255) dst[d++] = 255;
    dst[d++] = n;
  } else token = literals << 4;
  dst.set(src.subarray(lit, lit + literals), d);
  d += literals;
  if (matchExtra >= 0) {
    dst[d++] = offset & 0xff;
    dst[d++] = offset >>> 8;
    if (matchExtra >= 15) {
      token |= 0x0f;
      let n = matchExtra - 15;
      for (; n >= 255; n -= 255) dst[d++] = 255;
      dst[d++] = n;
    } else token |= matchExtra;
  }
  dst[tokenPos] = token;
  return d;
}

// ---------------------------------------------------------------------------------------------
// Decompression

/** Growable output bounded by the decompressed-size limit. */
interface Out {
  buf: Buffer;
  pos: number;
  limit: number;
}

function ensure(out: Out, n: number): void {
  const need = out.pos + n;
  if (need <= out.buf.length) return;
  if (need > out.limit) throw new DecompressedSizeLimitError('lz4', out.limit);
  const grown = Buffer.allocUnsafe(Math.min(out.limit, Math.max(need, out.buf.length * 2)));
  out.buf.copy(grown, 0, 0, out.pos);
  out.buf = grown;
}

export function decompressLz4(data: Uint8Array, limit: number): Buffer {
  const src = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const out: Out = { buf: Buffer.allocUnsafe(Math.min(limit, Math.max(1024, src.length * 4))), pos: 0, limit };
  let p = 0;
  let frames = 0;
  while (p + 4 <= src.length) {
    const magic = src.readUInt32LE(p);
    if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      if (p + 8 > src.length) throw invalidRecord('lz4 skippable frame cut short');
      p += 8 + src.readUInt32LE(p + 4);
      continue;
    }
    if (magic !== FRAME_MAGIC) {
      if (frames > 0) break; // trailing bytes after a complete frame: ignore, as the LZ4 tools do
      throw invalidRecord(`lz4 data does not start with the frame magic (found 0x${magic.toString(16)})`);
    }
    p = decodeFrame(src, p + 4, out);
    frames++;
  }
  if (frames === 0) throw invalidRecord('lz4 data holds no frame');
  return out.buf.subarray(0, out.pos);
}

function decodeFrame(src: Buffer, p: number, out: Out): number {
  if (p + 3 > src.length) throw invalidRecord('lz4 frame descriptor cut short');
  const flg = src[p]!;
  if (flg >>> 6 !== 1) throw invalidRecord(`lz4 frame version ${flg >>> 6} is not supported`);
  const blockChecksum = (flg & 0x10) !== 0;
  const contentSize = (flg & 0x08) !== 0;
  const contentChecksum = (flg & 0x04) !== 0;
  const dictId = (flg & 0x01) !== 0;
  const bd = src[p + 1]!;
  const maxBlock = [0, 0, 0, 0, 0x10000, 0x40000, 0x100000, 0x400000][(bd >>> 4) & 7]!;
  if (maxBlock === 0) throw invalidRecord(`lz4 frame block size id ${(bd >>> 4) & 7} is invalid`);
  p += 2 + (contentSize ? 8 : 0) + (dictId ? 4 : 0) + 1; // flg, bd, [size], [dict], header checksum
  if (p > src.length) throw invalidRecord('lz4 frame descriptor cut short');
  for (;;) {
    if (p + 4 > src.length) throw invalidRecord('lz4 frame has no end mark');
    const word = src.readUInt32LE(p);
    p += 4;
    if (word === 0) break;
    const size = word & 0x7fffffff;
    if (size > maxBlock || p + size > src.length) {
      throw invalidRecord(`lz4 block of ${size} bytes runs past the data or the frame's ${maxBlock}-byte block size`);
    }
    if (word & UNCOMPRESSED_BIT) {
      ensure(out, size);
      src.copy(out.buf, out.pos, p, p + size);
      out.pos += size;
    } else decodeBlock(src, p, p + size, out);
    p += size + (blockChecksum ? 4 : 0);
  }
  if (contentChecksum) p += 4;
  if (p > src.length) throw invalidRecord('lz4 frame checksum cut short');
  return p;
}

function decodeBlock(src: Buffer, s: number, end: number, out: Out): void {
  while (s < end) {
    const token = src[s++]!;
    let literals = token >>> 4;
    if (literals === 15) {
      let b: number;
      do {
        if (s >= end) throw invalidRecord('lz4 literal length runs past the block');
        b = src[s++]!;
        literals += b;
      } while (b === 255);
    }
    if (s + literals > end) throw invalidRecord('lz4 literals run past the block');
    ensure(out, literals);
    src.copy(out.buf, out.pos, s, s + literals);
    out.pos += literals;
    s += literals;
    if (s === end) return; // the last sequence is literals only
    if (s + 2 > end) throw invalidRecord('lz4 match offset runs past the block');
    const offset = src[s]! | (src[s + 1]! << 8);
    s += 2;
    if (offset === 0 || offset > out.pos) throw invalidRecord(`lz4 match offset ${offset} points before the output`);
    let len = token & 0x0f;
    if (len === 15) {
      let b: number;
      do {
        if (s >= end) throw invalidRecord('lz4 match length runs past the block');
        b = src[s++]!;
        len += b;
      } while (b === 255);
    }
    len += MIN_MATCH;
    ensure(out, len);
    const buf = out.buf;
    let d = out.pos;
    let from = d - offset;
    if (offset >= len) buf.copy(buf, d, from, from + len);
    else {
      // Overlapping match (a run): copy the repeating pattern, doubling the chunk each step.
      let remaining = len;
      let chunk = offset;
      while (remaining > 0) {
        const n = Math.min(chunk, remaining);
        buf.copy(buf, d, from, from + n);
        d += n;
        remaining -= n;
        chunk += n;
      }
      d = out.pos;
    }
    out.pos = d + len;
  }
}

// ---------------------------------------------------------------------------------------------
// xxHash32, only for the frame header checksum byte.

const P1 = 2654435761;
const P2 = 2246822519;
const P3 = 3266489917;
const P4 = 668265263;
const P5 = 374761393;
const rotl = (x: number, r: number): number => (x << r) | (x >>> (32 - r));

export function xxh32(buf: Uint8Array, start: number, len: number, seed: number): number {
  let i = start;
  const end = start + len;
  let h: number;
  if (len >= 16) {
    let v1 = (seed + P1 + P2) | 0;
    let v2 = (seed + P2) | 0;
    let v3 = seed | 0;
    let v4 = (seed - P1) | 0;
    const limit = end - 16;
    while (i <= limit) {
      v1 = Math.imul(rotl((v1 + Math.imul(readU32(buf, i), P2)) | 0, 13), P1);
      v2 = Math.imul(rotl((v2 + Math.imul(readU32(buf, i + 4), P2)) | 0, 13), P1);
      v3 = Math.imul(rotl((v3 + Math.imul(readU32(buf, i + 8), P2)) | 0, 13), P1);
      v4 = Math.imul(rotl((v4 + Math.imul(readU32(buf, i + 12), P2)) | 0, 13), P1);
      i += 16;
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0;
  } else h = (seed + P5) | 0;
  h = (h + len) | 0;
  while (i + 4 <= end) {
    h = Math.imul(rotl((h + Math.imul(readU32(buf, i), P3)) | 0, 17), P4);
    i += 4;
  }
  while (i < end) {
    h = Math.imul(rotl((h + Math.imul(buf[i]!, P5)) | 0, 11), P1);
    i++;
  }
  h ^= h >>> 15;
  h = Math.imul(h, P2);
  h ^= h >>> 13;
  h = Math.imul(h, P3);
  h ^= h >>> 16;
  return h >>> 0;
}
