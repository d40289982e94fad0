import { compress, type CompressionCodec } from './compression/index.ts';
import { xxh32 } from './compression/lz4.ts';
import { RecordErrorCode, RecordValidationError } from './errors.ts';
import { crc32 } from './legacy-message-set.ts';
import { iterateBatches, TimestampType, type ConsumerRecord } from './record-batch.ts';

/**
 * Writing legacy message sets (magic 0 and 1) by down-converting magic-2 record batches, for the
 * Fetch versions (0–3) whose clients read nothing newer. The same conversion as Kafka 3.9's
 * RecordsUtil.downConvert (via LazyDownConversionRecords):
 *
 * - control batches (transaction markers) are dropped; zstd cannot be expressed before magic 2
 *   (UNSUPPORTED_COMPRESSION_TYPE);
 * - an uncompressed batch becomes one message per record, and records before the fetch offset are
 *   dropped (a consumer fetching from the middle of a batch; some librdkafka versions need this);
 * - a compressed batch becomes one wrapper message of the same codec whose value is the compressed
 *   inner message set (magic 1: inner offsets relative 0…n-1 and the wrapper carries the last absolute
 *   offset; magic 0: absolute inner offsets); every record of it is kept, as Kafka does;
 * - headers are dropped (no place for them); LogAppendTime batches carry the batch's max timestamp in
 *   every magic-1 message and the timestamp-type attribute bit, as Kafka's MemoryRecordsBuilder does.
 *
 * The layout is the one legacy-message-set.ts reads:
 *   entry   = offset int64 · size int32 · message
 *   message = crc uint32 · magic int8 · attributes int8 · [timestamp int64, magic 1] · key · value
 */
export type LegacyMagic = 0 | 1;

const TIMESTAMP_TYPE_BIT = 0x08;
const LZ4 = 3;
const ZSTD = 4;

/** Down-converts whole magic-2 batches (as storage returns them) to a magic-0/1 message set. */
export function downConvertToLegacy(batches: Buffer, toMagic: LegacyMagic, fetchOffset: number): Buffer {
  const out: Buffer[] = [];
  for (const batch of iterateBatches(batches, { verifyCrc: false })) {
    if (batch.isControl) continue;
    if (batch.compression === ZSTD) {
      throw new RecordValidationError(RecordErrorCode.UNSUPPORTED_COMPRESSION_TYPE, 'Down-conversion of zstandard-compressed batches is not supported');
    }
    const logAppendTime = batch.timestampType === TimestampType.LogAppendTime ? batch.maxTimestamp : null;
    if (batch.compression === 0) {
      for (const r of batch.records) {
        if (r.offset >= fetchOffset) out.push(encodeEntry(r.offset, toMagic, 0, logAppendTime, r));
      }
      continue;
    }
    if (batch.records.length === 0) continue;
    out.push(encodeWrapper(batch.records, toMagic, batch.compression as CompressionCodec, logAppendTime));
  }
  return Buffer.concat(out);
}

/** One entry: offset · size · crc · magic · attributes · [timestamp] · key · value. */
function encodeEntry(
  offset: number,
  magic: LegacyMagic,
  codec: number,
  logAppendTime: number | null,
  r: Pick<ConsumerRecord, 'timestamp' | 'key' | 'value'>,
): Buffer {
  const keyLen = r.key === null ? 0 : r.key.length;
  const valueLen = r.value === null ? 0 : r.value.length;
  const size = 4 + 1 + 1 + (magic === 1 ? 8 : 0) + 4 + keyLen + 4 + valueLen;
  const buf = Buffer.allocUnsafe(12 + size);
  buf.writeBigInt64BE(BigInt(offset), 0);
  buf.writeInt32BE(size, 8);
  let pos = 16; // crc written last
  buf.writeInt8(magic, pos++);
  buf.writeInt8(codec | (magic === 1 && logAppendTime !== null ? TIMESTAMP_TYPE_BIT : 0), pos++);
  if (magic === 1) {
    buf.writeBigInt64BE(BigInt(logAppendTime ?? r.timestamp), pos);
    pos += 8;
  }
  pos = writeBytes(buf, pos, r.key);
  writeBytes(buf, pos, r.value);
  buf.writeUInt32BE(crc32(buf, 16, buf.length), 12);
  return buf;
}

function writeBytes(buf: Buffer, pos: number, b: Buffer | null): number {
  if (b === null) {
    buf.writeInt32BE(-1, pos);
    return pos + 4;
  }
  buf.writeInt32BE(b.length, pos);
  b.copy(buf, pos + 4);
  return pos + 4 + b.length;
}

/** A compressed wrapper message holding `records` as an inner message set. */
function encodeWrapper(records: ConsumerRecord[], magic: LegacyMagic, codec: CompressionCodec, logAppendTime: number | null): Buffer {
  const first = records[0]!.offset;
  const last = records[records.length - 1]!.offset;
  const inner = Buffer.concat(
    records.map((r) => encodeEntry(magic === 1 ? r.offset - first : r.offset, magic, 0, logAppendTime, r)),
  );
  let value = compress(codec, inner);
  // Kafka before 0.10 (magic 0) wrote the LZ4 frame's header checksum over the magic number too
  // (KAFKA-3160); magic-0 readers check that broken value, so write it as they expect.
  if (magic === 0 && codec === LZ4) {
    value = Buffer.from(value);
    value[6] = (xxh32(value, 0, 6, 0) >>> 8) & 0xff;
  }
  let maxTimestamp = -1;
  for (const r of records) if (r.timestamp > maxTimestamp) maxTimestamp = r.timestamp;
  return encodeEntry(last, magic, codec, logAppendTime, { timestamp: maxTimestamp, key: null, value });
}
