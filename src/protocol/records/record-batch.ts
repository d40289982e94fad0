import * as H from './batch-header.ts';
import { crc32c } from './crc32c.ts';
import {
  compress,
  compressAsync,
  compressionName,
  decompress,
  decompressAsync,
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  toCompressionCodec,
  type CompressionCodec,
  type CompressionName,
} from './compression/index.ts';
import { corrupt, invalidRecord, RecordErrorCode, RecordValidationError } from './errors.ts';
import { MIN_RECORD_SIZE, readRecord, recordBodySize, writeRecord, type Record, type RecordHeader } from './record.ts';
import { varintSize } from '../primitives/varint.ts';
import { decodeLegacyEntry } from './legacy-message-set.ts';

/**
 * Encode and decode whole magic-2 record batches (guide §5). The producer side builds a batch from
 * plain records; the consumer side turns a batch (or a Fetch records blob of several, possibly cut
 * short at the end) into records with absolute offsets and timestamps.
 */

// ------------------------------------------------------------------------------------------------
// Encoding

export type Bytes = Buffer | Uint8Array | string;

export interface RecordInput {
  key?: Bytes | null;
  value?: Bytes | null;
  headers?: readonly { key: string; value?: Bytes | null }[];
  /** Milliseconds; defaults to the batch's baseTimestamp (or the clock). */
  timestamp?: number;
}

export const TimestampType = { CreateTime: 0, LogAppendTime: 1 } as const;
export type TimestampType = (typeof TimestampType)[keyof typeof TimestampType];

export interface EncodeRecordBatchOptions {
  baseOffset?: number;
  /** -1 unless written by the broker. */
  partitionLeaderEpoch?: number;
  compression?: CompressionCodec | CompressionName;
  timestampType?: TimestampType;
  transactional?: boolean;
  control?: boolean;
  /** -1 (not idempotent) by default. */
  producerId?: bigint | number;
  producerEpoch?: number;
  baseSequence?: number;
  /** Defaults to the first record's timestamp, else `now()`. */
  baseTimestamp?: number;
  records: readonly RecordInput[];
  /** Clock for records without a timestamp (injectable for tests). */
  now?: () => number;
}

const toBuf = (b: Bytes | null | undefined): Buffer | null =>
  b === null || b === undefined
    ? null
    : typeof b === 'string'
      ? Buffer.from(b, 'utf8')
      : Buffer.isBuffer(b)
        ? b
        : Buffer.from(b.buffer, b.byteOffset, b.byteLength);

interface Prepared {
  header: Buffer;
  records: Record[];
  sizes: number[];
  rawSize: number;
  codec: CompressionCodec;
}

function prepare(opts: EncodeRecordBatchOptions): Prepared {
  const inputs = opts.records;
  if (inputs.length === 0) throw new RangeError('a record batch needs at least one record');
  const codec = toCompressionCodec(opts.compression ?? 0);
  const now = opts.now ?? Date.now;
  const firstTs = inputs[0]!.timestamp;
  const baseTimestamp = opts.baseTimestamp ?? firstTs ?? now();
  let maxTimestamp = -1;
  const records: Record[] = new Array(inputs.length);
  const sizes: number[] = new Array(inputs.length);
  let rawSize = 0;
  for (let i = 0; i < inputs.length; i++) {
    const r = inputs[i]!;
    const ts = r.timestamp ?? baseTimestamp;
    if (ts > maxTimestamp) maxTimestamp = ts;
    const headers: RecordHeader[] = (r.headers ?? []).map((h) => ({ key: h.key, value: toBuf(h.value) }));
    const rec: Record = { offsetDelta: i, timestampDelta: ts - baseTimestamp, key: toBuf(r.key), value: toBuf(r.value), headers };
    const body = recordBodySize(rec);
    records[i] = rec;
    sizes[i] = body;
    rawSize += varintSize(body) + body;
  }
  let attributes = codec;
  if (opts.timestampType === TimestampType.LogAppendTime) attributes |= H.TIMESTAMP_TYPE_BIT;
  if (opts.transactional) attributes |= H.TRANSACTIONAL_BIT;
  if (opts.control) attributes |= H.CONTROL_BIT;
  const header = Buffer.allocUnsafe(H.RECORDS_START);
  header.writeBigInt64BE(BigInt(opts.baseOffset ?? 0), H.BASE_OFFSET);
  header.writeInt32BE(0, H.BATCH_LENGTH); // set once the records' size is known
  header.writeInt32BE(opts.partitionLeaderEpoch ?? -1, H.PARTITION_LEADER_EPOCH);
  header.writeInt8(2, H.MAGIC);
  header.writeUInt32BE(0, H.CRC);
  header.writeInt16BE(attributes, H.ATTRIBUTES);
  header.writeInt32BE(inputs.length - 1, H.LAST_OFFSET_DELTA);
  header.writeBigInt64BE(BigInt(baseTimestamp), H.BASE_TIMESTAMP);
  header.writeBigInt64BE(BigInt(maxTimestamp), H.MAX_TIMESTAMP);
  header.writeBigInt64BE(BigInt(opts.producerId ?? -1), H.PRODUCER_ID);
  header.writeInt16BE(opts.producerEpoch ?? -1, H.PRODUCER_EPOCH);
  header.writeInt32BE(opts.baseSequence ?? -1, H.BASE_SEQUENCE);
  header.writeInt32BE(inputs.length, H.RECORD_COUNT);
  return { header, records, sizes, rawSize, codec };
}

function writeRecords(p: Prepared, buf: Buffer, pos: number): void {
  for (let i = 0; i < p.records.length; i++) pos = writeRecord(buf, pos, p.records[i]!, p.sizes[i]!);
}

function finish(p: Prepared, payload: Buffer | null): Buffer {
  let batch: Buffer;
  if (payload === null) {
    batch = Buffer.allocUnsafe(H.RECORDS_START + p.rawSize);
    p.header.copy(batch, 0);
    writeRecords(p, batch, H.RECORDS_START);
  } else {
    batch = Buffer.allocUnsafe(H.RECORDS_START + payload.length);
    p.header.copy(batch, 0);
    payload.copy(batch, H.RECORDS_START);
  }
  batch.writeInt32BE(batch.length - H.LOG_OVERHEAD, H.BATCH_LENGTH);
  batch.writeUInt32BE(crc32c(batch, H.ATTRIBUTES, batch.length), H.CRC);
  return batch;
}

function rawRecords(p: Prepared): Buffer {
  const raw = Buffer.allocUnsafe(p.rawSize);
  writeRecords(p, raw, 0);
  return raw;
}

/** Builds one magic-2 batch, CRC-32C included. Offset deltas are 0…n-1; lastOffsetDelta = n-1. */
export function encodeRecordBatch(opts: EncodeRecordBatchOptions): Buffer {
  const p = prepare(opts);
  return finish(p, p.codec === 0 ? null : compress(p.codec, rawRecords(p)));
}

/** As encodeRecordBatch, compressing gzip/zstd off the event loop. */
export async function encodeRecordBatchAsync(opts: EncodeRecordBatchOptions): Promise<Buffer> {
  const p = prepare(opts);
  return finish(p, p.codec === 0 ? null : await compressAsync(p.codec, rawRecords(p)));
}

// ------------------------------------------------------------------------------------------------
// Decoding

/** A record as a consumer sees it: absolute offset and timestamp. */
export interface ConsumerRecord {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export interface RecordBatchHeader {
  baseOffset: number;
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  compression: number;
  timestampType: TimestampType;
  isTransactional: boolean;
  isControl: boolean;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

export interface DecodedRecordBatch extends RecordBatchHeader {
  /** Bytes the batch takes in the blob (batchLength + 12). */
  size: number;
  records: ConsumerRecord[];
}

export interface DecodeOptions {
  /** Ceiling for the decompressed records of one batch (default 64 MiB). */
  maxDecompressedBytes?: number;
  /** Check the CRC-32C (default true, as Java's check.crcs). */
  verifyCrc?: boolean;
}

/**
 * Checks the framing of the batch at `at`: room for the header, a sane batchLength that fits the
 * buffer, magic 2, and (optionally) the CRC. Returns the batch size. Shared by decode and validate.
 */
export function checkBatchFrame(buf: Buffer, at: number, verifyCrc: boolean): number {
  if (at < 0 || at + H.RECORDS_START > buf.length) {
    throw corrupt(`record batch at ${at} is cut short: ${Math.max(0, buf.length - at)} bytes, the header alone takes ${H.RECORDS_START}`);
  }
  const length = H.batchLength(buf, at);
  if (length < H.RECORDS_START - H.LOG_OVERHEAD) {
    throw corrupt(`record batch length ${length} is smaller than the ${H.RECORDS_START - H.LOG_OVERHEAD}-byte minimum`);
  }
  const size = length + H.LOG_OVERHEAD;
  if (at + size > buf.length) {
    throw corrupt(`record batch length ${length} runs ${at + size - buf.length} bytes past the ${buf.length - at} available`);
  }
  const magic = H.magic(buf, at);
  if (magic !== 2) {
    if (magic === 0 || magic === 1) {
      throw invalidRecord(`magic ${magic} message set where a magic-2 record batch is required`);
    }
    throw corrupt(`record batch magic ${magic} is not 0, 1 or 2`);
  }
  if (verifyCrc) {
    const computed = crc32c(buf, at + H.ATTRIBUTES, at + size);
    const stored = H.storedCrc(buf, at);
    if (computed !== stored) {
      throw corrupt(`record batch CRC mismatch: stored 0x${stored.toString(16)}, computed 0x${computed.toString(16)}`);
    }
  }
  return size;
}

export function readBatchHeader(buf: Buffer, at = 0): RecordBatchHeader {
  const attributes = H.attributes(buf, at);
  return {
    baseOffset: H.baseOffset(buf, at),
    batchLength: H.batchLength(buf, at),
    partitionLeaderEpoch: H.partitionLeaderEpoch(buf, at),
    magic: H.magic(buf, at),
    crc: H.storedCrc(buf, at),
    attributes,
    compression: attributes & H.COMPRESSION_MASK,
    timestampType: attributes & H.TIMESTAMP_TYPE_BIT ? TimestampType.LogAppendTime : TimestampType.CreateTime,
    isTransactional: (attributes & H.TRANSACTIONAL_BIT) !== 0,
    isControl: (attributes & H.CONTROL_BIT) !== 0,
    lastOffsetDelta: H.lastOffsetDelta(buf, at),
    baseTimestamp: H.baseTimestamp(buf, at),
    maxTimestamp: H.maxTimestamp(buf, at),
    producerId: H.producerId(buf, at),
    producerEpoch: H.producerEpoch(buf, at),
    baseSequence: H.baseSequence(buf, at),
    recordCount: H.recordCount(buf, at),
  };
}

/** Refuses counts the available bytes could never hold, before any per-record work. */
export function checkRecordCount(count: number, availableBytes: number): void {
  if (count < 0) throw invalidRecord(`record count ${count} is negative`);
  if (count * MIN_RECORD_SIZE > availableBytes) {
    throw invalidRecord(`record count ${count} cannot fit in ${availableBytes} bytes of records`);
  }
}

function checkCodec(codec: number): void {
  if (codec > 4) {
    throw new RecordValidationError(RecordErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `record batch uses unknown compression codec ${codec}`);
  }
}

function recordsOf(h: RecordBatchHeader, region: Buffer): ConsumerRecord[] {
  checkRecordCount(h.recordCount, region.length);
  const logAppend = h.timestampType === TimestampType.LogAppendTime;
  const records: ConsumerRecord[] = [];
  const cursor = { pos: 0 };
  for (let i = 0; i < h.recordCount; i++) {
    const r = readRecord(region, cursor, region.length);
    records.push({
      offset: h.baseOffset + r.offsetDelta,
      // LogAppendTime: the broker's time in maxTimestamp replaces every record's own.
      timestamp: logAppend ? h.maxTimestamp : h.baseTimestamp + r.timestampDelta,
      key: r.key,
      value: r.value,
      headers: r.headers,
    });
  }
  if (cursor.pos !== region.length) {
    throw invalidRecord(`${region.length - cursor.pos} bytes follow the batch's ${h.recordCount} records`);
  }
  return records;
}

/** Decodes the magic-2 batch at `at`. Keys/values of uncompressed batches are views into `buf`. */
export function decodeRecordBatch(buf: Buffer, at = 0, opts: DecodeOptions = {}): DecodedRecordBatch {
  const size = checkBatchFrame(buf, at, opts.verifyCrc ?? true);
  const h = readBatchHeader(buf, at);
  checkCodec(h.compression);
  const region = buf.subarray(at + H.RECORDS_START, at + size);
  const limit = opts.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
  const records = recordsOf(h, h.compression === 0 ? region : decompressRegion(h, region, limit));
  return { ...h, size, records };
}

/** As decodeRecordBatch, decompressing gzip/zstd off the event loop. */
export async function decodeRecordBatchAsync(buf: Buffer, at = 0, opts: DecodeOptions = {}): Promise<DecodedRecordBatch> {
  const size = checkBatchFrame(buf, at, opts.verifyCrc ?? true);
  const h = readBatchHeader(buf, at);
  checkCodec(h.compression);
  const region = buf.subarray(at + H.RECORDS_START, at + size);
  const limit = opts.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
  let records: ConsumerRecord[];
  if (h.compression === 0) records = recordsOf(h, region);
  else {
    checkRecordCount(h.recordCount, limit);
    records = recordsOf(h, await decompressAsync(h.compression, region, limit));
  }
  return { ...h, size, records };
}

function decompressRegion(h: RecordBatchHeader, region: Buffer, limit: number): Buffer {
  checkRecordCount(h.recordCount, limit);
  return decompress(h.compression, region, limit);
}

// ------------------------------------------------------------------------------------------------
// Blobs of several batches (Fetch responses, log segments)

/** Smallest legacy (magic 0) message after offset+size: crc, magic, attributes, key len, value len. */
const LEGACY_MIN_MESSAGE = 14;

/**
 * Size of the complete entry (magic-2 batch or legacy message) at `at`, or -1 when the blob ends
 * inside it (a Fetch response cut by maxBytes). Entry sizes below any valid minimum are corrupt.
 */
export function entrySizeAt(buf: Buffer, at: number): number {
  if (at + H.LOG_OVERHEAD > buf.length) return -1;
  const length = buf.readInt32BE(at + H.BATCH_LENGTH);
  if (length < LEGACY_MIN_MESSAGE) throw corrupt(`record entry length ${length} at ${at} is smaller than any valid entry`);
  const size = length + H.LOG_OVERHEAD;
  return at + size > buf.length ? -1 : size;
}

/**
 * The complete batches in a records blob as views into it, in order; a partial batch at the end is
 * skipped. Batches are not checked beyond their length field: validate or decode each one.
 */
export function splitBatches(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  for (;;) {
    const size = entrySizeAt(buf, at);
    if (size < 0) return out;
    out.push(buf.subarray(at, at + size));
    at += size;
  }
}

/** Bytes of `buf` covered by complete entries: where a partial tail begins. */
export function completeBatchesLength(buf: Buffer): number {
  let at = 0;
  for (;;) {
    const size = entrySizeAt(buf, at);
    if (size < 0) return at;
    at += size;
  }
}

function decodeEntry(buf: Buffer, at: number, opts: DecodeOptions): DecodedRecordBatch {
  const magic = at + H.MAGIC < buf.length ? buf.readInt8(at + H.MAGIC) : -1;
  if (magic === 0 || magic === 1) return decodeLegacyEntry(buf, at, opts);
  return decodeRecordBatch(buf, at, opts);
}

/**
 * Decodes every complete batch of a records blob (e.g. one partition of a Fetch response), skipping
 * a partial batch at the end. Legacy magic 0/1 entries decode too (one pseudo-batch per top-level
 * message), for data written by pre-0.11 clients.
 */
export function* iterateBatches(buf: Buffer, opts: DecodeOptions = {}): Generator<DecodedRecordBatch> {
  let at = 0;
  for (;;) {
    const size = entrySizeAt(buf, at);
    if (size < 0) return;
    yield decodeEntry(buf, at, opts);
    at += size;
  }
}

/** All records of all complete batches in a blob, control batches left out (what a consumer shows). */
export function decodeRecordsBlob(buf: Buffer, opts: DecodeOptions = {}): ConsumerRecord[] {
  const out: ConsumerRecord[] = [];
  for (const b of iterateBatches(buf, opts)) if (!b.isControl) for (const r of b.records) out.push(r);
  return out;
}

export { compressionName };
