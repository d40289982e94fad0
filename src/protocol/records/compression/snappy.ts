import * as snappyjs from 'snappyjs';
import { DecompressedSizeLimitError, invalidRecord } from '../errors.ts';

/**
 * Snappy as Kafka clients write it: librdkafka writes one raw snappy block; the Java client (through
 * snappy-java) writes the "xerial" framing: magic `82 'SNAPPY' 00`, int32 version, int32 compatible
 * version, then chunks of int32 length + raw block. We read both and write raw blocks (Java's
 * SnappyInputStream falls back to a raw block when the magic is absent, so every client reads them).
 * snappyjs is pure JS, so it works in the single executable.
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

/** A raw block starts with its uncompressed length as a varint: check it before allocating. */
function decompressRawBlock(block: Buffer, remaining: number, limit: number): Buffer {
  let length = 0;
  let shift = 0;
  let pos = 0;
  for (;;) {
    if (pos >= block.length || shift > 28) throw invalidRecord('snappy block has no valid uncompressed-length prefix');
    const b = block[pos++]!;
    length += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) break;
    shift += 7;
  }
  if (length > remaining) throw new DecompressedSizeLimitError('snappy', limit);
  try {
    return snappyjs.uncompress(block, remaining);
  } catch (err) {
    throw invalidRecord(`snappy records do not decompress: ${(err as Error).message}`, err);
  }
}

const toBuffer = (data: Uint8Array): Buffer =>
  Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
