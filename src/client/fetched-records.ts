import * as H from '../protocol/records/batch-header.ts';
import { decompress } from '../protocol/records/compression/index.ts';
import { invalidRecord } from '../protocol/records/errors.ts';
import { checkBatchFrame, entrySizeAt, iterateBatches, type ConsumerRecord } from '../protocol/records/record-batch.ts';
import type { RecordHeader } from '../protocol/records/record.ts';

/**
 * The records of one partition in a Fetch response, decoded lazily and without per-record objects:
 * forEach() walks the record bytes and hands out one reusable RecordView whose key/value are
 * positions in the batch bytes. Output code copies the bytes it needs straight from there, which is
 * what makes `kstream consume` keep up with kcat. `records` materializes ordinary objects for
 * callers that want them.
 */

const MAX_DECOMPRESSED = 256 * 1024 * 1024;

/** One record, valid only during the forEach callback (the view is reused). */
export class RecordView {
  buf: Buffer = Buffer.alloc(0);
  offset = 0;
  timestamp = 0;
  /** Kafka's TimestampType: 0 CreateTime, 1 LogAppendTime, -1 none (magic-0 messages). */
  timestampType = 0;
  /** -1 when the key is null. */
  keyStart = -1;
  keyEnd = -1;
  /** -1 when the value is null. */
  valueStart = -1;
  valueEnd = -1;
  headersPos = 0;
  headerCount = 0;

  get key(): Buffer | null {
    return this.keyStart < 0 ? null : this.buf.subarray(this.keyStart, this.keyEnd);
  }

  get value(): Buffer | null {
    return this.valueStart < 0 ? null : this.buf.subarray(this.valueStart, this.valueEnd);
  }

  get headers(): RecordHeader[] {
    const out: RecordHeader[] = [];
    const c = { pos: this.headersPos };
    for (let i = 0; i < this.headerCount; i++) {
      const kLen = varint(this.buf, c);
      const key = this.buf.toString('utf8', c.pos, c.pos + kLen);
      c.pos += kLen;
      const vLen = varint(this.buf, c);
      out.push({ key, value: vLen < 0 ? null : this.buf.subarray(c.pos, c.pos + vLen) });
      if (vLen > 0) c.pos += vLen;
    }
    return out;
  }

  toRecord(): ConsumerRecord {
    return { offset: this.offset, timestamp: this.timestamp, key: this.key, value: this.value, headers: this.headers };
  }
}

interface Cursor {
  pos: number;
}

/** Zigzag varint (32-bit), as records use. Bounds are checked by the caller against the record end. */
function varint(buf: Buffer, c: Cursor): number {
  let p = c.pos;
  let b = buf[p++]!;
  let v = b & 0x7f;
  if (b & 0x80) {
    b = buf[p++]!;
    v |= (b & 0x7f) << 7;
    if (b & 0x80) {
      b = buf[p++]!;
      v |= (b & 0x7f) << 14;
      if (b & 0x80) {
        b = buf[p++]!;
        v |= (b & 0x7f) << 21;
        if (b & 0x80) {
          b = buf[p++]!;
          if (b > 0x0f) throw invalidRecord(`varint at ${c.pos} is longer than 5 bytes`);
          v |= b << 28;
        }
      }
    }
  }
  c.pos = p;
  return (v >>> 1) ^ -(v & 1);
}

/** Zigzag varlong; timestamp deltas fit in a double's 53 bits. */
function varlong(buf: Buffer, c: Cursor): number {
  let p = c.pos;
  let result = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    const b = buf[p++]!;
    result += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) {
      c.pos = p;
      // zigzag decode without 32-bit operators
      return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
    }
    mul *= 128;
  }
  throw invalidRecord(`varlong at ${c.pos} is longer than 10 bytes`);
}

interface Segment {
  region: Buffer;
  baseOffset: number;
  baseTimestamp: number;
  logAppendTime: number;
  recordCount: number;
}

export class FetchedRecords {
  private readonly segments: Segment[] = [];
  /** Legacy (magic 0/1) records, decoded by the protocol layer. */
  private legacy: ConsumerRecord[] | null = null;
  /** The timestamp type of each legacy record (parallel to `legacy`). */
  private legacyTypes: number[] = [];
  private readonly from: number;
  /** Offset after the last complete batch (control batches included). */
  nextOffset: number;
  /** Complete batches seen (0 = the bytes held only a partial batch). */
  batches = 0;
  private cached: ConsumerRecord[] | null = null;

  /** Splits a partition's records bytes into batches, checking each frame; skips control batches. */
  constructor(bytes: Buffer, from: number, verifyCrc: boolean) {
    this.from = from;
    this.nextOffset = from;
    let at = 0;
    for (;;) {
      const size = entrySizeAt(bytes, at);
      if (size < 0) break;
      const magic = bytes.readInt8(at + H.MAGIC);
      if (magic !== 2) {
        // Pre-0.11 message sets: rare enough to take the general decoder.
        for (const b of iterateBatches(bytes.subarray(at, at + size), { verifyCrc })) {
          this.legacy ??= [];
          for (const r of b.records) {
            if (r.offset < from) continue;
            this.legacy.push(r);
            this.legacyTypes.push(magic === 0 ? -1 : b.timestampType);
          }
          const last = b.baseOffset + b.lastOffsetDelta;
          if (last + 1 > this.nextOffset) this.nextOffset = last + 1;
        }
        this.batches++;
        at += size;
        continue;
      }
      checkBatchFrame(bytes, at, verifyCrc);
      this.batches++;
      const last = H.baseOffset(bytes, at) + H.lastOffsetDelta(bytes, at);
      if (last + 1 > this.nextOffset) this.nextOffset = last + 1;
      if (!H.isControl(bytes, at) && last >= from) {
        const codec = H.compression(bytes, at);
        const raw = bytes.subarray(at + H.RECORDS_START, at + size);
        this.segments.push({
          region: codec === 0 ? raw : decompress(codec, raw, MAX_DECOMPRESSED),
          baseOffset: H.baseOffset(bytes, at),
          baseTimestamp: H.baseTimestamp(bytes, at),
          logAppendTime: H.isLogAppendTime(bytes, at) ? H.maxTimestamp(bytes, at) : -1,
          recordCount: H.recordCount(bytes, at),
        });
      }
      at += size;
    }
  }

  /** Whether there may be records to hand out (before skipping those below the fetch offset). */
  get maybeEmpty(): boolean {
    return this.segments.length === 0 && (this.legacy === null || this.legacy.length === 0);
  }

  /** Calls fn for every record at or after the fetch offset, with one reused view. */
  forEach(fn: (r: RecordView) => void | false): void {
    const v = new RecordView();
    const c: Cursor = { pos: 0 };
    for (const s of this.segments) {
      const buf = s.region;
      v.buf = buf;
      c.pos = 0;
      const end = buf.length;
      for (let i = 0; i < s.recordCount; i++) {
        if (c.pos >= end) throw invalidRecord(`batch at offset ${s.baseOffset} holds fewer records than its count ${s.recordCount}`);
        const len = varint(buf, c);
        const recEnd = c.pos + len;
        if (len < 6 || recEnd > end) throw invalidRecord(`record of ${len} bytes at ${c.pos} does not fit its batch`);
        c.pos++; // attributes
        const tsDelta = varlong(buf, c);
        const offDelta = varint(buf, c);
        const kLen = varint(buf, c);
        if (kLen < 0) v.keyStart = v.keyEnd = -1;
        else {
          v.keyStart = c.pos;
          v.keyEnd = c.pos += kLen;
        }
        const vLen = varint(buf, c);
        if (vLen < 0) v.valueStart = v.valueEnd = -1;
        else {
          v.valueStart = c.pos;
          v.valueEnd = c.pos += vLen;
        }
        v.headerCount = varint(buf, c);
        v.headersPos = c.pos;
        if (c.pos > recEnd || v.headerCount < 0) throw invalidRecord(`record at offset ${s.baseOffset + offDelta} runs past its length`);
        c.pos = recEnd;
        const offset = s.baseOffset + offDelta;
        if (offset < this.from) continue;
        v.offset = offset;
        v.timestamp = s.logAppendTime >= 0 ? s.logAppendTime : s.baseTimestamp + tsDelta;
        v.timestampType = s.logAppendTime >= 0 ? 1 : 0;
        if (fn(v) === false) return;
      }
    }
    if (this.legacy) {
      for (const [i, r] of this.legacy.entries()) {
        v.timestampType = this.legacyTypes[i]!;
        const b = Buffer.concat([r.key ?? Buffer.alloc(0), r.value ?? Buffer.alloc(0)]);
        v.buf = b;
        v.offset = r.offset;
        v.timestamp = r.timestamp;
        v.keyStart = r.key ? 0 : -1;
        v.keyEnd = r.key ? r.key.length : -1;
        v.valueStart = r.value ? (r.key?.length ?? 0) : -1;
        v.valueEnd = r.value ? b.length : -1;
        v.headerCount = 0;
        if (fn(v) === false) return;
      }
    }
  }

  /** The records as objects (allocates; cached). */
  get records(): ConsumerRecord[] {
    if (this.cached === null) {
      const out: ConsumerRecord[] = [];
      this.forEach((r) => void out.push(r.toRecord()));
      this.cached = out;
    }
    return this.cached;
  }
}
