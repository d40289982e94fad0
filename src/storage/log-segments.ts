import type { LogSegment } from './log-segment.ts';

/** Inactive segments whose indexes stay in memory per partition (see touch). */
const INDEXED_OLD_SEGMENTS = 4;

/**
 * The ordered segments of one partition, oldest first, the last one active (Kafka's LogSegments).
 * Only the in-memory list: files are created, swapped and deleted by the units that own those steps
 * (loader, append core, retention, cleaner).
 */
export class LogSegments {
  private list: LogSegment[];
  /** Inactive segments whose indexes are in memory, most recently used last (bounded: see touch). */
  private indexedOld: LogSegment[] = [];

  constructor(segments: LogSegment[]) {
    if (segments.length === 0) throw new Error('a log has at least one segment');
    this.list = segments;
  }

  /** Segments, oldest first (read-only view). */
  get all(): readonly LogSegment[] {
    return this.list;
  }

  get count(): number {
    return this.list.length;
  }

  get active(): LogSegment {
    return this.list[this.list.length - 1]!;
  }

  get first(): LogSegment {
    return this.list[0]!;
  }

  /** Every segment but the active one. */
  get inactive(): LogSegment[] {
    return this.list.slice(0, -1);
  }

  at(i: number): LogSegment | undefined {
    return this.list[i];
  }

  has(seg: LogSegment): boolean {
    return this.list.includes(seg);
  }

  /** Total bytes of all segments. */
  get size(): number {
    let s = 0;
    for (const seg of this.list) s += seg.size;
    return s;
  }

  /** Index of the segment holding `offset` (the last one whose base offset <= offset). */
  indexFor(offset: number): number {
    let lo = 0;
    let hi = this.list.length - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.list[mid]!.baseOffset <= offset) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** A newly rolled segment becomes the active one. */
  push(seg: LogSegment): void {
    this.list.push(seg);
  }

  /** Removes the oldest segment (never the active one); returns it. */
  shiftOldest(): LogSegment {
    if (this.list.length < 2) throw new Error('the active segment is never removed');
    const seg = this.list.shift()!;
    this.forget(seg);
    return seg;
  }

  /** Removes every segment after index `i` (truncation); returns them, oldest first. */
  removeAfter(i: number): LogSegment[] {
    const gone = this.list.splice(i + 1);
    for (const seg of gone) this.forget(seg);
    return gone;
  }

  /** Replaces every segment by `seg` (a full truncation); returns the old ones. */
  resetTo(seg: LogSegment): LogSegment[] {
    const gone = this.list;
    this.list = [seg];
    this.indexedOld = [];
    return gone;
  }

  /** Puts one cleaned copy in place of adjacent segments `olds` (compaction merging them). False when one is gone. */
  replaceGroup(olds: readonly LogSegment[], fresh: LogSegment): boolean {
    const i = this.list.indexOf(olds[0]!);
    if (i < 0 || olds.some((seg, k) => this.list[i + k] !== seg)) return false;
    this.list.splice(i, olds.length, fresh);
    for (const seg of olds) this.forget(seg);
    return true;
  }

  private forget(seg: LogSegment): void {
    const j = this.indexedOld.indexOf(seg);
    if (j >= 0) this.indexedOld.splice(j, 1);
  }

  /**
   * Keeps the indexes of at most INDEXED_OLD_SEGMENTS inactive segments in memory per partition
   * (Kafka mmaps them and lets the OS page them out; a catch-up consumer walks segments in order,
   * so a small LRU suffices). The active segment's indexes always stay.
   */
  touch(seg: LogSegment): void {
    if (seg === this.active) return;
    this.forget(seg);
    this.indexedOld.push(seg);
    while (this.indexedOld.length > INDEXED_OLD_SEGMENTS) this.indexedOld.shift()!.unloadIndexes();
  }
}
