import { ProtocolError } from '../errors.ts';
import type { UnknownTaggedField } from './reader.ts';

const MIN_CAPACITY = 256;
const EMPTY = Buffer.alloc(0);

/**
 * Growable writer of Kafka's primitive types. One Buffer is grown by doubling, so a whole message
 * costs a handful of allocations; string byte lengths are computed once and the text is written
 * straight into the buffer.
 *
 * `finish()` hands out a view of the written bytes and detaches the buffer, so a Writer can be reused
 * without overwriting a message already returned.
 */
export class Writer {
  buf: Buffer;
  pos = 0;
  private sizeHint = MIN_CAPACITY;

  /**
   * Chunked mode (see `chunked()`): finished pieces of the message, in order. Byte fields at least
   * `zeroCopyThreshold` long go in here by reference instead of being copied.
   */
  private chunks: Buffer[] | null = null;
  private zeroCopyThreshold = Infinity;
  /** For each chunk: its start position in the writer's own bytes, or -1 for a referenced buffer. */
  private chunkStarts: number[] = [];
  /** Start of the part of `buf` not yet handed to `chunks`. */
  private segStart = 0;
  /** Bytes held by reference in `chunks`. */
  private external = 0;
  /** Open beginSized() sections: their bytes are moved in place, so nothing is held by reference. */
  private sizedDepth = 0;

  constructor(initialCapacity = MIN_CAPACITY) {
    this.buf = Buffer.allocUnsafe(Math.max(16, initialCapacity));
  }

  /**
   * A writer that keeps large byte fields (record batches) by reference: `finishChunks()` returns
   * the message as a list of buffers for a vectored socket write, so a Fetch response never copies
   * the log data it carries.
   */
  static chunked(zeroCopyThreshold = 4096, initialCapacity = MIN_CAPACITY): Writer {
    const w = new Writer(initialCapacity);
    w.chunks = [];
    w.zeroCopyThreshold = zeroCopyThreshold;
    return w;
  }

  /** Total bytes written so far (including bytes held by reference). */
  get length(): number {
    return this.pos + this.external;
  }

  /** Makes room for `n` more bytes and returns the position to write them at. */
  ensure(n: number): number {
    const p = this.pos;
    if (p + n > this.buf.length) this.grow(p + n);
    return p;
  }

  private grow(needed: number): void {
    let cap = Math.max(this.sizeHint, this.buf.length * 2);
    while (cap < needed) cap *= 2;
    const next = Buffer.allocUnsafe(cap);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /**
   * The bytes written so far, as one buffer. The writer lets go of its buffer and starts over; the
   * next buffer is only allocated if the writer is used again, sized like the last message (up to
   * 1 MiB). In chunked mode the pieces are joined (one copy); prefer finishChunks().
   */
  finish(): Buffer {
    if (this.chunks !== null && this.chunks.length > 0) return Buffer.concat(this.finishChunks());
    const out = this.buf.subarray(0, this.pos);
    this.release();
    return out;
  }

  /** The message as buffers to write in order (chunked mode; otherwise a single buffer). */
  finishChunks(): Buffer[] {
    const chunks = this.chunks ?? [];
    if (this.pos > this.segStart) chunks.push(this.buf.subarray(this.segStart, this.pos));
    this.release();
    if (this.chunks !== null) this.chunks = [];
    this.chunkStarts = [];
    return chunks;
  }

  private release(): void {
    this.sizeHint = Math.max(MIN_CAPACITY, Math.min(this.pos, 1 << 20));
    this.buf = EMPTY;
    this.pos = 0;
    this.segStart = 0;
    this.external = 0;
    this.sizedDepth = 0;
  }

  /** Forgets what was written, keeping the buffer (only when no earlier result points into it). */
  reset(): void {
    this.pos = 0;
    this.segStart = 0;
    this.external = 0;
    this.sizedDepth = 0;
    if (this.chunks !== null) this.chunks = [];
    this.chunkStarts = [];
  }

  int8(v: number): this {
    const p = this.ensure(1);
    this.buf.writeInt8(v, p);
    this.pos = p + 1;
    return this;
  }

  int16(v: number): this {
    const p = this.ensure(2);
    this.buf.writeInt16BE(v, p);
    this.pos = p + 2;
    return this;
  }

  int32(v: number): this {
    const p = this.ensure(4);
    this.buf.writeInt32BE(v, p);
    this.pos = p + 4;
    return this;
  }

  /** Overwrites an int32 already written at `at` (length prefixes, sizes known afterwards). */
  int32At(at: number, v: number): this {
    if (at >= this.segStart) {
      this.buf.writeInt32BE(v, at);
      return this;
    }
    // Chunked mode: the bytes were handed to a chunk, which may view an older (pre-growth) buffer.
    const chunks = this.chunks!;
    for (let i = 0; i < chunks.length; i++) {
      const start = this.chunkStarts[i]!;
      if (start >= 0 && at >= start && at + 4 <= start + chunks[i]!.length) {
        chunks[i]!.writeInt32BE(v, at - start);
        if (at + 4 <= this.buf.length) this.buf.writeInt32BE(v, at);
        return this;
      }
    }
    throw new ProtocolError(`int32At(${at}): position is not in the writer's own bytes`);
  }

  uint16(v: number): this {
    const p = this.ensure(2);
    this.buf.writeUInt16BE(v, p);
    this.pos = p + 2;
    return this;
  }

  uint32(v: number): this {
    const p = this.ensure(4);
    this.buf.writeUInt32BE(v, p);
    this.pos = p + 4;
    return this;
  }

  int64(v: bigint): this {
    const p = this.ensure(8);
    this.buf.writeBigInt64BE(v, p);
    this.pos = p + 8;
    return this;
  }

  float64(v: number): this {
    const p = this.ensure(8);
    this.buf.writeDoubleBE(v, p);
    this.pos = p + 8;
    return this;
  }

  bool(v: boolean): this {
    const p = this.ensure(1);
    this.buf[p] = v ? 1 : 0;
    this.pos = p + 1;
    return this;
  }

  /** Kafka's base64url text form (22 chars) → 16 raw bytes. */
  uuid(v: string): this {
    const p = this.ensure(16);
    if (v.length !== 22 || this.buf.write(v, p, 16, 'base64url') !== 16) {
      throw new ProtocolError(`invalid uuid ${JSON.stringify(v)}: expected 22 base64url characters`);
    }
    this.pos = p + 16;
    return this;
  }

  unsignedVarint(v: number): this {
    let n = v >>> 0;
    const p = this.ensure(5);
    const buf = this.buf;
    let pos = p;
    while (n >= 0x80) {
      buf[pos++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    buf[pos++] = n;
    this.pos = pos;
    return this;
  }

  varint(v: number): this {
    return this.unsignedVarint((v << 1) ^ (v >> 31));
  }

  /** Zigzag varlong from a number (exact for |n| <= 2^53 - 1). */
  varlong(v: number): this {
    // zigzag = 2m + sign with m = v or -v-1; 2m can pass 2^53, so the first byte is built from m
    // directly and the rest from m / 64, which keeps every step exact.
    const sign = v < 0 ? 1 : 0;
    const m = v < 0 ? -v - 1 : v;
    const p = this.ensure(10);
    const buf = this.buf;
    let pos = p;
    let rest = Math.floor(m / 64);
    const first = (m % 64) * 2 + sign;
    if (rest === 0) {
      buf[pos++] = first;
    } else {
      buf[pos++] = first | 0x80;
      while (rest >= 128) {
        buf[pos++] = (rest % 128) | 0x80;
        rest = Math.floor(rest / 128);
      }
      buf[pos++] = rest;
    }
    this.pos = pos;
    return this;
  }

  varlongBig(v: bigint): this {
    let u = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
    const p = this.ensure(10);
    let pos = p;
    while (u >= 0x80n) {
      this.buf[pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[pos++] = Number(u);
    this.pos = pos;
    return this;
  }

  /** Raw bytes, no length. */
  raw(b: Uint8Array): this {
    if (b.length >= this.zeroCopyThreshold && this.sizedDepth === 0) {
      const chunks = this.chunks!;
      if (this.pos > this.segStart) {
        chunks.push(this.buf.subarray(this.segStart, this.pos));
        this.chunkStarts.push(this.segStart);
      }
      chunks.push(Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.length));
      this.chunkStarts.push(-1);
      this.segStart = this.pos;
      this.external += b.length;
      return this;
    }
    const p = this.ensure(b.length);
    this.buf.set(b, p);
    this.pos = p + b.length;
    return this;
  }

  private utf8(s: string, len: number): void {
    const p = this.ensure(len);
    if (len > 0) this.buf.write(s, p, len, 'utf8');
    this.pos = p + len;
  }

  string(s: string): this {
    if (s === null || s === undefined) throw new ProtocolError('null in a non-nullable string');
    const len = Buffer.byteLength(s, 'utf8');
    if (len > 0x7fff) throw new ProtocolError(`string of ${len} bytes is longer than the int16 limit`);
    this.int16(len);
    this.utf8(s, len);
    return this;
  }

  nullableString(s: string | null | undefined): this {
    if (s === null || s === undefined) return this.int16(-1);
    return this.string(s);
  }

  compactString(s: string): this {
    if (s === null || s === undefined) throw new ProtocolError('null in a non-nullable compact string');
    const len = Buffer.byteLength(s, 'utf8');
    // Kafka limits every string field to 32767 bytes, compact or not.
    if (len > 0x7fff) throw new ProtocolError(`string of ${len} bytes is longer than the int16 limit`);
    this.unsignedVarint(len + 1);
    this.utf8(s, len);
    return this;
  }

  compactNullableString(s: string | null | undefined): this {
    if (s === null || s === undefined) return this.unsignedVarint(0);
    return this.compactString(s);
  }

  bytes(b: Uint8Array): this {
    if (b === null || b === undefined) throw new ProtocolError('null in non-nullable bytes');
    this.int32(b.length);
    return this.raw(b);
  }

  nullableBytes(b: Uint8Array | null | undefined): this {
    if (b === null || b === undefined) return this.int32(-1);
    return this.bytes(b);
  }

  compactBytes(b: Uint8Array): this {
    if (b === null || b === undefined) throw new ProtocolError('null in non-nullable compact bytes');
    this.unsignedVarint(b.length + 1);
    return this.raw(b);
  }

  compactNullableBytes(b: Uint8Array | null | undefined): this {
    if (b === null || b === undefined) return this.unsignedVarint(0);
    return this.compactBytes(b);
  }

  array<T>(items: readonly T[], write: (w: Writer, item: T) => void): this {
    if (items === null || items === undefined) throw new ProtocolError('null in a non-nullable array');
    this.int32(items.length);
    for (let i = 0; i < items.length; i++) write(this, items[i]!);
    return this;
  }

  nullableArray<T>(items: readonly T[] | null | undefined, write: (w: Writer, item: T) => void): this {
    if (items === null || items === undefined) return this.int32(-1);
    return this.array(items, write);
  }

  compactArray<T>(items: readonly T[], write: (w: Writer, item: T) => void): this {
    if (items === null || items === undefined) throw new ProtocolError('null in a non-nullable compact array');
    this.unsignedVarint(items.length + 1);
    for (let i = 0; i < items.length; i++) write(this, items[i]!);
    return this;
  }

  compactNullableArray<T>(items: readonly T[] | null | undefined, write: (w: Writer, item: T) => void): this {
    if (items === null || items === undefined) return this.unsignedVarint(0);
    return this.compactArray(items, write);
  }

  /** Writes a tagged-field section holding only raw (unknown) fields; a single 0 byte when there are none. */
  taggedFields(fields: readonly UnknownTaggedField[] | undefined): this {
    if (fields === undefined || fields.length === 0) return this.unsignedVarint(0);
    this.unsignedVarint(fields.length);
    this.unknownTaggedFieldsBefore(fields, 0, Infinity);
    return this;
  }

  /**
   * Writes raw tagged fields from index `from` while their tag is below `beforeTag`; returns the index
   * of the first one not written. Lets generated code interleave known and unknown tags in tag order.
   */
  unknownTaggedFieldsBefore(fields: readonly UnknownTaggedField[], from: number, beforeTag: number): number {
    let i = from;
    for (; i < fields.length; i++) {
      const f = fields[i]!;
      if (f.tag >= beforeTag) break;
      this.unsignedVarint(f.tag);
      this.unsignedVarint(f.data.length);
      this.raw(f.data);
    }
    return i;
  }

  /** Starts a value whose byte size must precede it (tagged fields); pass the mark to endSized. */
  beginSized(): number {
    this.sizedDepth++;
    return this.pos;
  }

  /** Inserts the unsigned-varint size of everything written since `mark` in front of it. */
  endSized(mark: number): this {
    this.sizedDepth--;
    const len = this.pos - mark;
    let sizeLen = 1;
    for (let n = len; n >= 0x80; n >>>= 7) sizeLen++;
    this.ensure(sizeLen);
    this.buf.copyWithin(mark + sizeLen, mark, this.pos);
    let n = len;
    let p = mark;
    while (n >= 0x80) {
      this.buf[p++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    this.buf[p] = n;
    this.pos += sizeLen;
    return this;
  }
}
