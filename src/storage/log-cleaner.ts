import {
  ATTRIBUTES,
  BASE_OFFSET,
  BATCH_LENGTH,
  COMPRESSION_MASK,
  CONTROL_BIT,
  CRC,
  LOG_OVERHEAD,
  RECORDS_START,
  RECORD_COUNT,
  computeCrc,
} from '../protocol/records/batch-header.ts';
import { readVarint, readVarlong } from '../protocol/primitives/varint.ts';

/**
 * Log compaction (cleanup.policy=compact), the core of Kafka's LogCleaner without its threads:
 * an offset map of each key's latest offset, then a rewrite of old segments keeping, per key, only
 * that latest record (and tombstones until delete.retention.ms has passed). Batches keep their base
 * offset, last offset delta, timestamps and producer fields; records keep their original offsets,
 * so offsets in a cleaned log have gaps, as in Kafka. Uncompressed batches are filtered by copying
 * raw record bytes; compressed ones are decompressed, filtered and recompressed with their codec.
 */

/** Decompresses/compresses a records region (injected: the protocol layer's codecs, loaded lazily). */
export interface Codecs {
  decompress(codec: number, data: Uint8Array, limit: number): Promise<Buffer>;
  compress(codec: number, data: Uint8Array): Promise<Buffer>;
}

const DECOMPRESS_LIMIT = 256 * 1024 * 1024;

/** Key bytes as a Map key (latin1 keeps every byte), or null for a keyless record. */
const keyString = (buf: Buffer, start: number, len: number): string | null => (len < 0 ? null : buf.toString('latin1', start, start + len));

/**
 * Walks the records of a (decompressed) records region: for each, its byte range, offset delta, key
 * and whether the value is null. Stops at `count` records or the region end.
 */
export function forEachRecord(
  region: Buffer,
  count: number,
  visit: (start: number, end: number, offsetDelta: number, key: string | null, valueIsNull: boolean) => void,
): void {
  const c = { pos: 0 };
  for (let i = 0; i < count && c.pos < region.length; i++) {
    const start = c.pos;
    const len = readVarint(region, c);
    const end = c.pos + len;
    c.pos += 1; // attributes
    readVarlong(region, c); // timestamp delta
    const offsetDelta = readVarint(region, c);
    const keyLen = readVarint(region, c);
    const key = keyString(region, c.pos, keyLen);
    if (keyLen > 0) c.pos += keyLen;
    const valueLen = readVarint(region, c);
    visit(start, end, offsetDelta, key, valueLen < 0);
    c.pos = end;
  }
}

/** The records region of a batch, decompressed when needed. */
export async function recordsRegion(batch: Buffer, codecs: Codecs): Promise<Buffer> {
  const region = batch.subarray(RECORDS_START);
  const codec = batch.readInt16BE(ATTRIBUTES) & COMPRESSION_MASK;
  return codec === 0 ? region : codecs.decompress(codec, region, DECOMPRESS_LIMIT);
}

/**
 * The batch as it should be after cleaning: the same Buffer when every record stays, null when none
 * does, else a new batch holding the survivors. `dropTombstones`: tombstones past the delete horizon
 * go too (a tombstone's job is done once consumers have had delete.retention.ms to see it).
 */
export async function cleanBatch(
  batch: Buffer,
  map: Map<string, number>,
  dropTombstones: boolean,
  codecs: Codecs,
): Promise<{ batch: Buffer | null; removed: number }> {
  const attrs = batch.readInt16BE(ATTRIBUTES);
  if (attrs & CONTROL_BIT) return { batch, removed: 0 };
  const base = Number(batch.readBigInt64BE(BASE_OFFSET));
  const count = batch.readInt32BE(RECORD_COUNT);
  const region = await recordsRegion(batch, codecs);
  const keep: [number, number][] = [];
  let kept = 0;
  forEachRecord(region, count, (start, end, delta, key, valueIsNull) => {
    const latest = key === null || map.get(key) === base + delta;
    if (latest && !(valueIsNull && dropTombstones && key !== null)) {
      const last = keep[keep.length - 1];
      if (last && last[1] === start) last[1] = end;
      else keep.push([start, end]);
      kept++;
    }
  });
  if (kept === count) return { batch, removed: 0 };
  if (kept === 0) return { batch: null, removed: count };
  let size = 0;
  for (const [s, e] of keep) size += e - s;
  const raw = Buffer.allocUnsafe(size);
  let at = 0;
  for (const [s, e] of keep) at += region.copy(raw, at, s, e);
  const codec = attrs & COMPRESSION_MASK;
  const body = codec === 0 ? raw : await codecs.compress(codec, raw);
  const out = Buffer.allocUnsafe(RECORDS_START + body.length);
  batch.copy(out, 0, 0, RECORDS_START);
  body.copy(out, RECORDS_START);
  out.writeInt32BE(out.length - LOG_OVERHEAD, BATCH_LENGTH);
  out.writeInt32BE(kept, RECORD_COUNT);
  out.writeUInt32BE(computeCrc(out), CRC);
  return { batch: out, removed: count - kept };
}
