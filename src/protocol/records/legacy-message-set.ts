import { decompress, DEFAULT_MAX_DECOMPRESSED_BYTES } from './compression/index.ts';
import { corrupt, invalidRecord, RecordErrorCode, RecordValidationError } from './errors.ts';
import type { ConsumerRecord, DecodeOptions, DecodedRecordBatch } from './record-batch.ts';

/**
 * Reading legacy message sets (magic 0 and 1), written by clients older than Kafka 0.11 or by
 * kafka-python when it guesses an old broker (guide §5). kstream stores only magic 2; the broker
 * writes legacy sets only when down-converting for Fetch v0–3 (legacy-message-writer.ts), and the
 * client may still meet them in data that an old producer wrote to a real Kafka.
 *
 *   entry   = offset int64 · size int32 · message
 *   message = crc uint32 (CRC-32 of magic → end) · magic int8 · attributes int8 ·
 *             [timestamp int64, magic 1] · key (int32 length, -1 null) · value (int32 length)
 *
 * A compressed message (attributes bits 0–2) is a wrapper whose value holds a whole inner message
 * set. In magic 1 the inner offsets are relative (0…n-1) and the wrapper carries the absolute offset
 * of the last inner message; in magic 0 the inner offsets are absolute.
 */

const OFFSET_AND_SIZE = 12;
const CRC_SIZE = 4;
/** crc + magic + attributes + key length + value length */
const MIN_V0_MESSAGE = 14;

// Plain CRC-32 (IEEE, as java.util.zip.CRC32), which legacy messages use instead of CRC-32C.
const CRC32_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
    t[n] = c;
  }
  return t;
})();

export function crc32(buf: Uint8Array, start = 0, end = buf.length): number {
  let crc = -1;
  for (let i = start; i < end; i++) crc = (crc >>> 8) ^ CRC32_TABLE[(crc ^ buf[i]!) & 0xff]!;
  return ~crc >>> 0;
}

interface LegacyMessage {
  offset: number;
  size: number;
  crc: number;
  magic: number;
  attributes: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
}

function readBytes(buf: Buffer, pos: number, end: number, what: string): [Buffer | null, number] {
  if (pos + 4 > end) throw invalidRecord(`legacy message ${what} length runs past the message`);
  const len = buf.readInt32BE(pos);
  pos += 4;
  if (len === -1) return [null, pos];
  if (len < -1 || pos + len > end) throw invalidRecord(`legacy message ${what} length ${len} does not fit the message`);
  return [buf.subarray(pos, pos + len), pos + len];
}

/** Parses the complete entry at `at` (the caller checked its size fits). */
function readMessage(buf: Buffer, at: number, verifyCrc: boolean): LegacyMessage {
  const length = buf.readInt32BE(at + 8);
  const m = at + OFFSET_AND_SIZE;
  const end = m + length;
  if (length < MIN_V0_MESSAGE || end > buf.length) throw corrupt(`legacy message length ${length} at ${at} is invalid`);
  const magic = buf.readInt8(m + CRC_SIZE);
  if (magic !== 0 && magic !== 1) throw corrupt(`legacy message magic ${magic} is not 0 or 1`);
  const stored = buf.readUInt32BE(m);
  if (verifyCrc) {
    const computed = crc32(buf, m + CRC_SIZE, end);
    if (computed !== stored) {
      throw corrupt(`legacy message CRC mismatch: stored 0x${stored.toString(16)}, computed 0x${computed.toString(16)}`);
    }
  }
  const attributes = buf.readInt8(m + 5);
  let pos = m + 6;
  let timestamp = -1;
  if (magic === 1) {
    if (pos + 8 > end) throw invalidRecord('legacy magic-1 message has no room for its timestamp');
    timestamp = Number(buf.readBigInt64BE(pos));
    pos += 8;
  }
  const [key, afterKey] = readBytes(buf, pos, end, 'key');
  const [value, afterValue] = readBytes(buf, afterKey, end, 'value');
  if (afterValue !== end) throw invalidRecord(`${end - afterValue} bytes follow the legacy message's value`);
  return { offset: Number(buf.readBigInt64BE(at)), size: OFFSET_AND_SIZE + length, crc: stored, magic, attributes, timestamp, key, value };
}

const LOG_APPEND_TIME_BIT = 0x08;

/**
 * Decodes the legacy entry at `at` as one pseudo-batch: a plain message gives one record, a
 * compressed wrapper gives its inner messages. Header fields a legacy set lacks are -1/false.
 */
export function decodeLegacyEntry(buf: Buffer, at = 0, opts: DecodeOptions = {}): DecodedRecordBatch {
  if (at + OFFSET_AND_SIZE > buf.length) throw corrupt(`legacy message at ${at} is cut short`);
  const verifyCrc = opts.verifyCrc ?? true;
  const wrapper = readMessage(buf, at, verifyCrc);
  const codec = wrapper.attributes & 0x07;
  const logAppend = wrapper.magic === 1 && (wrapper.attributes & LOG_APPEND_TIME_BIT) !== 0;
  let records: ConsumerRecord[];
  if (codec === 0) {
    records = [{ offset: wrapper.offset, timestamp: wrapper.timestamp, key: wrapper.key, value: wrapper.value, headers: [] }];
  } else {
    if (codec > 3) {
      throw new RecordValidationError(
        RecordErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
        `legacy magic-${wrapper.magic} message uses compression codec ${codec}, which needs magic 2 or is unknown`,
      );
    }
    if (wrapper.value === null) throw invalidRecord('compressed legacy wrapper message has a null value');
    const inner = decompress(codec, wrapper.value, opts.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES);
    const messages: LegacyMessage[] = [];
    for (let p = 0; p < inner.length; ) {
      if (p + OFFSET_AND_SIZE > inner.length) throw invalidRecord('inner legacy message set ends inside an entry');
      const len = inner.readInt32BE(p + 8);
      if (len < MIN_V0_MESSAGE || p + OFFSET_AND_SIZE + len > inner.length) {
        throw invalidRecord(`inner legacy message length ${len} does not fit the decompressed set`);
      }
      const msg = readMessage(inner, p, verifyCrc);
      if ((msg.attributes & 0x07) !== 0) throw invalidRecord('legacy message set nests compression inside compression');
      messages.push(msg);
      p += msg.size;
    }
    if (messages.length === 0) throw invalidRecord('compressed legacy wrapper message holds no messages');
    // Magic 1: inner offsets are relative; the wrapper holds the absolute offset of the last one.
    const lastInner = messages[messages.length - 1]!.offset;
    const base = wrapper.magic === 1 ? wrapper.offset - lastInner : -1;
    records = messages.map((msg) => ({
      offset: base >= 0 ? base + msg.offset : msg.offset,
      timestamp: logAppend ? wrapper.timestamp : msg.timestamp,
      key: msg.key,
      value: msg.value,
      headers: [],
    }));
  }
  const first = records[0]!;
  let maxTimestamp = -1;
  for (const r of records) if (r.timestamp > maxTimestamp) maxTimestamp = r.timestamp;
  return {
    baseOffset: first.offset,
    batchLength: wrapper.size - OFFSET_AND_SIZE,
    partitionLeaderEpoch: -1,
    magic: wrapper.magic,
    crc: wrapper.crc,
    attributes: wrapper.attributes,
    compression: codec,
    timestampType: logAppend ? 1 : 0,
    isTransactional: false,
    isControl: false,
    lastOffsetDelta: records[records.length - 1]!.offset - first.offset,
    baseTimestamp: first.timestamp,
    maxTimestamp,
    producerId: -1n,
    producerEpoch: -1,
    baseSequence: -1,
    recordCount: records.length,
    size: wrapper.size,
    records,
  };
}

/** All records of the complete entries of a legacy message set; a partial entry at the end is skipped. */
export function decodeLegacyMessageSet(buf: Buffer, opts: DecodeOptions = {}): ConsumerRecord[] {
  const out: ConsumerRecord[] = [];
  for (let at = 0; at + OFFSET_AND_SIZE <= buf.length; ) {
    const len = buf.readInt32BE(at + 8);
    if (len < MIN_V0_MESSAGE) throw corrupt(`legacy message length ${len} at ${at} is invalid`);
    if (at + OFFSET_AND_SIZE + len > buf.length) break;
    const batch = decodeLegacyEntry(buf, at, opts);
    for (const r of batch.records) out.push(r);
    at += batch.size;
  }
  return out;
}
