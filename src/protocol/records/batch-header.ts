import { crc32c } from './crc32c.ts';

/**
 * The magic-2 record batch header, read and written in place on a Buffer. The broker's hot path
 * (produce validation, log append, recovery, fetch) needs these fields without decoding records.
 * `at` is the batch's first byte inside `buf`. Layout: ../shared/kafka-protocol/README.md §5.
 */
export const BASE_OFFSET = 0;
export const BATCH_LENGTH = 8;
export const PARTITION_LEADER_EPOCH = 12;
export const MAGIC = 16;
export const CRC = 17;
export const ATTRIBUTES = 21;
export const LAST_OFFSET_DELTA = 23;
export const BASE_TIMESTAMP = 27;
export const MAX_TIMESTAMP = 35;
export const PRODUCER_ID = 43;
export const PRODUCER_EPOCH = 51;
/**
 * 53, not 55: producerEpoch is an int16 at 51. (The guide's table in kafka-protocol/README.md §5 says
 * 55, which would overlap recordCount at 57; the captured librdkafka batches confirm 53.)
 */
export const BASE_SEQUENCE = 53;
export const RECORD_COUNT = 57;
/** Size of the v2 header; records (or the compressed blob) start here. */
export const RECORDS_START = 61;
/** baseOffset + batchLength: the bytes before batchLength's count starts. */
export const LOG_OVERHEAD = 12;

export const COMPRESSION_MASK = 0x07;
export const TIMESTAMP_TYPE_BIT = 0x08;
export const TRANSACTIONAL_BIT = 0x10;
export const CONTROL_BIT = 0x20;

export const baseOffset = (buf: Buffer, at = 0): number => Number(buf.readBigInt64BE(at + BASE_OFFSET));
export const batchLength = (buf: Buffer, at = 0): number => buf.readInt32BE(at + BATCH_LENGTH);
/** Total bytes of the batch on the wire/disk (header included). */
export const batchSize = (buf: Buffer, at = 0): number => buf.readInt32BE(at + BATCH_LENGTH) + LOG_OVERHEAD;
export const partitionLeaderEpoch = (buf: Buffer, at = 0): number => buf.readInt32BE(at + PARTITION_LEADER_EPOCH);
export const magic = (buf: Buffer, at = 0): number => buf.readInt8(at + MAGIC);
export const storedCrc = (buf: Buffer, at = 0): number => buf.readUInt32BE(at + CRC);
export const attributes = (buf: Buffer, at = 0): number => buf.readInt16BE(at + ATTRIBUTES);
export const compression = (buf: Buffer, at = 0): number => buf.readInt16BE(at + ATTRIBUTES) & COMPRESSION_MASK;
export const isLogAppendTime = (buf: Buffer, at = 0): boolean => (buf.readInt16BE(at + ATTRIBUTES) & TIMESTAMP_TYPE_BIT) !== 0;
export const isTransactional = (buf: Buffer, at = 0): boolean => (buf.readInt16BE(at + ATTRIBUTES) & TRANSACTIONAL_BIT) !== 0;
export const isControl = (buf: Buffer, at = 0): boolean => (buf.readInt16BE(at + ATTRIBUTES) & CONTROL_BIT) !== 0;
export const lastOffsetDelta = (buf: Buffer, at = 0): number => buf.readInt32BE(at + LAST_OFFSET_DELTA);
export const lastOffset = (buf: Buffer, at = 0): number => baseOffset(buf, at) + lastOffsetDelta(buf, at);
export const baseTimestamp = (buf: Buffer, at = 0): number => Number(buf.readBigInt64BE(at + BASE_TIMESTAMP));
export const maxTimestamp = (buf: Buffer, at = 0): number => Number(buf.readBigInt64BE(at + MAX_TIMESTAMP));
export const producerId = (buf: Buffer, at = 0): bigint => buf.readBigInt64BE(at + PRODUCER_ID);
export const producerEpoch = (buf: Buffer, at = 0): number => buf.readInt16BE(at + PRODUCER_EPOCH);
export const baseSequence = (buf: Buffer, at = 0): number => buf.readInt32BE(at + BASE_SEQUENCE);
export const recordCount = (buf: Buffer, at = 0): number => buf.readInt32BE(at + RECORD_COUNT);

/** CRC-32C over attributes → end of batch, as stored in the header's crc field. */
export function computeCrc(buf: Buffer, at = 0): number {
  return crc32c(buf, at + ATTRIBUTES, at + batchSize(buf, at));
}

export const crcMatches = (buf: Buffer, at = 0): boolean => computeCrc(buf, at) === storedCrc(buf, at);

// Fields outside the CRC: writing them never invalidates the checksum.
export function setBaseOffset(buf: Buffer, offset: number, at = 0): void {
  buf.writeBigInt64BE(BigInt(offset), at + BASE_OFFSET);
}

export function setPartitionLeaderEpoch(buf: Buffer, epoch: number, at = 0): void {
  buf.writeInt32BE(epoch, at + PARTITION_LEADER_EPOCH);
}

/**
 * Sets maxTimestamp (and the LogAppendTime bit when asked), recomputing the CRC only when a covered
 * byte really changed, so batches whose header was already right are stored exactly as sent.
 * Returns true when the batch was rewritten.
 */
export function stampMaxTimestamp(buf: Buffer, timestamp: number, logAppendTime: boolean, at = 0): boolean {
  const attrs = attributes(buf, at);
  const wantAttrs = logAppendTime ? attrs | TIMESTAMP_TYPE_BIT : attrs;
  if (attrs === wantAttrs && maxTimestamp(buf, at) === timestamp) return false;
  buf.writeInt16BE(wantAttrs, at + ATTRIBUTES);
  buf.writeBigInt64BE(BigInt(timestamp), at + MAX_TIMESTAMP);
  buf.writeUInt32BE(computeCrc(buf, at), at + CRC);
  return true;
}
