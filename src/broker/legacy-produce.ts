import { corrupt, invalidRecord } from '../protocol/records/errors.ts';
import { decodeLegacyEntry } from '../protocol/records/legacy-message-set.ts';
import type { CompressionCodec } from '../protocol/records/compression/codec-ids.ts';
import { encodeRecordBatchAsync, type RecordInput } from '../protocol/records/record-batch.ts';

/**
 * Produce v0–2 carry legacy message sets (magic 0/1). Kafka converts them to the log's format on
 * append; so does kstream: the messages become one magic-2 batch with the same compression codec,
 * keys, values and timestamps (magic 0 has none: the broker's clock is used). The storage path after
 * that is the ordinary one.
 *
 * Why serve these versions at all: librdkafka up to 2.11.0 (Debian's kcat is 2.0.2) only compresses
 * with gzip, snappy or lz4 when the broker's Produce range contains v0 — it never sends v0, it asks
 * whether the range reaches down there. Old clients (kafka-python guessing an old broker,
 * segmentio/kafka-go 0.2.1) do send v2 with magic 1.
 */
export async function upConvertLegacy(records: Buffer | null, nowMs: number): Promise<Buffer> {
  if (records === null || records.length === 0) throw invalidRecord('produce partition carries no message set');
  if (records.length < 17) throw corrupt(`produce message set of ${records.length} bytes is cut short`);
  const magic = records.readInt8(16);
  if (magic > 1) throw invalidRecord(`Produce v0-2 may only carry magic 0/1 message sets, got magic ${magic} (needs Produce v3+)`);
  const out: RecordInput[] = [];
  let codec = 0 as CompressionCodec;
  let at = 0;
  while (at < records.length) {
    if (at + 12 > records.length) throw corrupt(`legacy message set ends inside an entry at byte ${at}`);
    const size = records.readInt32BE(at + 8) + 12;
    if (at + size > records.length) throw corrupt(`legacy message at byte ${at} (${size} bytes) runs past the end of the set`);
    const entry = decodeLegacyEntry(records, at);
    if (entry.magic !== magic) throw invalidRecord(`legacy message set mixes magic ${magic} and ${entry.magic}`);
    if (at === 0) codec = entry.compression as CompressionCodec;
    for (const r of entry.records) out.push({ key: r.key, value: r.value, timestamp: r.timestamp >= 0 ? r.timestamp : nowMs });
    at += size;
  }
  return encodeRecordBatchAsync({ compression: codec, records: out });
}
