import { compress, type CompressionCodec } from '../protocol/records/compression/index.ts';
import { crc32c } from '../protocol/records/crc32c.ts';
import { ATTRIBUTES, CRC, RECORDS_START, TRANSACTIONAL_BIT } from '../protocol/records/batch-header.ts';
import { varintSize, varlongSize, writeVarint, writeVarlong } from '../protocol/primitives/varint.ts';

export type RecordHeader = [key: string, value: Buffer | null];

/**
 * Builds one magic-2 record batch in place: records are written straight into a Buffer as they are
 * appended (no per-record objects survive the call), and the 61-byte header is filled in when the
 * batch is sealed — then the producer id, epoch and base sequence are known, and the records region
 * is compressed if asked. Sealing happens once; a retried batch is resent as the same bytes.
 */
export class BatchBuilder {
  private buf: Buffer;
  private pos = RECORDS_START;
  count = 0;
  private baseTimestamp = 0;
  private maxTimestamp = -1;
  /** Uncompressed size so far (header included): what batch.size limits. */
  get size(): number {
    return this.pos;
  }

  /** `buf`: a free buffer to build in (the producer recycles them; saves GC of 1 MB per batch). */
  constructor(capacity: number, buf?: Buffer) {
    this.buf = buf !== undefined && buf.length >= capacity ? buf : Buffer.allocUnsafe(Math.max(capacity, RECORDS_START + 64));
  }

  /** The buffer the records are built in (to recycle once the sealed batch is no longer needed). */
  get buffer(): Buffer {
    return this.buf;
  }

  /**
   * Appends a record. Returns false (and appends nothing) when it does not fit in a non-empty batch;
   * the first record always fits (the buffer grows for it), as Kafka sends an oversize record alone.
   */
  append(timestamp: number, key: Buffer | null, value: Buffer | null, headers: readonly RecordHeader[] | null): boolean {
    return this.appendRange(
      timestamp,
      key,
      0,
      key === null ? 0 : key.length,
      value,
      0,
      value === null ? 0 : value.length,
      headers,
    );
  }

  /** append() with key and value given as ranges of larger buffers (no subarray per record). */
  appendRange(
    timestamp: number,
    key: Buffer | null,
    keyStart: number,
    keyEnd: number,
    value: Buffer | null,
    valueStart: number,
    valueEnd: number,
    headers: readonly RecordHeader[] | null,
  ): boolean {
    if (this.count === 0) this.baseTimestamp = timestamp;
    const tsDelta = timestamp - this.baseTimestamp;
    const keyLen = key === null ? -1 : keyEnd - keyStart;
    const valueLen = value === null ? -1 : valueEnd - valueStart;
    let body =
      1 + varlongSize(tsDelta) + varintSize(this.count) + varintSize(keyLen) + (keyLen > 0 ? keyLen : 0) +
      varintSize(valueLen) + (valueLen > 0 ? valueLen : 0);
    let headerBytes: Buffer[] | null = null;
    if (headers === null || headers.length === 0) body += 1;
    else {
      headerBytes = [];
      body += varintSize(headers.length);
      for (const [hk, hv] of headers) {
        const kb = Buffer.from(hk, 'utf8');
        headerBytes.push(kb);
        body += varintSize(kb.length) + kb.length + varintSize(hv === null ? -1 : hv.length) + (hv === null ? 0 : hv.length);
      }
    }
    const total = varintSize(body) + body;
    if (this.pos + total > this.buf.length) {
      if (this.count > 0) return false;
      this.buf = Buffer.allocUnsafe(RECORDS_START + total);
    }
    const buf = this.buf;
    let p = writeVarint(buf, this.pos, body);
    buf[p++] = 0;
    p = tsDelta === 0 ? ((buf[p] = 0), p + 1) : writeVarlong(buf, p, tsDelta);
    p = writeVarint(buf, p, this.count);
    p = writeVarint(buf, p, keyLen);
    if (keyLen > 0) p += key!.copy(buf, p, keyStart, keyEnd);
    p = writeVarint(buf, p, valueLen);
    if (valueLen > 0) p += value!.copy(buf, p, valueStart, valueEnd);
    if (headers === null || headers.length === 0) buf[p++] = 0;
    else {
      p = writeVarint(buf, p, headers.length);
      for (let i = 0; i < headers.length; i++) {
        const kb = headerBytes![i]!;
        const hv = headers[i]![1];
        p = writeVarint(buf, p, kb.length);
        p += kb.copy(buf, p);
        p = writeVarint(buf, p, hv === null ? -1 : hv.length);
        if (hv !== null) p += hv.copy(buf, p);
      }
    }
    this.pos = p;
    this.count++;
    if (timestamp > this.maxTimestamp) this.maxTimestamp = timestamp;
    return true;
  }

  /** Fills the header, compresses, computes the CRC; returns the finished batch bytes. */
  seal(codec: CompressionCodec, producerId: bigint, producerEpoch: number, baseSequence: number, transactional = false): Buffer {
    let out: Buffer;
    if (codec === 0) out = this.buf.subarray(0, this.pos);
    else {
      const packed = compress(codec, this.buf.subarray(RECORDS_START, this.pos));
      out = Buffer.allocUnsafe(RECORDS_START + packed.length);
      packed.copy(out, RECORDS_START);
    }
    out.writeBigInt64BE(0n, 0);
    out.writeInt32BE(out.length - 12, 8);
    out.writeInt32BE(-1, 12);
    out.writeInt8(2, 16);
    out.writeInt16BE(codec | (transactional ? TRANSACTIONAL_BIT : 0), ATTRIBUTES);
    out.writeInt32BE(this.count - 1, 23);
    out.writeBigInt64BE(BigInt(this.baseTimestamp), 27);
    out.writeBigInt64BE(BigInt(this.maxTimestamp), 35);
    out.writeBigInt64BE(producerId, 43);
    out.writeInt16BE(producerEpoch, 51);
    out.writeInt32BE(baseSequence, 53);
    out.writeInt32BE(this.count, 57);
    out.writeUInt32BE(crc32c(out, ATTRIBUTES, out.length), CRC);
    return out;
  }
}
