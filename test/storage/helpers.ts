import { ATTRIBUTES, BASE_SEQUENCE, CRC, RECORDS_START, computeCrc } from '../../src/protocol/records/batch-header.ts';
import { varintSize, varlongSize, writeVarint, writeVarlong } from '../../src/protocol/primitives/varint.ts';
import type { StorageLogger } from '../../src/storage/logger.ts';

export interface TestRecord {
  key?: string | null;
  value: string | Buffer | null;
  timestamp: number;
}

/**
 * A valid uncompressed magic-2 batch as a producer sends it (baseOffset 0, epoch -1). Tests' own
 * encoder, so storage tests do not depend on the protocol layer's batch encoder.
 */
export function makeBatch(records: TestRecord[], opts: { producerId?: bigint; producerEpoch?: number; baseSequence?: number; maxTimestamp?: number; attributes?: number } = {}): Buffer {
  const baseTs = records[0]!.timestamp;
  const bodies: Buffer[] = [];
  records.forEach((r, i) => {
    const key = r.key == null ? null : Buffer.from(r.key);
    const value = r.value == null ? null : Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
    const tsDelta = r.timestamp - baseTs;
    const inner =
      1 + varlongSize(tsDelta) + varintSize(i) + varintSize(key ? key.length : -1) + (key?.length ?? 0) + varintSize(value ? value.length : -1) + (value?.length ?? 0) + varintSize(0);
    const b = Buffer.alloc(varintSize(inner) + inner);
    let p = writeVarint(b, 0, inner);
    b[p++] = 0;
    p = writeVarlong(b, p, tsDelta);
    p = writeVarint(b, p, i);
    p = writeVarint(b, p, key ? key.length : -1);
    if (key) p += key.copy(b, p);
    p = writeVarint(b, p, value ? value.length : -1);
    if (value) p += value.copy(b, p);
    writeVarint(b, p, 0);
    bodies.push(b);
  });
  const body = Buffer.concat(bodies);
  const buf = Buffer.alloc(RECORDS_START + body.length);
  buf.writeBigInt64BE(0n, 0);
  buf.writeInt32BE(buf.length - 12, 8);
  buf.writeInt32BE(-1, 12);
  buf.writeInt8(2, 16);
  buf.writeInt16BE(opts.attributes ?? 0, ATTRIBUTES);
  buf.writeInt32BE(records.length - 1, 23);
  buf.writeBigInt64BE(BigInt(baseTs), 27);
  buf.writeBigInt64BE(BigInt(opts.maxTimestamp ?? Math.max(...records.map((r) => r.timestamp))), 35);
  buf.writeBigInt64BE(opts.producerId ?? -1n, 43);
  buf.writeInt16BE(opts.producerEpoch ?? -1, 51);
  buf.writeInt32BE(opts.baseSequence ?? -1, BASE_SEQUENCE);
  buf.writeInt32BE(records.length, 57);
  body.copy(buf, RECORDS_START);
  buf.writeUInt32BE(computeCrc(buf), CRC);
  return buf;
}

/** A batch of `n` records with values `${prefix}-${i}` and timestamps ts, ts+1, … */
export function batchOf(n: number, ts: number, prefix = 'v', valueSize = 0): Buffer {
  const recs: TestRecord[] = [];
  for (let i = 0; i < n; i++) {
    const v = `${prefix}-${i}`;
    recs.push({ key: null, value: valueSize > v.length ? v.padEnd(valueSize, '.') : v, timestamp: ts + i });
  }
  return makeBatch(recs);
}

/** Walks concatenated batches: [{ baseOffset, lastOffset, size, maxTimestamp }]. */
export function listBatches(buf: Buffer): { baseOffset: number; lastOffset: number; size: number; maxTimestamp: number; leaderEpoch: number }[] {
  const out = [];
  let p = 0;
  while (p + 12 <= buf.length) {
    const size = buf.readInt32BE(p + 8) + 12;
    if (p + size > buf.length) break;
    const base = Number(buf.readBigInt64BE(p));
    out.push({ baseOffset: base, lastOffset: base + buf.readInt32BE(p + 23), size, maxTimestamp: Number(buf.readBigInt64BE(p + 35)), leaderEpoch: buf.readInt32BE(p + 12) });
    p += size;
  }
  return out;
}

export function memoryLogger(): StorageLogger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    debug: (m) => lines.push(`DEBUG ${m}`),
    info: (m) => lines.push(`INFO ${m}`),
    warn: (m) => lines.push(`WARN ${m}`),
    error: (m) => lines.push(`ERROR ${m}`),
  };
}
