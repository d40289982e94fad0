import * as H from './batch-header.ts';
import { decompress, decompressAsync, DEFAULT_MAX_DECOMPRESSED_BYTES } from './compression/index.ts';
import { invalidRecord, RecordErrorCode, RecordValidationError } from './errors.ts';
import { checkBatchFrame, checkRecordCount } from './record-batch.ts';
import { scanRecord, type RecordScan } from './record.ts';

/**
 * The broker's LogValidator for magic-2 batches (guide §5, step 1): everything Kafka checks before it
 * assigns offsets. Used by the produce path (origin 'client') and by log recovery (origin 'log').
 * Uncompressed batches are walked in place with no per-record objects; a compressed batch is
 * decompressed once, into at most `maxDecompressedBytes`.
 *
 * Error codes: CORRUPT_MESSAGE (2) for a CRC mismatch, a length that does not fit, or an impossible
 * magic; INVALID_RECORD (87) for malformed records, count/offset-delta mismatches, legacy magic, and
 * client-forbidden batches; UNSUPPORTED_COMPRESSION_TYPE (76) for unknown codecs or zstd when not
 * allowed; MESSAGE_TOO_LARGE (10) when the records decompress past the limit.
 */
export interface ValidateBatchOptions {
  /** Ceiling for the decompressed records (default 64 MiB). */
  maxDecompressedBytes?: number;
  /** zstd needs Produce v7+ (default true). */
  allowZstd?: boolean;
  /**
   * 'client' (default): a Produce batch — offset deltas exactly 0…n-1, lastOffsetDelta = n-1, at
   * least one record, no control batch, a producer id needs a sequence.
   * 'log': a batch read back from disk — compaction may leave gaps and empty batches, and the
   * coordinator writes control batches; deltas must only increase up to lastOffsetDelta.
   */
  origin?: 'client' | 'log';
}

export interface ValidatedBatch {
  /** Bytes of the batch (batchLength + 12). */
  size: number;
  recordCount: number;
  /** Largest record timestamp (CreateTime), -1 when the batch holds no records. */
  maxTimestamp: number;
  baseTimestamp: number;
  lastOffsetDelta: number;
  compression: number;
  timestampType: 0 | 1;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  isTransactional: boolean;
  isControl: boolean;
}

interface Checked {
  size: number;
  result: ValidatedBatch;
}

/** Everything up to the records: frame, CRC, codec, count, client rules. */
function checkHeader(buf: Buffer, at: number, opts: ValidateBatchOptions): Checked {
  const size = checkBatchFrame(buf, at, true);
  const attrs = H.attributes(buf, at);
  const compression = attrs & H.COMPRESSION_MASK;
  if (compression > 4) {
    throw new RecordValidationError(RecordErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `record batch uses unknown compression codec ${compression}`);
  }
  if (compression === 4 && opts.allowZstd === false) {
    throw new RecordValidationError(
      RecordErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
      'zstd-compressed batches need Produce v7 or later',
    );
  }
  const count = H.recordCount(buf, at);
  const lastDelta = H.lastOffsetDelta(buf, at);
  const producerId = H.producerId(buf, at);
  const baseSequence = H.baseSequence(buf, at);
  const isControl = (attrs & H.CONTROL_BIT) !== 0;
  if (count < 0) throw invalidRecord(`record count ${count} is negative`);
  if (lastDelta < -1) throw invalidRecord(`lastOffsetDelta ${lastDelta} is negative`);
  if ((opts.origin ?? 'client') === 'client') {
    if (count === 0) throw invalidRecord('record batch holds no records');
    if (lastDelta + 1 !== count) {
      throw invalidRecord(`lastOffsetDelta ${lastDelta} does not match the record count ${count} (expected ${count - 1})`);
    }
    if (isControl) throw invalidRecord('clients may not write control batches');
    if (producerId >= 0n && baseSequence < 0) {
      throw invalidRecord(`baseSequence ${baseSequence} is invalid for producer id ${producerId}`);
    }
  } else if (count > 0 && lastDelta < count - 1) {
    throw invalidRecord(`lastOffsetDelta ${lastDelta} is smaller than the record count ${count} allows`);
  }
  return {
    size,
    result: {
      size,
      recordCount: count,
      maxTimestamp: -1,
      baseTimestamp: H.baseTimestamp(buf, at),
      lastOffsetDelta: lastDelta,
      compression,
      timestampType: attrs & H.TIMESTAMP_TYPE_BIT ? 1 : 0,
      producerId,
      producerEpoch: H.producerEpoch(buf, at),
      baseSequence,
      isTransactional: (attrs & H.TRANSACTIONAL_BIT) !== 0,
      isControl,
    },
  };
}

const scan: RecordScan = { timestampDelta: 0, offsetDelta: 0 };

/** Walks the records of [start, end) in place; fills in maxTimestamp. */
function walkRecords(region: Buffer, start: number, end: number, r: ValidatedBatch, strict: boolean): void {
  const count = r.recordCount;
  checkRecordCount(count, end - start);
  let pos = start;
  let maxDelta = -Infinity;
  let prevOffset = -1;
  for (let i = 0; i < count; i++) {
    pos = scanRecord(region, pos, end, scan);
    const od = scan.offsetDelta;
    if (strict ? od !== i : od <= prevOffset || od > r.lastOffsetDelta) {
      throw invalidRecord(`record ${i} has offset delta ${od}, expected ${strict ? i : `> ${prevOffset} and \u2264 ${r.lastOffsetDelta}`}`);
    }
    prevOffset = od;
    if (scan.timestampDelta > maxDelta) maxDelta = scan.timestampDelta;
  }
  if (pos !== end) throw invalidRecord(`${end - pos} bytes follow the batch's ${count} records`);
  r.maxTimestamp = count === 0 ? -1 : r.baseTimestamp + maxDelta;
}

/** Validates the magic-2 batch at `at`; throws RecordValidationError with the Kafka error code. */
export function validateBatch(buf: Buffer, at = 0, opts: ValidateBatchOptions = {}): ValidatedBatch {
  const { size, result } = checkHeader(buf, at, opts);
  const strict = (opts.origin ?? 'client') === 'client';
  if (result.compression === 0) {
    walkRecords(buf, at + H.RECORDS_START, at + size, result, strict);
  } else {
    const limit = opts.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
    checkRecordCount(result.recordCount, limit);
    const region = decompress(result.compression, buf.subarray(at + H.RECORDS_START, at + size), limit);
    walkRecords(region, 0, region.length, result, strict);
  }
  return result;
}

/** As validateBatch, decompressing gzip/zstd on the thread pool (big batches don't stall the loop). */
export async function validateBatchAsync(buf: Buffer, at = 0, opts: ValidateBatchOptions = {}): Promise<ValidatedBatch> {
  const { size, result } = checkHeader(buf, at, opts);
  const strict = (opts.origin ?? 'client') === 'client';
  if (result.compression === 0) {
    walkRecords(buf, at + H.RECORDS_START, at + size, result, strict);
  } else {
    const limit = opts.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
    checkRecordCount(result.recordCount, limit);
    const region = await decompressAsync(result.compression, buf.subarray(at + H.RECORDS_START, at + size), limit);
    walkRecords(region, 0, region.length, result, strict);
  }
  return result;
}

/**
 * Produce v3+ carries exactly one magic-2 batch per partition (Kafka answers INVALID_RECORD
 * otherwise). Checks that `records` is one whole batch and validates it.
 */
export function validateProduceRecords(records: Buffer | null, opts: ValidateBatchOptions = {}): ValidatedBatch {
  checkSingleBatch(records);
  return validateBatch(records!, 0, opts);
}

export async function validateProduceRecordsAsync(records: Buffer | null, opts: ValidateBatchOptions = {}): Promise<ValidatedBatch> {
  checkSingleBatch(records);
  return validateBatchAsync(records!, 0, opts);
}

/** Throws INVALID_RECORD unless `records` holds exactly one entry whose length spans the whole blob. */
export function checkSingleBatch(records: Buffer | null): void {
  if (records === null || records.length === 0) throw invalidRecord('produce partition carries no record batch');
  if (records.length < H.LOG_OVERHEAD) throw invalidRecord(`produce records of ${records.length} bytes hold no batch`);
  const length = H.batchLength(records, 0);
  const size = length + H.LOG_OVERHEAD;
  if (length >= H.RECORDS_START - H.LOG_OVERHEAD && size < records.length) {
    throw invalidRecord(`produce records hold more than one batch (first is ${size} of ${records.length} bytes)`);
  }
  // size > length (cut short) or too small a length: validateBatch reports CORRUPT_MESSAGE.
}
