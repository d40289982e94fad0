import {
  readVarint,
  readVarlong,
  VarintError,
  varintSize,
  varlongSize,
  writeVarint,
  writeVarlong,
  type Cursor,
} from '../primitives/varint.ts';
import { invalidRecord } from './errors.ts';

/**
 * One record inside a magic-2 batch (guide §5):
 *   length varint · attributes int8 · timestampDelta varlong · offsetDelta varint ·
 *   keyLength varint · key · valueLength varint · value · headerCount varint ·
 *   [headerKeyLength varint · headerKey (UTF-8) · headerValueLength varint · headerValue]
 * All varints are zigzag; lengths of -1 mean null. Decoded keys/values are views into the source
 * buffer (no copy): keep the buffer alive, copy them if it will be reused.
 */
export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface Record {
  offsetDelta: number;
  timestampDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}
/** Alias for code that also uses TypeScript's built-in `Record<K, V>`. */
export type KafkaRecord = Record;

/** Smallest possible record on the wire: length, attributes, 2 deltas, 2 null lengths, 0 headers. */
export const MIN_RECORD_SIZE = 7;

const bytesField = (b: Buffer | null): number => (b === null ? 1 : varintSize(b.length) + b.length);

/** Bytes after the record's length varint. */
export function recordBodySize(r: Record): number {
  let size = 1 + varlongSize(r.timestampDelta) + varintSize(r.offsetDelta) + bytesField(r.key) + bytesField(r.value);
  size += varintSize(r.headers.length);
  for (const h of r.headers) {
    const k = Buffer.byteLength(h.key, 'utf8');
    size += varintSize(k) + k + bytesField(h.value);
  }
  return size;
}

/** Bytes of the whole record, length varint included. */
export function recordSize(r: Record): number {
  const body = recordBodySize(r);
  return varintSize(body) + body;
}

function writeBytesField(buf: Buffer, pos: number, b: Buffer | null): number {
  if (b === null) return writeVarint(buf, pos, -1);
  pos = writeVarint(buf, pos, b.length);
  b.copy(buf, pos);
  return pos + b.length;
}

/** Writes the record at `pos` (room guaranteed by the caller via recordSize); returns the next position. */
export function writeRecord(buf: Buffer, pos: number, r: Record, bodySize = recordBodySize(r)): number {
  pos = writeVarint(buf, pos, bodySize);
  buf[pos++] = 0; // attributes: unused
  pos = writeVarlong(buf, pos, r.timestampDelta);
  pos = writeVarint(buf, pos, r.offsetDelta);
  pos = writeBytesField(buf, pos, r.key);
  pos = writeBytesField(buf, pos, r.value);
  pos = writeVarint(buf, pos, r.headers.length);
  for (const h of r.headers) {
    const k = Buffer.byteLength(h.key, 'utf8');
    pos = writeVarint(buf, pos, k);
    pos += buf.write(h.key, pos, k, 'utf8');
    pos = writeBytesField(buf, pos, h.value);
  }
  return pos;
}

export function encodeRecord(r: Record): Buffer {
  const body = recordBodySize(r);
  const buf = Buffer.allocUnsafe(varintSize(body) + body);
  writeRecord(buf, 0, r, body);
  return buf;
}

/**
 * Reads one record starting at `cursor.pos`, which must not run past `end`; advances the cursor.
 * Throws RecordValidationError (INVALID_RECORD) for anything malformed, as Kafka's DefaultRecord.readFrom.
 */
export function readRecord(buf: Buffer, cursor: Cursor, end = buf.length): Record {
  const start = cursor.pos;
  try {
    const bodyEnd = recordEnd(buf, cursor, end);
    cursor.pos++; // attributes
    const timestampDelta = readVarlong(buf, cursor);
    const offsetDelta = readVarint(buf, cursor);
    const key = readBytesField(buf, cursor, bodyEnd, 'key');
    const value = readBytesField(buf, cursor, bodyEnd, 'value');
    const count = readVarint(buf, cursor);
    checkHeaderCount(count, cursor.pos, bodyEnd);
    const headers: RecordHeader[] = [];
    for (let i = 0; i < count; i++) {
      const kLen = readVarint(buf, cursor);
      if (kLen < 0) throw invalidRecord(`record header key length ${kLen} is negative`);
      const kAt = cursor.pos;
      if (kAt + kLen > bodyEnd) throw invalidRecord('record header key runs past the record');
      cursor.pos += kLen;
      const hValue = readBytesField(buf, cursor, bodyEnd, 'header value');
      headers.push({ key: buf.toString('utf8', kAt, kAt + kLen), value: hValue });
    }
    checkEnd(cursor.pos, bodyEnd);
    return { offsetDelta, timestampDelta, key, value, headers };
  } catch (err) {
    throw wrapVarint(err, start);
  }
}

/** Decodes one record from `buf` at `at`; returns it with the position after it. */
export function decodeRecord(buf: Buffer, at = 0, end = buf.length): { record: Record; next: number } {
  const cursor = { pos: at };
  const record = readRecord(buf, cursor, end);
  return { record, next: cursor.pos };
}

/** Reusable output of scanRecord, so the validator walks records without allocating. */
export interface RecordScan {
  timestampDelta: number;
  offsetDelta: number;
}

const SCAN_CURSOR: Cursor = { pos: 0 };

/**
 * Walks one record in place with the same checks as readRecord, but keeps only the two deltas.
 * Returns the position after the record.
 */
export function scanRecord(buf: Buffer, pos: number, end: number, out: RecordScan): number {
  const cursor = SCAN_CURSOR;
  cursor.pos = pos;
  try {
    const bodyEnd = recordEnd(buf, cursor, end);
    cursor.pos++;
    out.timestampDelta = readVarlong(buf, cursor);
    out.offsetDelta = readVarint(buf, cursor);
    skipBytesField(buf, cursor, bodyEnd, 'key');
    skipBytesField(buf, cursor, bodyEnd, 'value');
    const count = readVarint(buf, cursor);
    checkHeaderCount(count, cursor.pos, bodyEnd);
    for (let i = 0; i < count; i++) {
      const kLen = readVarint(buf, cursor);
      if (kLen < 0) throw invalidRecord(`record header key length ${kLen} is negative`);
      if (cursor.pos + kLen > bodyEnd) throw invalidRecord('record header key runs past the record');
      cursor.pos += kLen;
      skipBytesField(buf, cursor, bodyEnd, 'header value');
    }
    checkEnd(cursor.pos, bodyEnd);
    return cursor.pos;
  } catch (err) {
    throw wrapVarint(err, pos);
  }
}

function recordEnd(buf: Buffer, cursor: Cursor, end: number): number {
  const length = readVarint(buf, cursor);
  if (length < MIN_RECORD_SIZE - 1) throw invalidRecord(`record length ${length} is smaller than the minimum record`);
  const bodyEnd = cursor.pos + length;
  if (bodyEnd > end) {
    throw invalidRecord(`record of ${length} bytes at ${cursor.pos} runs ${bodyEnd - end} bytes past the records region`);
  }
  return bodyEnd;
}

function readBytesField(buf: Buffer, cursor: Cursor, bodyEnd: number, what: string): Buffer | null {
  const len = readVarint(buf, cursor);
  if (len === -1) return null;
  if (len < -1) throw invalidRecord(`record ${what} length ${len} is negative`);
  const at = cursor.pos;
  if (at + len > bodyEnd) throw invalidRecord(`record ${what} of ${len} bytes runs past the record`);
  cursor.pos = at + len;
  return buf.subarray(at, at + len);
}

function skipBytesField(buf: Buffer, cursor: Cursor, bodyEnd: number, what: string): void {
  const len = readVarint(buf, cursor);
  if (len === -1) return;
  if (len < -1) throw invalidRecord(`record ${what} length ${len} is negative`);
  if (cursor.pos + len > bodyEnd) throw invalidRecord(`record ${what} of ${len} bytes runs past the record`);
  cursor.pos += len;
}

function checkHeaderCount(count: number, pos: number, bodyEnd: number): void {
  // A header takes at least 2 bytes: refuse absurd counts before looping over them.
  if (count < 0 || count * 2 > bodyEnd - pos) throw invalidRecord(`record header count ${count} does not fit the record`);
}

function checkEnd(pos: number, bodyEnd: number): void {
  if (pos !== bodyEnd) {
    throw invalidRecord(`record length says it ends at ${bodyEnd} but its fields end at ${pos}`);
  }
}

function wrapVarint(err: unknown, at: number): unknown {
  if (err instanceof VarintError) return invalidRecord(`bad varint in the record at ${at}: ${err.message}`, err);
  return err;
}
