import { IndexFile } from './index-file.ts';

/**
 * Kafka's `.index`: entries of (offset relative to the segment's base offset int32, file position
 * int32), one per `index.interval.bytes` of log. An entry names a batch's last offset and the position
 * where that batch starts, so a lookup for offset X lands at or before the batch holding X.
 */
export class OffsetIndex extends IndexFile {
  static readonly ENTRY_SIZE = 8;
  readonly baseOffset: number;

  constructor(path: string, baseOffset: number) {
    super(path, OffsetIndex.ENTRY_SIZE);
    this.baseOffset = baseOffset;
  }

  relativeOffsetAt(i: number): number {
    return this.buf.readInt32BE(i * 8);
  }

  positionAt(i: number): number {
    return this.buf.readInt32BE(i * 8 + 4);
  }

  append(offset: number, position: number): void {
    const at = this.slot();
    this.buf.writeInt32BE(offset - this.baseOffset, at);
    this.buf.writeInt32BE(position, at + 4);
  }

  /** File position to start scanning from for `offset`: the largest indexed offset <= it, else 0. */
  lookupPosition(offset: number): number {
    const i = this.floorEntry(offset - this.baseOffset, (k) => this.relativeOffsetAt(k));
    return i < 0 ? 0 : this.positionAt(i);
  }

  /** Last indexed (offset, position), or null. */
  lastEntry(): { offset: number; position: number } | null {
    if (this.count === 0) return null;
    return { offset: this.baseOffset + this.relativeOffsetAt(this.count - 1), position: this.positionAt(this.count - 1) };
  }

  /** Kafka's sanity check: offsets and positions strictly increasing, positions inside the log. */
  isSane(logSize: number): boolean {
    let prevOff = -1;
    let prevPos = -1;
    for (let i = 0; i < this.count; i++) {
      const off = this.relativeOffsetAt(i);
      const pos = this.positionAt(i);
      if (off <= prevOff || pos <= prevPos || pos >= logSize || off < 0) return false;
      prevOff = off;
      prevPos = pos;
    }
    return true;
  }

  /** Drops entries for offsets >= `offset` (after the log was truncated there). */
  truncateToOffset(offset: number): void {
    const i = this.floorEntry(offset - this.baseOffset - 1, (k) => this.relativeOffsetAt(k));
    this.truncateEntries(i + 1);
  }
}
