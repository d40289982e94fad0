import * as snappyjs from 'snappyjs';
import { DecompressedSizeLimitError, invalidRecord } from '../errors.ts';

/**
 * Snappy as Kafka clients write it: librdkafka writes one raw snappy block; the Java client (through
 * snappy-java) writes the "xerial" framing: magic `82 'SNAPPY' 00`, int32 version, int32 compatible
 * version, then chunks of int32 length + raw block. We read both and write raw blocks (Java's
 * SnappyInputStream falls back to a raw block when the magic is absent, so every client reads them).
 * Compression uses snappyjs (pure JS, works in the single executable); decompression is our own.
 */
export const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER = 16;

export function compressSnappy(data: Uint8Array): Buffer {
  return snappyjs.compress(toBuffer(data));
}

export function isXerialFramed(data: Uint8Array): boolean {
  if (data.length < XERIAL_HEADER) return false;
  for (let i = 0; i < XERIAL_MAGIC.length; i++) if (data[i] !== XERIAL_MAGIC[i]) return false;
  return true;
}

export function decompressSnappy(data: Uint8Array, limit: number): Buffer {
  const buf = toBuffer(data);
  if (!isXerialFramed(buf)) return decompressRawBlock(buf, limit, limit);
  const chunks: Buffer[] = [];
  let total = 0;
  let pos = XERIAL_HEADER;
  while (pos < buf.length) {
    if (pos + 4 > buf.length) throw invalidRecord(`xerial snappy chunk header cut short at byte ${pos}`);
    const len = buf.readInt32BE(pos);
    pos += 4;
    if (len < 0 || pos + len > buf.length) {
      throw invalidRecord(`xerial snappy chunk length ${len} at byte ${pos - 4} runs past the ${buf.length}-byte blob`);
    }
    const chunk = decompressRawBlock(buf.subarray(pos, pos + len), limit - total, limit);
    total += chunk.length;
    chunks.push(chunk);
    pos += len;
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
}

/**
 * Our own raw-block decoder rather than snappyjs's: snappyjs loops forever on some corrupt input (a
 * 4-byte literal length turns negative and walks the cursor backwards — found by the fuzz test) and
 * does not check that the output is complete. This one checks every length and offset, and the
 * declared size against the limit before allocating.
 */
function decompressRawBlock(block: Buffer, remaining: number, limit: number): Buffer {
  let length = 0;
  let shift = 0;
  let s = 0;
  for (;;) {
    if (s >= block.length || shift > 28) throw invalidRecord('snappy block has no valid uncompressed-length prefix');
    const b = block[s++]!;
    length += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) break;
    shift += 7;
  }
  if (length > remaining) throw new DecompressedSizeLimitError('snappy', limit);
  const out = Buffer.allocUnsafe(length);
  let d = 0;
  const end = block.length;
  while (s < end) {
    const tag = block[s++]!;
    const type = tag & 3;
    if (type === 0) {
      let len = tag >>> 2;
      if (len >= 60) {
        const n = len - 59; // 1–4 little-endian bytes hold len - 1
        if (s + n > end) throw invalidRecord('snappy literal length runs past the block');
        len = 0;
        for (let i = 0; i < n; i++) len += block[s + i]! * 2 ** (8 * i);
        s += n;
      }
      len += 1;
      if (s + len > end || d + len > length) throw invalidRecord('snappy literal runs past the block or the declared length');
      block.copy(out, d, s, s + len);
      s += len;
      d += len;
      continue;
    }
    let len: number;
    let offset: number;
    if (type === 1) {
      if (s + 1 > end) throw invalidRecord('snappy copy runs past the block');
      len = ((tag >>> 2) & 7) + 4;
      offset = ((tag >>> 5) << 8) | block[s++]!;
    } else if (type === 2) {
      if (s + 2 > end) throw invalidRecord('snappy copy runs past the block');
      len = (tag >>> 2) + 1;
      offset = block.readUInt16LE(s);
      s += 2;
    } else {
      if (s + 4 > end) throw invalidRecord('snappy copy runs past the block');
      len = (tag >>> 2) + 1;
      offset = block.readUInt32LE(s);
      s += 4;
    }
    if (offset === 0 || offset > d) throw invalidRecord(`snappy copy offset ${offset} points before the output`);
    if (d + len > length) throw invalidRecord('snappy copy runs past the declared length');
    if (offset >= len) out.copy(out, d, d - offset, d - offset + len);
    else for (let i = 0; i < len; i++) out[d + i] = out[d - offset + i]!;
    d += len;
  }
  if (d !== length) throw invalidRecord(`snappy block decodes to ${d} bytes but declares ${length}`);
  return out;
}

const toBuffer = (data: Uint8Array): Buffer =>
  Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
