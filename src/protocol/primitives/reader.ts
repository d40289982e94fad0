import { ProtocolError } from '../errors.ts';

/** A tagged field the schema does not know (or not at this version): kept raw for re-encoding. */
export interface UnknownTaggedField {
  tag: number;
  data: Buffer;
}

/**
 * Sequential reader of Kafka's primitive types over one Buffer. Every read checks the bounds first
 * and throws ProtocolError (never RangeError, never a hang) so malformed frames are a typed error.
 * Byte fields come back as subarrays of the input: no copies on the hot path.
 */
export class Reader {
  readonly buf: Buffer;
  pos: number;
  /** Exclusive end of the readable region (defaults to the end of the buffer). */
  readonly end: number;

  constructor(buf: Buffer, pos = 0, end = buf.length) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  remaining(): number {
    return this.end - this.pos;
  }

  /** Throws unless `n` more bytes can be read; returns the start position. */
  private need(n: number, what: string): number {
    const p = this.pos;
    if (n > this.end - p) {
      throw new ProtocolError(`cannot read ${what}: needs ${n} bytes at offset ${p}, only ${this.end - p} left`);
    }
    this.pos = p + n;
    return p;
  }

  int8(): number {
    return this.buf.readInt8(this.need(1, 'int8'));
  }

  int16(): number {
    return this.buf.readInt16BE(this.need(2, 'int16'));
  }

  int32(): number {
    return this.buf.readInt32BE(this.need(4, 'int32'));
  }

  uint16(): number {
    return this.buf.readUInt16BE(this.need(2, 'uint16'));
  }

  uint32(): number {
    return this.buf.readUInt32BE(this.need(4, 'uint32'));
  }

  int64(): bigint {
    return this.buf.readBigInt64BE(this.need(8, 'int64'));
  }

  float64(): number {
    return this.buf.readDoubleBE(this.need(8, 'float64'));
  }

  bool(): boolean {
    return this.buf[this.need(1, 'bool')] !== 0;
  }

  /** 16 raw bytes rendered as Kafka's base64url text form (22 chars, like Java's Uuid.toString). */
  uuid(): string {
    const p = this.need(16, 'uuid');
    return this.buf.toString('base64url', p, p + 16);
  }

  /** Unsigned LEB128, at most 5 bytes, 32-bit result. */
  unsignedVarint(): number {
    const buf = this.buf;
    const end = this.end;
    let pos = this.pos;
    let value = 0;
    let shift = 0;
    for (;;) {
      if (pos >= end) throw new ProtocolError(`unsigned varint at offset ${this.pos} runs past the end of the data`);
      const b = buf[pos++]!;
      if (shift === 28) {
        if (b > 0x0f) throw new ProtocolError(`unsigned varint at offset ${this.pos} is longer than 5 bytes`);
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
    this.pos = pos;
    return value;
  }

  /** Zigzag-encoded signed 32-bit varint. */
  varint(): number {
    const n = this.unsignedVarint();
    return (n >>> 1) ^ -(n & 1);
  }

  /** Zigzag varlong as a number (exact for |n| <= 2^53 - 1: offsets, timestamps and deltas). */
  varlong(): number {
    const start = this.pos;
    const buf = this.buf;
    let pos = start;
    let lo = 0;
    let hi = 0;
    let shift = 0;
    for (let i = 0; ; i++) {
      if (i >= 10) throw new ProtocolError(`varlong at offset ${start} is longer than 10 bytes`);
      if (pos >= this.end) throw new ProtocolError(`varlong at offset ${start} runs past the end of the data`);
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
    this.pos = pos;
    // unsigned = hi * 2^32 + lo may exceed 2^53; halve each part so the result stays exact.
    const half = hi * 2147483648 + Math.floor(lo / 2);
    return lo % 2 === 1 ? -half - 1 : half;
  }

  /** Zigzag varlong with full 64-bit precision. */
  varlongBig(): bigint {
    const start = this.pos;
    let pos = start;
    let value = 0n;
    let shift = 0n;
    for (let i = 0; ; i++) {
      if (i >= 10) throw new ProtocolError(`varlong at offset ${start} is longer than 10 bytes`);
      if (pos >= this.end) throw new ProtocolError(`varlong at offset ${start} runs past the end of the data`);
      const b = this.buf[pos++]!;
      value |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) break;
      shift += 7n;
    }
    this.pos = pos;
    value = BigInt.asUintN(64, value);
    return BigInt.asIntN(64, (value >> 1n) ^ -(value & 1n));
  }

  /** Reads `n` bytes as a subarray (no copy). */
  raw(n: number): Buffer {
    if (n < 0) throw new ProtocolError(`negative byte count ${n} at offset ${this.pos}`);
    const p = this.need(n, `${n} bytes`);
    return this.buf.subarray(p, p + n);
  }

  private utf8(n: number): string {
    const p = this.need(n, `a string of ${n} bytes`);
    return this.buf.toString('utf8', p, p + n);
  }

  string(): string {
    const n = this.int16();
    if (n < 0) throw new ProtocolError(`null (length ${n}) in a non-nullable string at offset ${this.pos - 2}`);
    return this.utf8(n);
  }

  nullableString(): string | null {
    const n = this.int16();
    if (n === -1) return null;
    if (n < 0) throw new ProtocolError(`negative string length ${n} at offset ${this.pos - 2}`);
    return this.utf8(n);
  }

  compactString(): string {
    const at = this.pos;
    const n = this.unsignedVarint() - 1;
    if (n < 0) throw new ProtocolError(`null in a non-nullable compact string at offset ${at}`);
    return this.utf8(n);
  }

  compactNullableString(): string | null {
    const n = this.unsignedVarint() - 1;
    if (n < 0) return null;
    return this.utf8(n);
  }

  bytes(): Buffer {
    const n = this.int32();
    if (n < 0) throw new ProtocolError(`null (length ${n}) in non-nullable bytes at offset ${this.pos - 4}`);
    return this.raw(n);
  }

  nullableBytes(): Buffer | null {
    const n = this.int32();
    if (n === -1) return null;
    if (n < 0) throw new ProtocolError(`negative bytes length ${n} at offset ${this.pos - 4}`);
    return this.raw(n);
  }

  compactBytes(): Buffer {
    const at = this.pos;
    const n = this.unsignedVarint() - 1;
    if (n < 0) throw new ProtocolError(`null in non-nullable compact bytes at offset ${at}`);
    return this.raw(n);
  }

  compactNullableBytes(): Buffer | null {
    const n = this.unsignedVarint() - 1;
    if (n < 0) return null;
    return this.raw(n);
  }

  /**
   * int32 element count of an array; -1 means null. A count larger than the bytes left is rejected
   * before anything is allocated (as Kafka does), so a hostile count cannot exhaust memory.
   */
  arrayLength(): number {
    const at = this.pos;
    const n = this.int32();
    if (n < -1) throw new ProtocolError(`negative array length ${n} at offset ${at}`);
    if (n > this.end - this.pos) {
      throw new ProtocolError(`array of ${n} elements at offset ${at} is longer than the ${this.end - this.pos} bytes left`);
    }
    return n;
  }

  /** Compact (varint N+1) array count; -1 means null. */
  compactArrayLength(): number {
    const at = this.pos;
    const n = this.unsignedVarint() - 1;
    if (n > this.end - this.pos) {
      throw new ProtocolError(`array of ${n} elements at offset ${at} is longer than the ${this.end - this.pos} bytes left`);
    }
    return n;
  }

  array<T>(read: (r: Reader) => T): T[] {
    const at = this.pos;
    const n = this.arrayLength();
    if (n < 0) throw new ProtocolError(`null in a non-nullable array at offset ${at}`);
    return this.elements(n, read);
  }

  nullableArray<T>(read: (r: Reader) => T): T[] | null {
    const n = this.arrayLength();
    return n < 0 ? null : this.elements(n, read);
  }

  compactArray<T>(read: (r: Reader) => T): T[] {
    const at = this.pos;
    const n = this.compactArrayLength();
    if (n < 0) throw new ProtocolError(`null in a non-nullable compact array at offset ${at}`);
    return this.elements(n, read);
  }

  compactNullableArray<T>(read: (r: Reader) => T): T[] | null {
    const n = this.compactArrayLength();
    return n < 0 ? null : this.elements(n, read);
  }

  private elements<T>(n: number, read: (r: Reader) => T): T[] {
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = read(this);
    return out;
  }

  /** Reads a tagged-field section of a struct that declares no tags; undefined when it is empty. */
  taggedFields(): UnknownTaggedField[] | undefined {
    const count = this.unsignedVarint();
    if (count === 0) return undefined;
    const out: UnknownTaggedField[] = [];
    for (let i = 0; i < count; i++) {
      const tag = this.unsignedVarint();
      const size = this.unsignedVarint();
      out.push({ tag, data: this.raw(size) });
    }
    return out;
  }

  /** Skips a tagged-field section entirely (used by the headers, which keep no tags). */
  skipTaggedFields(): void {
    const count = this.unsignedVarint();
    for (let i = 0; i < count; i++) {
      this.unsignedVarint();
      const size = this.unsignedVarint();
      this.need(size, `tagged field of ${size} bytes`);
    }
  }
}
