/**
 * Varints as Kafka uses them: unsigned LEB128 (compact lengths, tagged fields) and zigzag-signed
 * varint/varlong (inside records). Functions work on a Buffer and a position so the hot path can read
 * records without allocating a reader object; each read returns the value and stores the next
 * position in `cursor.pos`.
 */
import { ProtocolError } from '../errors.ts';

export interface Cursor {
  pos: number;
}

/** A varint that runs past the end of its buffer or is longer than its type allows. */
export class VarintError extends ProtocolError {
  override name = 'VarintError';
}

export function readUnsignedVarint(buf: Buffer, cursor: Cursor): number {
  let value = 0;
  let shift = 0;
  let pos = cursor.pos;
  for (;;) {
    if (pos >= buf.length) throw new VarintError(`varint runs past the end of the buffer at ${cursor.pos}`);
    const b = buf[pos++]!;
    if (shift === 28) {
      // Fifth byte: only 4 bits may remain for a 32-bit value.
      if (b > 0x0f) throw new VarintError(`varint at ${cursor.pos} is longer than 5 bytes`);
      value = (value | (b << 28)) >>> 0;
      break;
    }
    value |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) {
      value >>>= 0;
      break;
    }
    shift += 7;
  }
  cursor.pos = pos;
  return value;
}

export function readVarint(buf: Buffer, cursor: Cursor): number {
  const n = readUnsignedVarint(buf, cursor);
  return (n >>> 1) ^ -(n & 1);
}

/** Zigzag varlong as bigint-free number: exact for |n| < 2^53, which covers timestamps and offsets. */
export function readVarlong(buf: Buffer, cursor: Cursor): number {
  let lo = 0;
  let hi = 0;
  let pos = cursor.pos;
  let shift = 0;
  for (let i = 0; ; i++) {
    if (i >= 10) throw new VarintError(`varlong at ${cursor.pos} is longer than 10 bytes`);
    if (pos >= buf.length) throw new VarintError(`varlong runs past the end of the buffer at ${cursor.pos}`);
    const b = buf[pos++]!;
    const bits = b & 0x7f;
    if (shift < 28) lo += bits * 2 ** shift;
    else if (shift === 28) {
      lo += (bits & 0x0f) * 2 ** 28;
      hi += bits >>> 4;
    } else hi += bits * 2 ** (shift - 32);
    shift += 7;
    if ((b & 0x80) === 0) break;
  }
  cursor.pos = pos;
  // unsigned = hi * 2^32 + lo; zigzag decode without losing precision below 2^53.
  // hi * 2^32 + lo can pass 2^53: halve each part so the result stays exact up to |n| = 2^53 - 1.
  const half = hi * 2147483648 + Math.floor(lo / 2);
  return lo % 2 === 1 ? -half - 1 : half;
}

export function readVarlongBig(buf: Buffer, cursor: Cursor): bigint {
  let value = 0n;
  let shift = 0n;
  let pos = cursor.pos;
  for (let i = 0; ; i++) {
    if (i >= 10) throw new VarintError(`varlong at ${cursor.pos} is longer than 10 bytes`);
    if (pos >= buf.length) throw new VarintError(`varlong runs past the end of the buffer at ${cursor.pos}`);
    const b = buf[pos++]!;
    value |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) break;
    shift += 7n;
  }
  cursor.pos = pos;
  return (value >> 1n) ^ -(value & 1n);
}

export function unsignedVarintSize(n: number): number {
  n >>>= 0;
  let size = 1;
  while (n >= 0x80) {
    n >>>= 7;
    size++;
  }
  return size;
}

export function varintSize(n: number): number {
  return unsignedVarintSize((n << 1) ^ (n >> 31));
}

export function varlongSize(n: number): number {
  // zigzag: non-negative n → 2n, negative n → -2n - 1
  let u = n >= 0 ? n * 2 : -n * 2 - 1;
  let size = 1;
  while (u >= 128) {
    u = Math.floor(u / 128);
    size++;
  }
  return size;
}

/** Writes at `pos`, returns the next position. The caller guarantees room (use the *Size helpers). */
export function writeUnsignedVarint(buf: Buffer, pos: number, n: number): number {
  n >>>= 0;
  while (n >= 0x80) {
    buf[pos++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  buf[pos++] = n;
  return pos;
}

export function writeVarint(buf: Buffer, pos: number, n: number): number {
  return writeUnsignedVarint(buf, pos, (n << 1) ^ (n >> 31));
}

export function writeVarlong(buf: Buffer, pos: number, n: number): number {
  // zigzag = 2m + sign (m = n or -n-1) can pass 2^53: emit the first 7 bits from m directly and
  // continue with m / 64, which keeps every step exact.
  const m = n < 0 ? -n - 1 : n;
  let rest = Math.floor(m / 64);
  const first = (m % 64) * 2 + (n < 0 ? 1 : 0);
  if (rest === 0) {
    buf[pos++] = first;
    return pos;
  }
  buf[pos++] = first | 0x80;
  while (rest >= 128) {
    buf[pos++] = (rest % 128) | 0x80;
    rest = Math.floor(rest / 128);
  }
  buf[pos++] = rest;
  return pos;
}
