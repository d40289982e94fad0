import { IndexFile } from './index-file.ts';

/**
 * Kafka's `.timeindex`: entries of (timestamp int64, relative offset int32). Each entry is the largest
 * timestamp seen so far in the segment and the offset of the batch that carried it, so timestamps are
 * non-decreasing and a lookup gives a safe place to start scanning for the first batch >= ts.
 */
export class TimeIndex extends IndexFile {
  static readonly ENTRY_SIZE = 12;
  readonly baseOffset: number;

  constructor(path: string, baseOffset: number) {
    super(path, TimeIndex.ENTRY_SIZE);
    this.baseOffset = baseOffset;
  }

  timestampAt(i: number): number {
    return Number(this.buf.readBigInt64BE(i * 12));
  }

  relativeOffsetAt(i: number): number {
    return this.buf.readInt32BE(i * 12 + 8);
  }

  lastTimestamp(): number {
    return this.count === 0 ? -1 : this.timestampAt(this.count - 1);
  }

  lastEntry(): { timestamp: number; offset: number } | null {
    if (this.count === 0) return null;
    return { timestamp: this.timestampAt(this.count - 1), offset: this.baseOffset + this.relativeOffsetAt(this.count - 1) };
  }

  /** Appends only when the timestamp grows (Kafka's maybeAppend), keeping the index monotonic. */
  maybeAppend(timestamp: number, offset: number): void {
    if (this.count > 0) {
      const last = this.timestampAt(this.count - 1);
      if (timestamp <= last) return;
      if (offset - this.baseOffset < this.relativeOffsetAt(this.count - 1)) return;
    }
    const at = this.slot();
    this.buf.writeBigInt64BE(BigInt(timestamp), at);
    this.buf.writeInt32BE(offset - this.baseOffset, at + 8);
  }

  /** Offset to start scanning from for the first record with timestamp >= ts: entry with largest timestamp < ts. */
  lookupOffset(ts: number): number {
    const i = this.floorEntry(ts - 1, (k) => this.timestampAt(k));
    return i < 0 ? this.baseOffset : this.baseOffset + this.relativeOffsetAt(i);
  }

  isSane(): boolean {
    let prevTs = Number.NEGATIVE_INFINITY;
    let prevOff = -1;
    for (let i = 0; i < this.count; i++) {
      const ts = this.timestampAt(i);
      const off = this.relativeOffsetAt(i);
      if (ts < prevTs || off < prevOff || off < 0) return false;
      prevTs = ts;
      prevOff = off;
    }
    return true;
  }

  truncateToOffset(offset: number): void {
    let n = this.count;
    while (n > 0 && this.baseOffset + this.relativeOffsetAt(n - 1) >= offset) n--;
    this.truncateEntries(n);
  }
}
